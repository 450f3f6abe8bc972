// What the daemon and other front ends use to find and keep up the login of a directory.
// They read the same files, with the same checks, as the CLI writes.
import path from 'node:path'
import { withRegistration, type CredentialFile } from '../store/credential-file.js'
import {
  globalCredentialPath,
  persistLogin,
  readActive,
  readCredentialFile,
  repairTwins,
  rewriteIfUnchanged,
  withLocks,
  workspaceCredentialPath,
  type ActiveCredentials,
  type StoreLocation,
} from '../store/credential-store.js'
import { EngineError } from '../client/engine-error.js'
import { defaultProcessName } from './environment.js'
import type { HttpDeps } from '../client/http.js'
import { registerProcess } from '../client/omicos-api.js'
import { resolveWorkspace } from '../store/workspace.js'
import { expiresWithin, renewStoredLogin, RENEW_WITHIN_MS, userTokenUsable } from './renew-login.js'

export type ResolveOptions = StoreLocation

/**
 * The credentials the daemon uses in `cwd`: the workspace file first, the global file second;
 * null when neither exists. An unsafe or invalid file throws `local_files`. Twins that differ
 * (a crash between their renames) are mended first, the later registration copied over the
 * other (repairTwins); a repair that cannot be written (a read-only mount) is left for later.
 *
 * With a fetch, a user token within a day of its end is renewed (renew-login.ts). A renewal
 * that cannot be done now (the server unreachable, the lock held long, a renewal elsewhere in
 * doubt) leaves the login as it is while its user token still works; a user token known to
 * have run out is never handed back: the renewal's failure is thrown instead.
 */
export const resolveCredentials = async (options: ResolveOptions & Partial<HttpDeps> & { now?: () => number } = {}): Promise<ActiveCredentials | null> => {
  const now = options.now ?? Date.now
  await repairTwins(options).catch(() => [])
  const active = await readActive(options)
  if (!active || !options.fetch || !expiresWithin(active.credentials, now(), RENEW_WITHIN_MS)) return active
  const http = { ...options, fetch: options.fetch }
  let failure: unknown
  try {
    const renewed = await renewStoredLogin({ ...http, seenUserToken: active.credentials.user_token }, active.path)
    if (renewed.kind === 'renewed' || renewed.kind === 'inDoubt') return { ...active, credentials: renewed.credentials }
    failure = logInAgain(active.credentials.server)
  } catch (error) {
    failure = error
  }
  // The grant ended (a renewal in doubt refused): its user token died with it.
  if ((failure as EngineError | undefined)?.reason === 'renewalLost') throw failure
  // Read again: another process may have renewed while this one failed to.
  const current = (await readCredentialFile(active.path).catch(() => null))?.credentials ?? active.credentials
  if (userTokenUsable(current, now())) return { ...active, credentials: current }
  throw failure
}

export interface RefreshOptions extends ResolveOptions, HttpDeps {
  /** refresh when the process token expires within this many ms */
  minValidityMs: number
  signal?: AbortSignal
  now?: () => number
}

export interface RefreshResult extends ActiveCredentials {
  /** true when a new process token was registered and written */
  refreshed: boolean
  /** the files rewritten (the source and its identical twin, or the new workspace file) */
  written: string[]
  /** true when this workspace got a process of its own in its own file (see below) */
  realigned?: boolean
}

// A process token marked replaced (a registration reached the server, its answer did not) is dead.
const needsRefresh = (credentials: CredentialFile, now: number, minValidityMs: number) =>
  Boolean(credentials.process_token_replaced_at) || Date.parse(credentials.process_token_expires_at) - now <= minValidityMs

/**
 * Credential realignment, for the daemon of the workspace of `cwd`:
 * - When the credentials in use are the global file and name another workspace's process
 *   (`process_id` is not this workspace's `local-<workspace_id>`: the global login was made
 *   from elsewhere), this workspace registers a process of its own with the user token and
 *   writes it to its workspace file (0600, its id kept in workspace.json); the global file is
 *   left alone. Daemons of several workspaces then stop sharing, and rotating under each
 *   other, the one process of the workspace the login came from.
 * - Otherwise, when the process token is expired or expires within `minValidityMs`, registers
 *   the process again and rewrites the file it came from, and the other file (global or
 *   workspace) when its contents were identical. Runs under the store's lock and re-reads
 *   inside it, so two daemons refresh once, not twice.
 */
export const refreshProcessToken = async (options: RefreshOptions): Promise<RefreshResult | null> => {
  const now = options.now ?? Date.now
  await repairTwins(options).catch(() => [])
  let active = await readActive(options)
  if (!active) return null
  // The user token first: a process is registered with it, and it runs out after 30 days.
  if (expiresWithin(active.credentials, now(), RENEW_WITHIN_MS)) {
    const renewed = await renewStoredLogin(options, active.path)
    if (renewed.kind !== 'renewed' && renewed.kind !== 'inDoubt') throw logInAgain(active.credentials.server)
    active = { ...active, credentials: renewed.credentials }
  }
  if (active.source === 'global') {
    const workspace = await workspaceCredentialPath(options)
    const own = await resolveWorkspace({ cwd: options.cwd, env: options.env, home: options.home })
    if (workspace && active.credentials.process_id !== own.processId) return realign(options, active.credentials, own.processId)
  }
  if (!needsRefresh(active.credentials, now(), options.minValidityMs)) return { ...active, refreshed: false, written: [] }

  const workspace = await workspaceCredentialPath(options)
  const files = [globalCredentialPath(options), ...(workspace ? [workspace.path] : [])]
  const lockable: string[] = []
  for (const file of files) if ((await readCredentialFile(file).catch(() => null)) || file === active.path) lockable.push(file)

  return withLocks(lockable, options.lock, async () => {
    const source = await readCredentialFile(active.path)
    if (!source) return null
    const source_: ActiveCredentials = { credentials: source.credentials, path: source.path, source: active.source }
    if (!needsRefresh(source.credentials, now(), options.minValidityMs)) return { ...source_, refreshed: false, written: [] }
    const { credentials } = source
    const registration = await registerProcess(
      options,
      {
        server: credentials.server,
        userToken: credentials.user_token,
        processId: credentials.process_id,
        name: credentials.process_name,
      },
      options.signal,
    ).catch(async (error) => {
      // The user token was rejected (revoked, or ended early at the server): renewed once, then asked again.
      if (!(error instanceof EngineError && error.kind === 'refused')) throw error
      const renewed = await renewStoredLogin({ ...options, lock: { ...options.lock, held: true }, seenUserToken: credentials.user_token, userTokenRefused: true }, source.path)
      if (renewed.kind !== 'renewed') throw logInAgain(credentials.server)
      return registerProcess(options, { server: credentials.server, userToken: renewed.credentials.user_token, processId: credentials.process_id, name: credentials.process_name }, options.signal)
    })
    const fresh = (await readCredentialFile(source.path))!
    const next = withRegistration(fresh.credentials, registration)
    const twins = lockable.filter((file) => path.resolve(file) !== path.resolve(source.path))
    const written = await rewriteIfUnchanged([source.path, ...twins], fresh.text, next, options)
    return { credentials: next, path: source.path, source: active.source, refreshed: true, written }
  })
}

const logInAgain = (server: string) =>
  new EngineError('refused', `${new URL(server).host} no longer accepts this login and it could not be renewed: log in again`, { reason: 'renewRejected' })

/** Registers this workspace's own process with the global login's user token; writes the workspace file. */
const realign = async (options: RefreshOptions, global: CredentialFile, processId: string): Promise<RefreshResult> => {
  const name = defaultProcessName(options.env ?? process.env, options.cwd ?? process.cwd())
  const registration = await registerProcess(
    options,
    { server: global.server, userToken: global.user_token, processId, name },
    options.signal,
  )
  const next = withRegistration(global, registration, { process_id: processId, process_name: name })
  const outcome = await persistLogin({ ...options, workspaceOnly: true }, next)
  if (outcome.written.length > 0) {
    return { credentials: next, path: outcome.written[0]!, source: 'workspace', refreshed: true, written: outcome.written, realigned: true }
  }
  // Another daemon of this workspace registered it later, at the same time: use what it wrote.
  const kept = await readCredentialFile(outcome.kept[0]!)
  if (!kept) throw new EngineError('local_files', `${outcome.kept[0]} was removed while it was being realigned: try again`)
  return { credentials: kept.credentials, path: kept.path, source: 'workspace', refreshed: false, written: [], realigned: true }
}
