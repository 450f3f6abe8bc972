// What the reference server benchmarks share: their options, a server started in a child
// process (so its RSS is its own and a load generator does not share its event loop), the
// device requests, a bounded pool of concurrent tasks, and percentiles.
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestPostgres } from '../../spec/support/postgres.js'

export const args = process.argv.slice(2)

/** `--name N` as a number between 1 and `max`, or `fallback`. */
export const option = (name: string, fallback: number, max: number): number => {
  const at = args.indexOf(name)
  const value = at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback
  return Math.max(1, Math.min(max, value))
}

export const CLIENT_ID = 'omicos-cli'
export const SCOPE = 'openid email offline_access'
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

/** What a server child sends once it listens; the reference server's load child adds its user and memory. */
export interface Started {
  url: string
  user?: { email: string; password: string }
  memory?: Memory
}
export interface Memory {
  rss: number
  maxRss: number
}

export interface ServerChild {
  url: string
  started: Started
  /** Sends `message` and waits (at most `ms`) for an answer that has `key`. */
  ask<T>(message: string, key: string, ms?: number): Promise<T>
  stop(): Promise<void>
}

const children = new Set<ReturnType<typeof fork>>()
const folders: string[] = []
process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
  for (const folder of folders) rmSync(folder, { recursive: true, force: true })
})
process.on('SIGINT', () => process.exit(130))

/** A temporary folder removed when the run ends, however it ends. */
export const removedOnExit = (folder: string): string => {
  folders.push(folder)
  return folder
}

/**
 * Starts `script` (a file beside this one: stock-server.js or reference-server.js) as a child
 * with `childArgs`, and resolves once it listens. A child that does not start within 30 s, or
 * exits first, fails the run; every child is killed when the run ends.
 */
export const serve = (script: 'stock-server.js' | 'reference-server.js', childArgs: string[], stdio: 'ignore' | 'inherit' = 'ignore'): Promise<ServerChild> =>
  new Promise((done, fail) => {
    const child = fork(fileURLToPath(new URL(script, import.meta.url)), childArgs, { stdio: ['ignore', stdio, stdio, 'ipc'] })
    children.add(child)
    const timer = setTimeout(() => fail(new Error(`${script} did not start within 30 s`)), 30_000)
    child.once('exit', (code) => fail(new Error(`${script} exited (${code})`)))
    child.once('message', (message) => {
      clearTimeout(timer)
      const started = message as Started
      const ask = <T>(question: string, key: string, ms = 30_000) =>
        new Promise<T>((answered, refused) => {
          const finish = () => {
            clearTimeout(limit)
            child.off('message', onMessage)
            child.off('exit', onExit)
          }
          const limit = setTimeout(() => {
            finish()
            refused(new Error(`${script} did not answer ${key} within ${ms} ms`))
          }, ms)
          const onMessage = (answer: unknown) => {
            if (answer && typeof answer === 'object' && key in answer) {
              finish()
              answered(answer as T)
            }
          }
          const onExit = (code: number | null) => {
            finish()
            refused(new Error(`${script} exited (${code})`))
          }
          child.on('message', onMessage)
          child.on('exit', onExit)
          child.send(question)
        })
      const stop = () =>
        new Promise<void>((stopped) => {
          const limit = setTimeout(() => {
            child.kill('SIGKILL')
            stopped()
          }, 10_000)
          child.once('exit', () => {
            clearTimeout(limit)
            children.delete(child)
            stopped()
          })
          child.send('stop')
        })
      done({ url: started.url, started, ask, stop })
    })
  })

/** The reference server on a new SQLite folder. */
export const sqliteServer = (): Promise<ServerChild> => serve('reference-server.js', [removedOnExit(mkdtempSync(join(tmpdir(), 'omicos-bench-server-')))])

// --postgres: Debian's PostgreSQL started in a temporary folder on a loopback port (the specs'
// spec/support/postgres.ts), once per run, and removed by stopPostgres.
let postgres: TestPostgres | undefined

/** `count` reference servers on one new PostgreSQL database. */
export const postgresServers = async (count: number): Promise<ServerChild[]> => {
  postgres ??= await (await import('../../spec/support/postgres.js')).startPostgres()
  const database = await postgres.createDatabase()
  const first = await serve('reference-server.js', [database]) // creates the schema before the others start
  const rest = await Promise.all(Array.from({ length: count - 1 }, () => serve('reference-server.js', [database])))
  return [first, ...rest]
}

export const stopPostgres = async (): Promise<void> => {
  await postgres?.stop()
}

export interface Answer {
  status: number
  body: Record<string, unknown> | undefined
  ms: number
}

/** One request with a 10 s time limit: its status, its JSON body and how long it took. */
export const call = async (
  base: string,
  path: string,
  { form, json, token, method }: { form?: Record<string, string>; json?: unknown; token?: string; method?: string } = {},
): Promise<Answer> => {
  const headers: Record<string, string> = {}
  let body: string | undefined
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(form).toString()
  } else if (json) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(json)
  }
  if (token) headers.authorization = `Bearer ${token}`
  const at = performance.now()
  const response = await fetch(base + path, { method: method ?? (body ? 'POST' : 'GET'), headers, body, signal: AbortSignal.timeout(10_000) })
  const parsed = (await response.json()) as Record<string, unknown> | undefined
  return { status: response.status, body: parsed, ms: performance.now() - at }
}

/** A new device code. */
export const issue = async (base: string, extra: Record<string, string> = {}): Promise<string> => {
  const r = await call(base, '/device/auth', { form: { client_id: CLIENT_ID, scope: SCOPE, ...extra } })
  if (r.status !== 200) throw new Error(`device authorization: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  return String(r.body?.device_code)
}

/** One poll of a device code. */
export const poll = (base: string, deviceCode: string): Promise<Answer> =>
  call(base, '/token', { form: { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLIENT_ID } })

/** The `error` of an answer, or its HTTP status when it has none. */
export const answerKind = (r: { status?: number; body?: Record<string, unknown> }): string => (typeof r.body?.error === 'string' ? r.body.error : String(r.status))

/** Runs `task(i)` for i < count with `concurrency` at a time, until done or `inTime()` says stop. */
export const pool = async (count: number, concurrency: number, inTime: () => boolean, task: (i: number) => Promise<unknown>) => {
  let next = 0
  const at = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count && inTime()) await task(next++)
    }),
  )
  return { done: next, seconds: (performance.now() - at) / 1000 }
}

/** The p-th percentile (nearest rank), NaN for no values. */
export const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : Number.NaN
}

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits))
export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, Math.max(0, ms)))
export const today = () => new Date().toISOString().slice(0, 10)
