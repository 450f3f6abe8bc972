// Starts the reference server: the library's provider with the omicOS additions around it,
// on one HTTP listener. The port is bound first, because the issuer (which names the port)
// must be known before the provider is built.
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Context, Middleware } from 'koa'
import { openDatabase } from '../storage/database.js'
import { createDevicePacing, slowDownMiddleware } from '../oauth/device-pacing.js'
import { devicePage } from '../device-page/routes.js'
import { loadOrCreateKeys } from '../storage/keys.js'
import { omicosRoutes } from '../oauth/omicos-routes.js'
import { processTokenRevocation } from '../oauth/process-token-revocation.js'
import { createProvider, DEVICE_CODE_GRANT } from '../oauth/provider.js'
import { requestLogMiddleware, type RequestLogEntry } from './request-log.js'
import { createSignInLimiter } from '../oauth/sign-in-limiter.js'

export type { RequestLogEntry }

export interface ServerOptions {
  dataDir: string
  /** 0 (the default) picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Seconds a device client waits between polls at first; default 5. */
  interval?: number
  /** Seconds a device code lives; default 600. */
  deviceTtl?: number
  /** Seconds a process token lives; default 3600. */
  processTokenTtl?: number
  /** Browser origins allowed to call discovery, device authorization, token, revocation and the omicOS routes. */
  corsOrigins?: string[]
  log?: (line: string) => void
}

export interface RunningServer {
  /** The issuer, `http://127.0.0.1:PORT`. */
  url: string
  port: number
  requests: RequestLogEntry[]
  close(): Promise<void>
}

const TOKEN_PATH = '/token'
const REVOCATION_PATH = '/token/revocation'

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number of seconds, not ${value}`)
  return value
}

function issuerFor(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://127.0.0.1:${port}`
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })
}

// Errors that escape everything else: a JSON answer without internals, and one log line.
function errorBoundary(log: (line: string) => void): Middleware {
  return async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      const err = error as { status?: number; expose?: boolean; message?: string }
      if (err.expose && err.status && err.status < 500) {
        ctx.status = err.status
        ctx.body = { error: 'invalid_request', error_description: err.message }
      } else {
        log(`server error on ${ctx.method} ${ctx.path}: ${err.message ?? String(error)}`)
        ctx.status = 500
        ctx.body = { error: 'server_error', error_description: 'the server could not handle this request' }
      }
    }
    if (ctx.status === 404 && ctx.body == null) {
      ctx.status = 404
      ctx.body = { error: 'not_found', error_description: `nothing at ${ctx.method} ${ctx.path}` }
    }
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1'
  const interval = positive('interval', options.interval, 5)
  const deviceTtl = positive('deviceTtl', options.deviceTtl, 600)
  const processTokenTtl = positive('processTokenTtl', options.processTokenTtl, 3600)
  const corsOrigins = options.corsOrigins ?? []
  const log = options.log ?? (() => {})

  const db = openDatabase(options.dataDir)
  const keys = loadOrCreateKeys(options.dataDir)
  const http = createServer()
  const sockets = new Set<Socket>()
  http.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  let port: number
  try {
    port = await listen(http, options.port ?? 0, host)
  } catch (error) {
    db.close()
    throw error
  }
  const url = issuerFor(host, port)

  const limiter = createSignInLimiter()
  const provider = createProvider({ issuer: url, db, keys, deviceTtl, corsOrigins, limiter })
  const pacing = createDevicePacing(db, interval)
  const requests: RequestLogEntry[] = []

  // The library has no interval setting and does not send one (RFC 8628 §3.2 makes it optional,
  // default 5): it is added to the response here and remembered for slow_down.
  provider.on('device_authorization.success', (_ctx: unknown, body: Record<string, unknown>) => {
    body.interval = interval
    if (typeof body.device_code === 'string') pacing.issued(body.device_code, interval, Number(body.expires_in) || deviceTtl)
  })
  provider.on('server_error', (ctx: Context, error: Error) => log(`server error on ${ctx.method} ${ctx.path}: ${error.message}`))
  // A listener replaces Koa's default, which prints stacks to stderr.
  ;(provider as unknown as NodeJS.EventEmitter).on('error', (error: Error) => log(`request error: ${error.message}`))

  provider.use(requestLogMiddleware(requests))
  provider.use(errorBoundary(log))
  provider.use(slowDownMiddleware(pacing, TOKEN_PATH, DEVICE_CODE_GRANT))
  provider.use(processTokenRevocation(db, REVOCATION_PATH))
  provider.use(omicosRoutes({ provider, db, processTokenTtl, corsOrigins }))
  provider.use(devicePage({ provider, db, limiter }))

  http.on('request', provider.callback())

  let closing: Promise<void> | undefined
  return {
    url,
    port,
    requests,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        http.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }).then(() => {
        db.close()
      })
      return closing
    },
  }
}
