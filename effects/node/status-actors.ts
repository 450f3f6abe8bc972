// The actors of the status machine: reading what the credential files say, and, only when
// asked (`--status --verify`), asking the server. Apart from node-actors.ts so that a status
// (`omicos login --status`, the daemon's front ends) loads the store and nothing more: the
// request code is imported on the first request.
import { fromPromise } from 'xstate'
import { failure } from '../../machines/failure.js'
import type { RenewInput, RenewResult, VerifyInput, VerifyResult } from '../../machines/shared.contract.js'
import type { StatusLogin, StatusReport } from '../../machines/status.contract.js'
import type { HttpDeps } from '../client/http.js'
import { globalCredentialPath, readCredentialFile, readStoreStatus, type StoreLocation, type StoredCredentials } from '../store/index.js'

export interface StatusActorDeps {
  loc: StoreLocation
  http: HttpDeps & { now: () => number }
  clientId: string
  /**
   * Time the online part may take in all (the check, a renewal, the check again), counted from
   * its first request, so a server that answers each request just under its time limit is
   * reported in a bounded time, as a login's is. Default: no limit beyond each request's.
   */
  networkBudgetMs?: number
}

/** The deps with one deadline for every request of this status, set when the first one starts. */
const budgetedHttp = (deps: StatusActorDeps) => {
  let deadline: number | undefined
  return (): StatusActorDeps['http'] => {
    if (deps.networkBudgetMs === undefined) return deps.http
    deadline ??= Date.now() + deps.networkBudgetMs
    return { ...deps.http, deadline: Math.min(deadline, deps.http.deadline ?? Infinity) }
  }
}

/** Both credential files, not only the one the daemon uses: a workspace login hides the global one. */
export async function readStatusReport(loc: StoreLocation): Promise<StatusReport> {
  const configPath = globalCredentialPath(loc)
  const { active, swept, twins, files } = await readStoreStatus(loc)
  const read: Array<[StatusLogin['source'], StoredCredentials | null]> = [
    ['global', files.global],
    ['workspace', files.workspace],
  ]
  const logins: StatusLogin[] = []
  for (const [source, stored] of read) {
    if (!stored) continue
    const c = stored.credentials
    logins.push({
      path: stored.path,
      source,
      email: c.user.email,
      accountId: c.user.account_id,
      server: c.server,
      processName: c.process_name,
      authMethod: c.auth_method,
      userTokenExpiresAt: c.user_token_expires_at ?? null,
      processTokenExpiresAt: c.process_token_expires_at ?? null,
      processTokenReplacedAt: c.process_token_replaced_at ?? null,
    })
  }
  const extra = { logins, sweptTemps: swept, twinsDiffer: twins !== null }
  if (!active) return { loggedIn: false, configPath, activePath: null, activeSource: null, ...extra }
  const c = active.credentials
  return {
    loggedIn: true,
    configPath,
    activePath: active.path,
    activeSource: active.source,
    email: c.user.email,
    accountId: c.user.account_id,
    tier: c.user.tier,
    processName: c.process_name,
    processId: c.process_id,
    server: c.server,
    authMethod: c.auth_method,
    loggedInAt: c.logged_in_at,
    processTokenExpiresAt: c.process_token_expires_at,
    processTokenReplacedAt: c.process_token_replaced_at ?? null,
    userTokenExpiresAt: c.user_token_expires_at,
    clockSkewMs: c.clock_skew_ms ?? null,
    ...extra,
  }
}

/** Whether the server still takes the user token of a stored login, and when it answered. */
export async function verifyStoredLogin(http: StatusActorDeps['http'], input: VerifyInput, signal: AbortSignal): Promise<VerifyResult> {
  const stored = await readCredentialFile(input.path)
  if (!stored) return { kind: 'invalid', failure: failure('fileGone', { path: input.path }), at: http.now() }
  const { getAccount } = await import('../client/omicos-api.js')
  const verdict = await getAccount(http, input.server, stored.credentials.user_token, signal)
  return { ...verdict, at: http.now() }
}

/**
 * Renews the user token of a stored login (effects/node/renew-login.ts) for a machine: the one
 * in the file now is the one the machine found wanting. A login whose earlier renewal is in
 * doubt, its user token still good by its expiry, is reported as it stands.
 */
export async function renewForMachine({ loc, http, clientId }: StatusActorDeps, input: RenewInput, signal: AbortSignal): Promise<RenewResult> {
  const { renewStoredLogin } = await import('./renew-login.js')
  const seen = await readCredentialFile(input.path)
  const outcome = await renewStoredLogin({ ...loc, ...http, clientId, signal, seenUserToken: seen?.credentials.user_token }, input.path)
  if (outcome.kind === 'rejected' || outcome.kind === 'noRefreshToken') return outcome
  const ends = outcome.credentials.user_token_expires_at
  return { kind: 'renewed', userTokenExpiresAt: ends === null ? null : Date.parse(ends) }
}

export const createStatusActors = (deps: StatusActorDeps) => {
  const http = budgetedHttp(deps)
  return {
    readStatus: fromPromise<StatusReport>(() => readStatusReport(deps.loc)),
    verifyOnline: fromPromise<VerifyResult, VerifyInput>(({ input, signal }) => verifyStoredLogin(http(), input, signal)),
    renewLogin: fromPromise<RenewResult, RenewInput>(({ input, signal }) => renewForMachine({ ...deps, http: http() }, input, signal)),
  }
}
