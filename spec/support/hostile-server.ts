// A server that behaves as an attacker or a broken proxy would: a `node:http` listener on
// 127.0.0.1 whose answers each test scripts, route by route. What a test does not script is
// passed to a real reference server (spec/support/server.ts) with its addresses rewritten to
// this listener's, so a whole login runs through it and only the scripted step misbehaves.
// Every request it sees is recorded, for tests to check what reached it and what did not.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createGzip } from 'node:zlib'
import { timeout } from './wait.js'

export interface SeenRequest {
  method: string
  /** path and query */
  url: string
  headers: IncomingMessage['headers']
  body: string
  /** epoch ms at which the request arrived */
  at: number
}

/** What the upstream answered, for a script that changes a real answer. */
export interface Upstream {
  status: number
  headers: Record<string, string>
  text: string
  json(): any
}

export interface ScriptContext {
  req: SeenRequest
  res: ServerResponse
  /** this listener's origin, `http://127.0.0.1:PORT` */
  url: string
  /** how many times this route was asked, this request included */
  count: number
  /** the request passed to the reference server (addresses rewritten); only with `upstream` */
  forward(): Promise<Upstream>
  /** passes the request on unchanged and sends the answer back */
  delegate(): Promise<void>
}

/** Answers a request, or returns false to let the next script or the upstream answer it. */
export type Script = (ctx: ScriptContext) => void | boolean | Promise<void | boolean>

export interface HostileServer {
  url: string
  requests: SeenRequest[]
  /** every answer the upstream gave, as passed on (to collect the tokens it issued) */
  answers: string[]
  /** scripts `METHOD /path` (the query is not part of the key); the last one set wins */
  on(route: string, script: Script): void
  /** removes every script: the server passes everything on again */
  reset(): void
  /** requests that reached `METHOD /path` */
  seen(route: string): SeenRequest[]
  close(): Promise<void>
}

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
  res.end(JSON.stringify(body))
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (d) => (body += d))
    req.on('end', () => resolve(body))
    req.on('error', reject)
  })

/**
 * Starts the listener. With `upstream` (a reference server's URL), unscripted routes are
 * passed on; without, they answer 404.
 */
export async function startHostileServer(options: { upstream?: () => string } = {}): Promise<HostileServer> {
  const scripts = new Map<string, Script>()
  const counts = new Map<string, number>()
  const requests: SeenRequest[] = []
  const answers: string[] = []
  let url = ''

  const forward = async (seen: SeenRequest): Promise<Upstream> => {
    const upstream = options.upstream?.()
    if (!upstream) throw new Error('no upstream to forward to')
    const target = new URL(seen.url, upstream)
    const headers = { ...seen.headers, host: target.host }
    delete headers['accept-encoding']
    delete headers['content-length']
    const body = seen.body.split(url).join(upstream)
    return timeout(
      new Promise<Upstream>((resolve, reject) => {
        const out = httpRequest(target, { method: seen.method, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (answer) => {
          let text = ''
          answer.setEncoding('utf8')
          answer.on('data', (d) => (text += d))
          answer.on('end', () => {
            // The reference server names itself; the client must see this listener instead.
            const rewritten = text.split(upstream).join(url)
            const headers: Record<string, string> = {}
            for (const [name, value] of Object.entries(answer.headers)) {
              if (typeof value === 'string' && !/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(name)) {
                headers[name] = value.split(upstream).join(url)
              }
            }
            answers.push(rewritten)
            resolve({ status: answer.statusCode ?? 502, headers, text: rewritten, json: () => JSON.parse(rewritten) })
          })
          answer.on('error', reject)
        })
        out.on('error', reject)
        out.end(body)
      }),
      10_000,
      `forwarding ${seen.method} ${seen.url}`,
    )
  }

  const server: Server = createServer(async (req, res) => {
    const at = Date.now()
    const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: await readBody(req), at }
    requests.push(seen)
    const route = `${seen.method} ${seen.url.split('?')[0]}`
    const count = (counts.get(route) ?? 0) + 1
    counts.set(route, count)
    const delegate = async () => {
      const answer = await forward(seen)
      res.writeHead(answer.status, answer.headers)
      res.end(answer.text)
    }
    try {
      const script = scripts.get(route)
      if (script && (await script({ req: seen, res, url, count, forward: () => forward(seen), delegate })) !== false) return
      if (options.upstream) return await delegate()
      sendJson(res, 404, { error: 'not_found' })
    } catch (error) {
      if (!res.headersSent) sendJson(res, 599, { error: 'hostile_server_failed', error_description: String(error) })
      else res.destroy()
    }
  })
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'starting the hostile server')
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    requests,
    answers,
    on: (route, script) => void scripts.set(route, script),
    reset: () => {
      scripts.clear()
      counts.clear()
    },
    seen: (route) => requests.filter((r) => `${r.method} ${r.url.split('?')[0]}` === route),
    close: () =>
      timeout(
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
        5_000,
        'stopping the hostile server',
      ),
  }
}

const SECRET_FIELDS = ['password', 'device_code', 'token', 'refresh_token', 'access_token', 'id_token', 'process_token']

/**
 * Every secret that went through the server: passwords, codes and tokens in forms, Bearer
 * headers and JSON answers. None of them may appear in the CLI's output or its other files.
 */
export function secretsSeen(server: HostileServer, options: { deviceCodes?: boolean } = {}): string[] {
  const found = new Set<string>()
  // A pairing in progress keeps its device code in OMICOS_HOME/pending, by design: a file search
  // that must pass over that folder leaves the codes out.
  const fields = options.deviceCodes === false ? SECRET_FIELDS.filter((f) => f !== 'device_code') : SECRET_FIELDS
  for (const req of server.requests) {
    const bearer = /^Bearer\s+(\S+)/i.exec(String(req.headers.authorization ?? ''))
    if (bearer) found.add(bearer[1]!)
    const form = new URLSearchParams(req.body)
    for (const key of fields) if (form.get(key)) found.add(form.get(key)!)
  }
  for (const text of server.answers) {
    try {
      const json = JSON.parse(text)
      for (const key of fields) if (typeof json?.[key] === 'string') found.add(json[key])
    } catch {
      // not JSON: no field to take
    }
  }
  return [...found].filter((s) => s.length >= 6)
}

/** A listener that only counts: where a redirect points, to show nothing followed it. */
export async function startCountingServer(): Promise<{ url: string; hits: SeenRequest[]; close(): Promise<void> }> {
  const hostile = await startHostileServer()
  return { url: hostile.url, hits: hostile.requests, close: hostile.close }
}

// --- bodies no client should hold whole ---------------------------------------------------------

const MIB = 1024 * 1024

/** `mib` MiB of a JSON-looking body, streamed in 64 KiB chunks with backpressure; no content-length. */
export function sendHuge(res: ServerResponse, mib: number, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers })
  const chunk = Buffer.alloc(64 * 1024, 'a')
  let left = (mib * MIB) / chunk.length
  res.write('{"access_token":"')
  const pump = () => {
    while (left > 0) {
      left--
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
    res.end('"}')
  }
  res.on('close', () => (left = 0))
  pump()
}

/** A body that never ends: chunks as fast as the client takes them, until it hangs up. */
export function sendEndless(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  const chunk = Buffer.alloc(64 * 1024, ' ')
  let open = true
  res.on('close', () => (open = false))
  res.write('{"access_token":')
  const pump = () => {
    while (open) if (!res.write(chunk)) return void res.once('drain', pump)
  }
  pump()
}

let bomb: Promise<Buffer> | undefined

/** 256 MiB of JSON whitespace, gzipped to a few hundred KiB (made once, streamed so the test stays small). */
export function gzipBomb(): Promise<Buffer> {
  bomb ??= new Promise<Buffer>((resolve, reject) => {
    const gzip = createGzip({ level: 9 })
    const parts: Buffer[] = []
    gzip.on('data', (d: Buffer) => parts.push(d))
    gzip.on('end', () => resolve(Buffer.concat(parts)))
    gzip.on('error', reject)
    const chunk = Buffer.alloc(MIB, ' ')
    let left = 256
    const pump = () => {
      while (left > 0) {
        left--
        if (!gzip.write(chunk)) return void gzip.once('drain', pump)
      }
      gzip.end()
    }
    pump()
  })
  return bomb
}

/** Sends the bomb with `content-encoding: gzip`, as a compressed token answer. */
export async function sendGzipBomb(res: ServerResponse): Promise<void> {
  const body = await gzipBomb()
  res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(body.length) })
  res.end(body)
}

// --- the child's peak memory ----------------------------------------------------------------

/**
 * An env that makes a Node child write its peak RSS (KiB, process.resourceUsage().maxRSS) to a
 * file as it exits, and a reader for it. Preloaded with --import, so the CLI runs unchanged.
 */
export function peakRssProbe(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; peakKiB(): number; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-rss-'))
  const probe = join(dir, 'probe.mjs')
  const out = join(dir, 'peak')
  writeFileSync(
    probe,
    `import { writeFileSync } from 'node:fs'\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)))\n`,
  )
  return {
    env: { ...env, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(probe).href}`.trim() },
    peakKiB: () => Number(readFileSync(out, 'utf8')),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

// --- TLS ------------------------------------------------------------------------------------

// A self-signed certificate for 127.0.0.1 (openssl req -x509, valid for 100 years), so the
// test needs no openssl at run time. Only a test server holds it.
export const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgDyJoQ2tDBOmHrDGG
ziyygdb5WRZEiObsKLmirtEIpvihRANCAAR6WXDSb8Q5kHbKGS1CL1EIjYH0BJMU
A6/vwkRH9ZtPT7nDzpNS6EO1CMBMm0Bah2+1KP8ekVYgdcNQtZ2M7+dG
-----END PRIVATE KEY-----`
export const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBkDCCATagAwIBAgIUbRZixnlybtiNqvKa07MUmoWCJN0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMjA2NDkzNVoYDzIxMjYxMTA4
MDY0OTM1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAR6WXDSb8Q5kHbKGS1CL1EIjYH0BJMUA6/vwkRH9ZtPT7nDzpNS6EO1
CMBMm0Bah2+1KP8ekVYgdcNQtZ2M7+dGo2QwYjAdBgNVHQ4EFgQUXQAbW4vBbV/j
/GYvAFJTpDBGwkswHwYDVR0jBBgwFoAUXQAbW4vBbV/j/GYvAFJTpDBGwkswDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC
IQDnA2oEccnAMjcwm3ixgLmgvy1aQ0yFFhFHSKbXtH8XigIgXGS/CyNLYxbqMWUp
6s1r/fD/gnkbt5IbSNGslts3fpY=
-----END CERTIFICATE-----`
