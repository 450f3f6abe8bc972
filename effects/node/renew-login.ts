// Renewing the user token of a stored login with its refresh token (RFC 6749 section 6), for
// `omicos login` (a login near its end is renewed, not repeated), `--status --verify` and the
// daemon's resolver. The user token it replaces is not revoked: it belongs to the same grant
// as the new one, and a revocation (RFC 7009 section 2.1, and node-oidc-provider) ends the
// whole grant; it runs out soon anyway.
//
// A renewal spends the stored refresh token the moment the server answers, so every step is
// ordered for a renewer that may die, or stop, at any instant:
// 1. Under the locks of the file and its identical twin (purpose 'renew'), re-read: when
//    another process renewed meanwhile, its result is used (checked twice). Temps of a renewer
//    that died after writing its answer are adopted first (store/sweep.ts adoptRenewals).
// 2. `renewing_since` and `renewing_by` (this process) are written into the file before the
//    refresh token goes out: whoever finds them knows that token may be spent. While its
//    renewer lives (stopped past the stale time, its lock taken over), the user token is used
//    as it is (`inDoubt`), or, run out, waits; the refresh token is never sent twice at once.
//    A renewal in doubt whose renewer is gone is sent again at once: a server with a reuse
//    interval (docs/server-contract.md) honours it; one without ends the grant.
// 3. The answer goes to fsynced temps beside every file before anything else is done with it,
//    each marked `renewed_from` the refresh token it replaces, then renamed into place: a
//    renewer killed between the two leaves temps the next operation rolls forward.
// 4. A refusal of a renewal that may have landed (`renewing_since` was there) is said as such
//    (`renewalLost`); a refused answer revokes or queues what it carried (refresh-grant.ts).
import path from 'node:path'
import type { CredentialFile } from '../store/credential-file.js'
import { serializeCredentialFile } from '../store/credential-file.js'
import {
  adoptRenewals,
  globalCredentialPath,
  LockLostError,
  readCredentialFile,
  rewriteIfUnchanged,
  rewriteTextIfUnchanged,
  withLocks,
  workspaceCredentialPath,
  type StoreLocation,
} from '../store/index.js'
import { findTemps } from '../store/stale-files.js'
import { isAlive, refreshFingerprint } from '../store/private-file.js'
import { localIdentity, pidJudgeable } from '../store/process-identity.js'
import { homeOf } from '../store/locations.js'
import { queueRevocations } from '../store/revocation-queue.js'
import { engineError } from '../client/engine-error.js'
import type { HttpDeps } from '../client/http.js'
import { CLIENT_ID } from '../client/client-defaults.js'
import { refreshUserToken } from '../client/refresh-grant.js'
import { hostOf } from '../client/server-url.js'
import { RENEW_WITHIN_MS } from '../../machines/renewal.js'

export interface RenewOptions extends StoreLocation, HttpDeps {
  clientId?: string
  signal?: AbortSignal
  now?: () => number
  /**
   * The user token the caller found rejected or near its end: when the file holds another one
   * by the time the lock is held, a renewal elsewhere replaced it, and that result is used.
   * Default: the one in the file just before the lock is taken.
   */
  seenUserToken?: string
  /** the server refused the user token (a 401): a login in doubt is renewed anyway, not used */
  userTokenRefused?: boolean
}

export type RenewOutcome =
  /** `byOther`: another process renewed while this one waited for the lock; its result is used */
  | { kind: 'renewed'; credentials: CredentialFile; written: string[]; byOther: boolean }
  /** the server no longer takes the refresh token: log in again (the file is kept) */
  | { kind: 'rejected' }
  /** the login holds no refresh token: log in again */
  | { kind: 'noRefreshToken' }
  /**
   * A renewal elsewhere sent the refresh token and its answer is not in the file (it may be in
   * flight, or lost with its process); the user token still works by its expiry, so it is used.
   */
  | { kind: 'inDoubt'; credentials: CredentialFile }

/** A user token this close to its end is not handed out in place of a renewal. */
export const USABLE_MARGIN_MS = 60_000

export const expiresWithin = (credentials: CredentialFile, now: number, ms: number): boolean =>
  credentials.user_token_expires_at !== null && Date.parse(credentials.user_token_expires_at) - now <= ms

/** Whether the file's user token is still good by its expiry (an expiry-less one always is). */
export const userTokenUsable = (credentials: CredentialFile, now: number): boolean => !expiresWithin(credentials, now, USABLE_MARGIN_MS)

const withoutRenewer = (c: CredentialFile): CredentialFile => {
  const { renewing_by: _gone, ...rest } = c
  return rest
}

const renewalLost = (server: string) => engineError('renewalLost', { host: hostOf(server) })

const renewalInFlight = (pid: number) => engineError('renewalInFlight', { pid })

// A renewer still marked in flight is believed this long at most: a pid that cannot be judged
// from here (another container), or one reused by another process, does not block for ever.
const UNJUDGED_IN_FLIGHT_MS = 10 * 60_000
const IN_FLIGHT_MAX_MS = 60 * 60_000

/**
 * Whether the renewal recorded in `c` may still bring its answer home: its renewer, named by
 * `renewing_by`, is alive (stopped past the stale time, say, so its lock was taken over), or
 * cannot be judged from here and began lately. This process's own pid is never in flight here:
 * its renewals run under the lock, one at a time.
 */
const stillInFlight = (c: CredentialFile, now: number): boolean => {
  const by = c.renewing_by
  if (!by || c.renewing_since === undefined) return false
  const age = now - Date.parse(c.renewing_since)
  if (!pidJudgeable(by)) return age < UNJUDGED_IN_FLIGHT_MS
  return by.pid !== process.pid && isAlive(by.pid) && age < IN_FLIGHT_MAX_MS
}

/** Renews the user token of the login stored in `file`. */
export const renewStoredLogin = async (options: RenewOptions, file: string): Promise<RenewOutcome> => {
  const clientId = options.clientId ?? CLIENT_ID
  const now = options.now ?? Date.now
  const workspace = await workspaceCredentialPath(options)
  const candidates = [globalCredentialPath(options), ...(workspace ? [workspace.path] : [])]
  const lockable: string[] = []
  for (const candidate of candidates) {
    if (path.resolve(candidate) === path.resolve(file) || (await readCredentialFile(candidate).catch(() => null))) lockable.push(candidate)
  }
  const seen = options.seenUserToken ?? (await readCredentialFile(file).catch(() => null))?.credentials.user_token
  return withLocks(lockable, { purpose: 'renew', ...options.lock }, async () => {
    const dirs = [...new Set(lockable.map((f) => path.dirname(f)))]
    for (const dir of dirs) await adoptRenewals({ ...options, lock: { ...options.lock, held: true } }, await findTemps(dir, { staleMs: options.lock?.staleMs }))
    const source = await readCredentialFile(file)
    if (!source?.credentials.refresh_token) return { kind: 'noRefreshToken' }
    const c = source.credentials
    // Checked twice: renewed elsewhere while this process waited, or no longer near its end.
    const renewedElsewhere =
      (seen !== undefined && c.user_token !== seen) ||
      (options.seenUserToken === undefined && !options.userTokenRefused && !expiresWithin(c, now(), RENEW_WITHIN_MS))
    if (renewedElsewhere && c.renewing_since === undefined) return { kind: 'renewed', credentials: c, written: [], byOther: true }
    const inDoubt = c.renewing_since !== undefined
    // Never replayed while the renewal that spent it may still bring its answer home: its
    // user token is used meanwhile, and one that ran out waits for that renewal.
    if (stillInFlight(c, now())) {
      if (!options.userTokenRefused && userTokenUsable(c, now())) return { kind: 'inDoubt', credentials: c }
      throw renewalInFlight(c.renewing_by!.pid)
    }

    const twins = lockable.filter((other) => path.resolve(other) !== path.resolve(file))
    const targets = [file, ...twins]
    // Step 2: the doubt, and who is in flight, on the disk before the refresh token leaves. A
    // renewal in doubt whose renewer is gone is sent again at once: a server with a reuse
    // interval honours it, and one without ends the grant, the lost answer's tokens with it.
    const { pid } = process
    const { host, boot, pidns } = localIdentity()
    const marked: CredentialFile = { ...c, renewing_since: c.renewing_since ?? new Date(now()).toISOString(), renewing_by: { pid, host, boot, pidns } }
    const written = await rewriteIfUnchanged(targets, source.text, marked, options)
    const expected = serializeCredentialFile(marked)
    const putBack = () =>
      inDoubt ? rewriteIfUnchanged(written, expected, withoutRenewer(marked), options) : rewriteTextIfUnchanged(written, expected, source.text, options)

    let result: Awaited<ReturnType<typeof refreshUserToken>>
    try {
      result = await refreshUserToken(options, { server: c.server, clientId, refreshToken: c.refresh_token! }, options.signal)
    } catch (error) {
      // The answer's fate is unknown: the doubt stays, but this process no longer waits for it.
      await rewriteIfUnchanged(written, expected, withoutRenewer(marked), options).catch(() => [])
      throw error
    }
    if (result.kind === 'rejected') {
      await putBack()
      if (inDoubt) throw renewalLost(c.server)
      return { kind: 'rejected' }
    }
    if (result.kind === 'refusedAnswer') {
      if (result.owed.length > 0) await queueRevocations(homeOf(options), [{ server: c.server, tokens: result.owed }], options)
      await putBack()
      throw engineError(result.spent ? 'renewAnswerRefusedSpent' : 'renewAnswerRefused', { answer: result.failure })
    }
    const { tokens } = result
    const { renewing_since: _since, renewing_by: _by, ...rest } = c
    const next: CredentialFile = {
      ...rest,
      user_token: tokens.userToken,
      refresh_token: tokens.refreshToken,
      user_token_expires_at: tokens.userTokenExpiresAt === null ? null : new Date(tokens.userTokenExpiresAt).toISOString(),
      renewed_from: refreshFingerprint(c.refresh_token!),
      ...(result.clockSkewMs === null ? {} : { clock_skew_ms: result.clockSkewMs }),
    }
    // Step 3: temps for every file, fsynced, before the first rename (rewriteIfUnchanged).
    try {
      const done = await rewriteIfUnchanged(written, expected, next, options)
      return { kind: 'renewed', credentials: next, written: done, byOther: false }
    } catch (error) {
      if (!(error instanceof LockLostError)) throw error
    }
    // Stopped past the stale time: the lock went to another process. Taken again, the answer
    // is written only where the file is still the one this renewal marked; another process
    // found it in doubt and used it as it was, and nothing else may have touched it.
    return withLocks(lockable, { purpose: 'renew', ...options.lock }, async () => {
      const done = await rewriteIfUnchanged(written, expected, next, options)
      if (done.length > 0) return { kind: 'renewed', credentials: next, written: done, byOther: false }
      // The file moved on without this answer: its tokens are owed a revocation. Its refresh
      // token only when the file holds another login now (another grant): on the same grant,
      // revoking it could end the login the file holds (RFC 7009 section 2.1).
      const current = await readCredentialFile(file)
      const sameLogin = current?.credentials.logged_in_at === c.logged_in_at && current.credentials.user.account_id === c.user.account_id
      const owed = [tokens.userToken, ...(sameLogin || tokens.refreshToken === c.refresh_token ? [] : [tokens.refreshToken!])]
      await queueRevocations(homeOf(options), [{ server: c.server, tokens: owed }], options)
      if (!current) throw engineError('removedWhileUsed', { path: file, during: 'renewal' })
      return { kind: 'renewed', credentials: current.credentials, written: [], byOther: true }
    })
  })
}
