// Starts the reference server: the library's provider with the omicOS additions around it,
// on one HTTP or HTTPS listener. The port is bound first, because the issuer (which names the
// port) must be known before the provider is built.
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Context, Middleware } from 'koa'
import { createDevicePacing, devicePolls, pacingOnIssue } from '../oauth/device-pacing.js'
import { devicePage } from '../device-page/routes.js'
import { openStore } from '../storage/store.js'
import { omicosRoutes } from '../oauth/omicos-routes.js'
import { processTokenRevocation } from '../oauth/process-token-revocation.js'
import { Provider } from '../oauth/oidc-library.js'
import { createProvider } from '../oauth/provider.js'
import { DEFAULT_REFRESH_REUSE_SECONDS, honourRefreshReuse } from '../oauth/refresh-reuse.js'
import { requestLogMiddleware, type RequestLogEntry } from './request-log.js'
import { createSignInLimiter } from '../oauth/sign-in-limiter.js'

export type { RequestLogEntry }

export interface ServerOptions {
  /**
   * Where the state lives: a data directory (SQLite), or a `postgres://` address, which lets
   * several server processes share one state and behave as one server.
   */
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
  /** Seconds a user token (the access token of a login) lives; default 30 days. Refresh tokens renew it. */
  userTokenTtl?: number
  /**
   * Seconds after its first use during which a spent refresh token is honoured instead of
   * revoking its grant (oauth/refresh-reuse.ts); default 5, 0 turns it off.
   */
  refreshReuseSeconds?: number
  /** Browser origins allowed to call discovery, device authorization, token, revocation and the omicOS routes. */
  corsOrigins?: string[]
  /** PEM files: with both, the server speaks https only. */
  tls?: { certFile: string; keyFile: string }
  /**
   * The public address (an origin, `https://auth.example.com`) when the server sits behind a
   * TLS-terminating proxy: the issuer, the endpoints in discovery and the pairing addresses
   * name it instead of the listening address, whatever address a request came to.
   */
  issuer?: string
  log?: (line: string) => void
  /**
   * For tests of pacing under load: awaited for every POST /token after the request's arrival
   * has been noted and before the library handles it, as a slow server would be.
   */
  holdTokenRequests?: () => Promise<void>
}

export interface RunningServer {
  /** The issuer: `--issuer` when given, else the listening address. */
  url: string
  /** Where it listens, `http://127.0.0.1:PORT` (or https with TLS). */
  address: string
  port: number
  requests: RequestLogEntry[]
  close(): Promise<void>
}

const TOKEN_PATH = '/token'
const REVOCATION_PATH = '/token/revocation'
const DEVICE_AUTHORIZATION_PATH = '/device/auth'

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number of seconds, not ${value}`)
  return value
}

function addressFor(scheme: 'http' | 'https', host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `${scheme}://127.0.0.1:${port}`
  return host.includes(':') ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`
}

/** An origin only: the library's endpoints are at fixed paths from the root. */
export function parseIssuer(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`the issuer must be an address like https://auth.example.com, not "${value}"`)
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new Error(`the issuer must be an origin (scheme, host and port only) like https://auth.example.com, not "${value}"`)
  }
  return url.origin
}

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new Error(`cannot read the TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

/**
 * With a public issuer, every request is answered as if it came to that address: the library
 * builds discovery's endpoints and the pairing addresses from the request's protocol and host,
 * which it reads from X-Forwarded-Proto/-Host once told it is behind a proxy. Those two headers
 * are set here from the issuer, never taken from the client. X-Forwarded-For is dropped, so the
 * address a pairing came from stays the one the server saw (the socket's), not one a client wrote.
 */
function answerAs(issuer: string): Middleware {
  const { protocol, host } = new URL(issuer)
  return async (ctx, next) => {
    ctx.request.header['x-forwarded-proto'] = protocol.slice(0, -1)
    ctx.request.header['x-forwarded-host'] = host
    delete ctx.request.header['x-forwarded-for']
    await next()
  }
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
  const userTokenTtl = positive('userTokenTtl', options.userTokenTtl, 30 * 86_400)
  const refreshReuseSeconds = options.refreshReuseSeconds ?? DEFAULT_REFRESH_REUSE_SECONDS
  if (!Number.isInteger(refreshReuseSeconds) || refreshReuseSeconds < 0)
    throw new Error(`refreshReuseSeconds must be a whole number of seconds, not ${refreshReuseSeconds}`)
  const corsOrigins = options.corsOrigins ?? []
  const log = options.log ?? (() => {})

  const publicIssuer = options.issuer === undefined ? undefined : parseIssuer(options.issuer)
  const tls = options.tls && { cert: readPem('certificate', options.tls.certFile), key: readPem('key', options.tls.keyFile) }

  const store = await openStore(options.dataDir)
  const { sql, keys } = store
  let http: Server
  try {
    http = tls ? createHttpsServer(tls) : createHttpServer()
  } catch (error) {
    await store.close()
    throw new Error(`the TLS certificate and key cannot be used: ${(error as Error).message}`)
  }
  const sockets = new Set<Socket>()
  http.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  let port: number
  try {
    port = await listen(http, options.port ?? 0, host)
  } catch (error) {
    await store.close()
    throw error
  }
  const address = addressFor(tls ? 'https' : 'http', host, port)
  const url = publicIssuer ?? address

  const limiter = createSignInLimiter(sql)
  const pacing = createDevicePacing(sql, interval)
  const polls = devicePolls(pacing, TOKEN_PATH, () => Provider.ctx, Date.now, options.holdTokenRequests)
  const provider = createProvider({ issuer: url, sql, keys, deviceTtl, userTokenTtl, corsOrigins, limiter, readAhead: polls.readAhead })
  honourRefreshReuse(provider, sql, refreshReuseSeconds)
  const requests: RequestLogEntry[] = []

  // The library has no interval setting and does not send one (RFC 8628 §3.2 makes it optional,
  // default 5): it is added to the response here and remembered for slow_down.
  provider.on('device_authorization.success', (_ctx: unknown, body: Record<string, unknown>) => {
    body.interval = interval
  })
  provider.on('server_error', (ctx: Context, error: Error) => log(`server error on ${ctx.method} ${ctx.path}: ${error.message}`))
  // A listener replaces Koa's default, which prints stacks to stderr.
  ;(provider as unknown as NodeJS.EventEmitter).on('error', (error: Error) => log(`request error: ${error.message}`))

  if (publicIssuer) {
    provider.proxy = true
    provider.use(answerAs(publicIssuer))
  }
  provider.use(requestLogMiddleware(requests))
  provider.use(errorBoundary(log))
  provider.use(pacingOnIssue(pacing, DEVICE_AUTHORIZATION_PATH, interval, deviceTtl))
  provider.use(polls.middleware)
  provider.use(processTokenRevocation(sql, REVOCATION_PATH))
  provider.use(omicosRoutes({ provider, sql, processTokenTtl, corsOrigins }))
  provider.use(devicePage({ provider, sql, limiter }))

  http.on('request', provider.callback())

  let closing: Promise<void> | undefined
  return {
    url,
    address,
    port,
    requests,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        http.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      }).then(() => store.close())
      return closing
    },
  }
}
