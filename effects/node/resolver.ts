// What the daemon and other front ends use to find and keep up the login of a directory.
// They read the same files, with the same checks, as the CLI writes.
import path from 'node:path'
import { withRegistration, type CredentialFile } from '../store/credential-file.js'
import {
  globalCredentialPath,
  holdsLaterRegistration,
  lockLoginTargets,
  LockLostError,
  persistLogin,
  putBackRevocations,
  readActive,
  readCredentialFile,
  repairTwins,
  rewriteIfUnchanged,
  withLocks,
  workspaceCredentialPath,
  type ActiveCredentials,
  type StoreLocation,
} from '../store/index.js'
import { EngineError, engineError } from '../client/engine-error.js'
import { hostOf } from '../client/server-url.js'
import { defaultProcessName } from './environment.js'
import type { HttpDeps } from '../client/http.js'
import { checkProcessToken, registerProcessOutcome, revokeTokens, type RegisterProcessRequest } from '../client/omicos-api.js'
import type { ProcessRegistration } from '../../machines/login.contract.js'
import { resolveWorkspace } from '../store/workspace.js'
import { RENEW_WITHIN_MS } from '../../machines/renewal.js'
import { expiresWithin, renewStoredLogin, userTokenUsable } from './renew-login.js'

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
  /**
   * The process token the server just refused (a 401 on the daemon's heartbeat): it is
   * replaced though it has not run out. Once, under the lock, and checked twice: when the file
   * already holds another token (another caller replaced it meanwhile), that one is returned.
   */
  rejectedProcessToken?: string
  /** the client id revocations are sent with (default omicos-cli) */
  clientId?: string
}

export interface RefreshResult extends ActiveCredentials {
  /** true when a new process token was registered and written */
  refreshed: boolean
  /** the files rewritten (the source and its identical twin, or the new workspace file) */
  written: string[]
  /** true when this workspace got a process of its own in its own file (see below) */
  realigned?: boolean
}

// A process token marked replaced (a registration reached the server, its answer did not) is
// dead, and so is one the server refused.
const needsRefresh = (credentials: CredentialFile, now: number, options: Pick<RefreshOptions, 'minValidityMs' | 'rejectedProcessToken'>) =>
  Boolean(credentials.process_token_replaced_at) ||
  credentials.process_token === options.rejectedProcessToken ||
  Date.parse(credentials.process_token_expires_at) - now <= options.minValidityMs

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
    if (workspace && active.credentials.process_id !== own.processId) return realign(options, own.processId)
  }
  if (!needsRefresh(active.credentials, now(), options)) return { ...active, refreshed: false, written: [] }

  const workspace = await workspaceCredentialPath(options)
  const files = [globalCredentialPath(options), ...(workspace ? [workspace.path] : [])]
  const lockable: string[] = []
  for (const file of files) if ((await readCredentialFile(file).catch(() => null)) || file === active.path) lockable.push(file)

  const locks = { purpose: 'register' as const, ...options.lock }
  return withLocks(lockable, locks, async () => {
    const source = await readCredentialFile(active.path)
    if (!source) return null
    const source_: ActiveCredentials = { credentials: source.credentials, path: source.path, source: active.source }
    // Checked twice: another process may have registered while this one waited for the lock.
    if (!needsRefresh(source.credentials, now(), options)) return { ...source_, refreshed: false, written: [] }
    const { credentials } = source
    const replaced = { files: [source.path, ...lockable.filter((file) => path.resolve(file) !== path.resolve(source.path))], text: source.text }
    const registration = await registerOrMark(
      options,
      replaced,
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
      const renewed = await renewStoredLogin(
        { ...options, lock: { ...options.lock, held: true }, seenUserToken: credentials.user_token, userTokenRefused: true },
        source.path,
      )
      if (renewed.kind !== 'renewed') throw logInAgain(credentials.server)
      const again = (await readCredentialFile(source.path)) ?? source
      return registerOrMark(
        options,
        { files: replaced.files, text: again.text },
        { server: credentials.server, userToken: renewed.credentials.user_token, processId: credentials.process_id, name: credentials.process_name },
        options.signal,
      )
    })
    const withToken = (base: CredentialFile): CredentialFile => withRegistration(base, registration)
    const twins = lockable.filter((file) => path.resolve(file) !== path.resolve(source.path))
    const fresh = (await readCredentialFile(source.path))!
    try {
      const next = withToken(fresh.credentials)
      const written = await rewriteIfUnchanged([source.path, ...twins], fresh.text, next, options)
      return { credentials: next, path: source.path, source: active.source, refreshed: true, written }
    } catch (error) {
      if (!(error instanceof LockLostError)) throw error
    }
    // Stopped past the stale time (SIGSTOP, a suspended laptop): another process holds the lock
    // now, or held it, and may have registered meanwhile. Nothing was written; under the lock
    // again, the later registration is kept and this one's token, no longer needed, revoked.
    return withLocks(lockable, { ...locks, held: false }, async () => {
      const stored = await readCredentialFile(source.path)
      const ours = stored ? withToken(stored.credentials) : null
      const sameLogin =
        stored &&
        stored.credentials.user.account_id === credentials.user.account_id &&
        stored.credentials.process_id === credentials.process_id &&
        stored.credentials.server === credentials.server
      // The server keeps one live token a process (every registration replaces the last), so
      // it tells which registration came last; a server that cannot be asked now leaves the file.
      const oursLive =
        Boolean(sameLogin && ours && !holdsLaterRegistration(stored!.credentials, ours)) && (await isLive(options, credentials.server, registration.processToken))
      if (!stored || !ours || !oursLive) {
        await dropToken(options, credentials.server, registration.processToken)
        if (!stored) return null
        return { credentials: stored.credentials, path: stored.path, source: active.source, refreshed: false, written: [] }
      }
      // This registration is the live one (nobody registered meanwhile, or a renewal kept the old token).
      const written = await rewriteIfUnchanged([source.path, ...twins], stored.text, ours, options)
      return { credentials: ours, path: source.path, source: active.source, refreshed: true, written }
    })
  })
}

const isLive = async (options: RefreshOptions, server: string, token: string): Promise<boolean> =>
  (await checkProcessToken({ ...options, timeoutMs: 3_000 }, server, token, options.signal).catch(() => null))?.kind === 'valid'

/**
 * Revokes a process token this process obtained and no longer needs; queued for the next
 * online operation when the server cannot be asked now. Either way it is not left to live.
 */
const dropToken = async (options: RefreshOptions, server: string, token: string): Promise<void> => {
  const done = await revokeTokens({ ...options, clientId: options.clientId ?? 'omicos-cli', timeoutMs: 3_000 }, server, [token], options.signal).catch(() => false)
  if (!done) await putBackRevocations(options, [{ server, tokens: [token] }]).catch(() => {})
}

/**
 * Registers the process; an answer refused after the server may have acted is not just thrown:
 * the process token it carried is revoked (or queued), and the files that hold the token it
 * rotated away (`replaced.files`, while they still read `replaced.text`) are marked so, as a
 * login marks them, so the next call registers again instead of handing out a dead token.
 */
const registerOrMark = async (
  options: RefreshOptions,
  replaced: { files: string[]; text: string },
  request: RegisterProcessRequest,
  signal?: AbortSignal,
): Promise<ProcessRegistration> => {
  const outcome = await registerProcessOutcome(options, request, signal)
  if (outcome.kind !== 'refused') return outcome
  if (outcome.strayProcessToken) await dropToken(options, request.server, outcome.strayProcessToken)
  if (outcome.mayHaveRotated && replaced.files.length > 0) {
    const stored = await readCredentialFile(replaced.files[0]!).catch(() => null)
    if (stored && stored.text === replaced.text && !stored.credentials.process_token_replaced_at) {
      const at = new Date((options.now ?? Date.now)()).toISOString()
      await rewriteIfUnchanged(replaced.files, replaced.text, { ...stored.credentials, process_token_replaced_at: at }, options).catch(() => [])
    }
  }
  throw new EngineError(outcome.failure)
}

const logInAgain = (server: string) => engineError('renewRejected', { host: hostOf(server) })

/**
 * Registers this workspace's own process with the global login's user token; writes the
 * workspace file. Under the workspace file's lock, and checked twice: the global login is read
 * again (a logout meanwhile leaves nothing to realign, and no token registered for nothing),
 * and a workspace file another daemon of this workspace wrote meanwhile is used as it is.
 */
const realign = async (options: RefreshOptions, processId: string): Promise<RefreshResult | null> => {
  const release = await lockLoginTargets({ ...options, workspaceOnly: true, lock: { purpose: 'register', ...options.lock } })
  try {
    const workspace = (await workspaceCredentialPath(options))!.path
    const global = (await readCredentialFile(globalCredentialPath(options)))?.credentials
    if (!global) return null
    const mine = (await readCredentialFile(workspace))?.credentials
    const now = (options.now ?? Date.now)()
    if (
      mine &&
      mine.process_id === processId &&
      mine.user.account_id === global.user.account_id &&
      mine.server === global.server &&
      !needsRefresh(mine, now, options)
    ) {
      return { credentials: mine, path: workspace, source: 'workspace', refreshed: false, written: [], realigned: true }
    }
    const name = defaultProcessName(options.env ?? process.env, options.cwd ?? process.cwd())
    // Only a workspace file of this very process holds a token the registration rotates away.
    const stored = mine && mine.process_id === processId && mine.server === global.server ? await readCredentialFile(workspace) : null
    const replaced = { files: stored ? [workspace] : [], text: stored?.text ?? '' }
    const registration = await registerOrMark(options, replaced, { server: global.server, userToken: global.user_token, processId, name }, options.signal)
    const next = withRegistration(global, registration, { process_id: processId, process_name: name })
    const outcome = await persistLogin({ ...options, workspaceOnly: true, lock: { ...options.lock, held: true } }, next).catch(async (error) => {
      if (error instanceof LockLostError) await dropToken(options, global.server, registration.processToken)
      throw error
    })
    if (outcome.written.length > 0) {
      return { credentials: next, path: outcome.written[0]!, source: 'workspace', refreshed: true, written: outcome.written, realigned: true }
    }
    await dropToken(options, global.server, registration.processToken)
    const kept = await readCredentialFile(outcome.kept[0]!)
    if (!kept) throw engineError('removedWhileUsed', { path: outcome.kept[0]!, during: 'realignment' })
    return { credentials: kept.credentials, path: kept.path, source: 'workspace', refreshed: false, written: [], realigned: true }
  } finally {
    await release()
  }
}
