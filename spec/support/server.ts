// Starts the reference server for a test: a temp data directory, a free port, optional users,
// and a stop() that closes the server and removes the directory. Every wait is bounded,
// because uvu has no per-test timeout.
//
// With OMICOS_TEST_POSTGRES set to a running PostgreSQL server (postgres://USER@HOST:PORT, as
// spec/server/on-postgres.spec.ts sets it for the server specs it runs again), each server
// gets a new database there instead of a data directory, and `dataDir` is that database's
// address: every call that takes a data directory (startServer, decidePairing, addAccount)
// takes it as well.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { addAccount, startServer, type RunningServer, type ServerOptions } from '../../server/index.js'
import { isDatabaseUrl } from '../../server/storage/sql.js'
import { createDatabase } from './postgres.js'
import { timeout } from './wait.js'

export interface TestUser {
  email: string
  password: string
  tier?: string
}

export interface ReferenceServer {
  server: RunningServer
  dataDir: string
  users: Array<TestUser & { accountId: string }>
  stop(): Promise<void>
}

export const DEFAULT_USERS: TestUser[] = [{ email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }]

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'omicos-auth-server-'))
}

/** The store for a new test server: a temp directory, or a new database under OMICOS_TEST_POSTGRES. */
export async function makeStore(): Promise<string> {
  const postgres = process.env.OMICOS_TEST_POSTGRES
  return postgres ? timeout(createDatabase(postgres), 20_000, 'creating a test database') : makeDataDir()
}

export async function withReferenceServer(opts: Partial<ServerOptions> & { users?: TestUser[] } = {}): Promise<ReferenceServer> {
  const { users = DEFAULT_USERS, ...serverOptions } = opts
  const ownDir = serverOptions.dataDir === undefined
  const dataDir = serverOptions.dataDir ?? (await makeStore())
  const created: ReferenceServer['users'] = []
  for (const user of users) created.push({ ...user, ...(await timeout(addAccount(dataDir, user.email, user.password, user.tier), 15_000, 'adding a user')) })
  const server = await timeout(startServer({ port: 0, ...serverOptions, dataDir }), 15_000, 'starting the reference server')
  return {
    server,
    dataDir,
    users: created,
    async stop() {
      await timeout(server.close(), 10_000, 'stopping the reference server')
      if (ownDir && !isDatabaseUrl(dataDir)) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * One reference server for a whole spec file: started before its first test, stopped after
 * its last. The fields of the returned server are read from the running one, so use them
 * inside tests and hooks. `opts` may be a function, for options known only once earlier
 * `before` hooks have run.
 */
export function referenceServerFor(
  suite: Test,
  opts: Parameters<typeof withReferenceServer>[0] | (() => Parameters<typeof withReferenceServer>[0]) = {},
): ReferenceServer {
  let running: ReferenceServer | undefined
  suite.before(async () => {
    running = await withReferenceServer(typeof opts === 'function' ? opts() : opts)
  })
  suite.after(async () => {
    await running?.stop()
  })
  const started = (): ReferenceServer => {
    if (!running) throw new Error('the reference server has not started: read it inside a test or a hook')
    return running
  }
  return {
    get server() {
      return started().server
    },
    get dataDir() {
      return started().dataDir
    },
    get users() {
      return started().users
    },
    stop: () => started().stop(),
  }
}

export const CLIENT_ID = 'omicos-cli'
export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
export const SCOPE = 'openid email offline_access'

/** A form POST (or a GET without a body) against the server, answered within 10 s. */
export async function request(
  server: RunningServer,
  path: string,
  options: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string>; method?: string; body?: string } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...options.headers }
  let body: string | undefined = options.body
  if (options.form) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  } else if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json'
    body = JSON.stringify(options.json)
  }
  const method = options.method ?? (body !== undefined ? 'POST' : 'GET')
  const response = await timeout(fetch(server.url + path, { method, headers, body, signal: AbortSignal.timeout(10_000) }), 10_000, `${method} ${path}`)
  const text = await timeout(response.text(), 10_000, `reading ${method} ${path}`)
  let parsed: unknown
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  return { status: response.status, headers: response.headers, body: parsed, text }
}

export function passwordLogin(server: RunningServer, email: string, password: string, scope = SCOPE) {
  return request(server, '/token', { form: { grant_type: 'password', username: email, password, client_id: CLIENT_ID, scope } })
}

export function requestDeviceCode(server: RunningServer, extra: Record<string, string> = { process_name: 'jupyter-lab', hostname: 'lab-box' }) {
  return request(server, '/device/auth', { form: { client_id: CLIENT_ID, scope: SCOPE, ...extra } })
}

export function pollDeviceCode(server: RunningServer, deviceCode: string) {
  return request(server, '/token', { form: { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: CLIENT_ID } })
}

export interface PageAnswer {
  status: number
  text: string
  reason?: string
}

/** One browser's worth of the /device page: a cookie jar and the CSRF token of the last form. */
export class PageClient {
  private jar = new Map<string, string>()
  private csrf = ''

  constructor(private server: RunningServer) {}

  async send(path: string, form?: Record<string, string>): Promise<PageAnswer> {
    const headers: Record<string, string> = { cookie: [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') }
    let body: string | undefined
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams({ csrf: this.csrf, ...form }).toString()
    }
    const response = await timeout(
      fetch(this.server.url + path, {
        method: form ? 'POST' : 'GET',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      }),
      10_000,
      `${form ? 'POST' : 'GET'} ${path}`,
    )
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const eq = pair.indexOf('=')
      if (eq > 0) this.jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    const text = await timeout(response.text(), 10_000, `reading ${path}`)
    const csrf = /name="csrf" value="([^"]+)"/.exec(text)
    if (csrf) this.csrf = csrf[1]!
    return { status: response.status, text, reason: /data-reason="([^"]+)"/.exec(text)?.[1] }
  }

  async signIn(user: { email: string; password: string }): Promise<void> {
    await this.send('/device')
    const answer = await this.send('/device/login', user)
    assert.is(answer.status, 303, `signing in ${user.email}`)
    const page = await this.send('/device')
    assert.match(page.text, /id="signed-in-as"/)
  }

  verify(userCode: string) {
    return this.send('/device/verify', { user_code: userCode })
  }

  decide(userCode: string, decision: 'approve' | 'deny') {
    return this.send('/device/decide', { user_code: userCode, decision })
  }
}
