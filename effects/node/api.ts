// The engine for Node programs: one call per flow, each running its machine with the Node
// effects to a final state. The CLI is one caller; the daemon and other front ends are others.
//
//   import { login, deviceLogin, status, logout, resolveCredentials } from 'omicos-auth'
import { createActor, type Snapshot, type SnapshotFrom } from 'xstate'
import type { LoginInput, LoginOutput } from '../../machines/login.contract.js'
import type { LogoutOutput } from '../../machines/logout.contract.js'
import { provideLogin, type loginMachine } from '../../machines/login.machine.js'
import { logoutMachine } from '../../machines/logout.machine.js'
import { runResumableLogin, runToEnd } from '../client/run-actor.js'
import { safeInspect } from '../client/safe-inspector.js'
import { defaultProcessName, hostName } from './environment.js'
import type { FetchLike } from '../client/http.js'
import { resolveEngineOptions, type EngineOptions } from './engine-options.js'
import { createNodeActors } from './node-actors.js'
import { nodeFetch } from './node-fetch.js'
import { createPendingPairings, pendingPairingServers } from '../store/pending-pairing.js'
import { readActive } from '../store/index.js'
import type { PromptStreams } from './prompts.js'
import { refreshProcessToken as refreshWith, resolveCredentials as resolveWith, type RefreshOptions, type RefreshResult, type ResolveOptions } from './resolver.js'
import { DEFAULT_SERVER, parseServerUrl } from '../client/server-url.js'
import { refuseHomeAsWorkspace, resolveWorkspace } from '../store/workspace.js'
import { normalizeEmail } from '../client/email.js'

export { EngineError } from '../client/engine-error.js'
export type { EngineOptions } from './engine-options.js'
export { status } from './status-flow.js'
// The clock `pairingNow` defaults to, for a countdown that must agree with the pairing's deadline.
export { steadyClock } from '../client/clock.js'
export type { LoginOutput } from '../../machines/login.contract.js'
export type { LogoutOutput } from '../../machines/logout.contract.js'
export type { StatusOutput, StatusReport } from '../../machines/status.contract.js'
export type { Failure, FailureKind, FailureReason } from '../../machines/failure.js'

/**
 * The credentials the daemon uses in `cwd` (workspace first, global second); a user token
 * within a day of its end is renewed with the Node fetch (RFC 6749 section 6).
 */
export const resolveCredentials = (options: ResolveOptions & { fetch?: FetchLike } = {}) => resolveWith({ ...options, fetch: options.fetch ?? nodeFetch() })

/** The resolver's refreshProcessToken, with the Node fetch (connection time limits) by default. */
export const refreshProcessToken = (options: RefreshOptions): Promise<RefreshResult | null> => refreshWith({ ...options, fetch: options.fetch ?? nodeFetch() })

export interface LoginOptions extends EngineOptions {
  email?: string | null
  password?: string | null
  /** process display name (default: CONDA_DEFAULT_ENV unless it is conda's base, else the directory name) */
  name?: string
  force?: boolean
  /** write only the workspace credential file (cloud account switching) */
  workspace?: boolean
  /** where to ask for missing credentials; false: never ask */
  prompts?: PromptStreams | false
}

export interface DeviceLoginOptions extends EngineOptions {
  name?: string
  hostname?: string
  force?: boolean
  workspace?: boolean
  /** continue a pairing persisted for the same server and workspace (default true; force starts afresh) */
  resume?: boolean
  /** every snapshot of the login machine, e.g. to show the code (`context.pairing`) and a countdown */
  onSnapshot?: (snapshot: SnapshotFrom<typeof loginMachine>) => void
  /** called once when a persisted pairing is picked up again */
  onResume?: () => void
  /**
   * The clock of the pairing's deadline (default: a steady one, effects/client/clock.ts); a
   * countdown shown beside it should read the same clock.
   */
  pairingNow?: () => number
}

// A login against a server that takes connections and never answers reports within 10 s:
// its requests get 6 s in all (prompts excepted), plus the machine's 0.5 s and 1 s backoffs.
const LOGIN_NETWORK_BUDGET_MS = 6_000

/** Email / password login (`omicos login`). */
export async function login(options: LoginOptions): Promise<LoginOutput> {
  const { server, home, cwd, env } = resolveEngineOptions(options)
  const workspace = await resolveWorkspace({ cwd, env, home })
  if (options.workspace) await refuseHomeAsWorkspace(workspace.root, { cwd, env, home })
  const prompts: PromptStreams | undefined = options.prompts === false ? undefined : (options.prompts ?? { stdin: process.stdin, stdout: process.stderr })
  const actors = createNodeActors({
    home,
    cwd,
    env,
    fetch: options.fetch,
    workspaceOnly: options.workspace,
    stdin: prompts?.stdin,
    stdout: prompts?.stdout,
    stderr: prompts?.stdout,
    notice: prompts?.notice,
    labels: prompts?.labels,
    language: options.language,
    networkBudgetMs: LOGIN_NETWORK_BUDGET_MS,
    lock: { onWait: options.onLockWait },
  })
  const input: LoginInput = {
    server,
    method: 'password',
    email: options.email == null ? null : normalizeEmail(options.email),
    password: options.password ?? null,
    name: options.name ?? defaultProcessName(env, cwd),
    processId: workspace.processId,
    force: options.force ?? false,
    canPrompt: Boolean(prompts?.stdin.isTTY),
  }
  try {
    return await runToEnd(createActor(provideLogin(actors), { input, inspect: safeInspect(options.inspect) }), { signal: options.signal })
  } finally {
    await actors.dispose()
  }
}

/** Device-code pairing (`omicos cli login`, RFC 8628), resumable across runs. */
export async function deviceLogin(options: DeviceLoginOptions): Promise<LoginOutput> {
  const { server, home, cwd, env } = resolveEngineOptions(options)
  const workspace = await resolveWorkspace({ cwd, env, home })
  if (options.workspace) await refuseHomeAsWorkspace(workspace.root, { cwd, env, home })
  const pending = createPendingPairings(home, { server, workspaceRoot: workspace.root, workspaceOnly: options.workspace ?? false })
  const release = await pending.claim()
  const actors = createNodeActors({
    home,
    cwd,
    env,
    fetch: options.fetch,
    workspaceOnly: options.workspace,
    lock: { onWait: options.onLockWait },
    pairingNow: options.pairingNow,
    language: options.language,
  })
  try {
    return await runResumableLogin({
      logic: provideLogin(actors),
      input: {
        server,
        method: 'device',
        email: null,
        name: options.name ?? defaultProcessName(env, cwd),
        hostname: options.hostname ?? hostName(),
        processId: workspace.processId,
        force: options.force ?? false,
      },
      store: {
        read: async () => (await pending.read()) as Snapshot<unknown> | null,
        write: (snapshot) => pending.write(snapshot),
        remove: () => pending.remove(),
      },
      fresh: options.force || options.resume === false,
      now: Date.now,
      signal: options.signal,
      inspect: safeInspect(options.inspect),
      onSnapshot: options.onSnapshot,
      onResume: options.onResume,
    })
  } finally {
    await actors.dispose()
    await release()
  }
}

/**
 * Logs the current account out: best-effort revocation, then its credential files only. With
 * `server`, only a login on that server is logged out (another one is a `usage` failure).
 */
export async function logout(options: EngineOptions = {}): Promise<LogoutOutput> {
  const { home, cwd, env } = resolveEngineOptions({ ...options, server: options.server ?? DEFAULT_SERVER })
  const actors = createNodeActors({ home, cwd, env, fetch: options.fetch, lock: { onWait: options.onLockWait } })
  const expectedServer = options.server === undefined ? null : parseServerUrl(options.server)
  const actor = createActor(logoutMachine.provide({ actors }), { input: { expectedServer }, inspect: safeInspect(options.inspect) })
  return runToEnd(actor, { signal: options.signal })
}

/**
 * The server a login without `--server` (and without OMICOS_SERVER) goes to, when this machine
 * already names one: for a pairing, one still waiting in this workspace; else the server of the
 * login here (a person told to "log in again" must not land on another server). Null: none, the
 * default server it is.
 */
export async function serverInUse(options: {
  home?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  workspace?: boolean
  method: 'password' | 'device'
}): Promise<{ server: string; from: 'pairing' | 'login' } | null> {
  const { home, cwd, env } = resolveEngineOptions({ home: options.home, cwd: options.cwd, env: options.env, server: DEFAULT_SERVER })
  if (options.method === 'device') {
    const workspace = await resolveWorkspace({ cwd, env, home })
    const [server] = await pendingPairingServers(home, { workspaceRoot: workspace.root, workspaceOnly: options.workspace ?? false })
    if (server !== undefined) return { server, from: 'pairing' }
  }
  try {
    const active = await readActive({ home, cwd, env })
    const server = active?.credentials.server
    if (server && server !== DEFAULT_SERVER) return { server: parseServerUrl(server), from: 'login' }
  } catch {
    // An unreadable credential file is the login's to report, not this look-up's.
  }
  return null
}
