// Renewing a user token with its refresh token (RFC 6749 section 6), for a login whose user
// token runs out: the token endpoint from discovery, the public client, and the server's
// answer sorted into values. A server that rotates refresh tokens sends a new one; one that
// does not keeps the old one working, and the caller keeps it.
//
// An answer refused here (a lifetime of 0, no token_type, a token with control characters)
// came after the server acted: it issued a user token and, when it rotates, spent the stored
// refresh token. What it carried is revoked at once, as acceptTokenResponse does for the other
// grants; what the server did not confirm is handed back for the caller to queue.
import type { TokenSet } from '../../machines/shared.contract.js'
import type { Failure } from '../../machines/failure.js'
import { parseTokenResponse } from './token-response.js'
import { discover } from './discovery.js'
import { EngineError } from './engine-error.js'
import { holdSecrets } from './held-secrets.js'
import { clockSkewOf } from './clock.js'
import { requestJson, type HttpDeps } from './http.js'
import { refusal } from './refusal.js'
import { revokeTokens } from './omicos-api.js'
import { hostOf } from './server-url.js'
import { toTokenSet } from './token-set.js'

export interface RefreshRequest {
  server: string
  clientId: string
  refreshToken: string
}

/**
 * `renewed` with the new tokens; `rejected` when the refresh token no longer works (log in
 * again); `refusedAnswer` when the server answered but its answer could not be used (see the
 * top): `spent` when it carried a new refresh token (so the stored one is used up), `owed`
 * the tokens whose revocation the server did not confirm.
 */
export type RefreshResult =
  | { kind: 'renewed'; tokens: TokenSet; clockSkewMs: number | null }
  | { kind: 'rejected' }
  | { kind: 'refusedAnswer'; failure: Failure; spent: boolean; owed: string[] }

const MAX_OWED_TOKEN = 8192

export const refreshUserToken = async (deps: HttpDeps & { now?: () => number }, request: RefreshRequest, signal?: AbortSignal): Promise<RefreshResult> => {
  const metadata = await discover(deps, request.server, signal)
  const endpoint = metadata.token_endpoint
  const answer = await requestJson(
    deps,
    endpoint,
    { form: { grant_type: 'refresh_token', refresh_token: request.refreshToken, client_id: request.clientId } },
    signal,
  )
  // The user token's lifetime is relative (expires_in): it counts from here, on this clock.
  const at = (deps.now ?? Date.now)()
  if (answer.status === 200) {
    const body = answer.body!
    let tokens: TokenSet
    try {
      tokens = toTokenSet(parseTokenResponse(body, hostOf(endpoint)), at)
    } catch (error) {
      if (!(error instanceof EngineError)) throw error
      return refuse(deps, request, body, error.failure)
    }
    // A server that does not rotate refresh tokens answers without one: the old one goes on.
    return { kind: 'renewed', tokens: { ...tokens, refreshToken: tokens.refreshToken ?? request.refreshToken }, clockSkewMs: clockSkewOf(answer.headers, at) }
  }
  if (answer.body?.error === 'invalid_grant' || answer.status === 401) return { kind: 'rejected' }
  throw refusal(endpoint, 'renewal', answer)
}

const refuse = async (deps: HttpDeps, request: RefreshRequest, body: Record<string, unknown>, failure: Failure): Promise<RefreshResult> => {
  const issued = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= MAX_OWED_TOKEN
  const refresh = issued(body.refresh_token) && body.refresh_token !== request.refreshToken ? body.refresh_token : null
  const access = issued(body.access_token) ? body.access_token : null
  holdSecrets(refresh, access)
  // The new refresh token first: revoking it ends the grant, the stored refresh token (spent by
  // this rotation) with it. Without one, only the user token goes: revoking an access token
  // leaves the grant, and the stored refresh token, alive (RFC 7009 section 2.1).
  const owed: string[] = []
  for (const token of [refresh, access]) {
    if (token === null) continue
    const done = await revokeTokens({ ...deps, clientId: request.clientId, timeoutMs: Math.min(deps.timeoutMs ?? 2_000, 2_000) }, request.server, [token]).catch(
      () => false,
    )
    if (!done) owed.push(token)
  }
  return { kind: 'refusedAnswer', failure, spent: refresh !== null, owed }
}
