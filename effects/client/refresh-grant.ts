// Renewing a user token with its refresh token (RFC 6749 section 6), for a login whose user
// token runs out: the token endpoint from discovery, the public client, and the server's
// answer sorted into values. A server that rotates refresh tokens sends a new one; one that
// does not keeps the old one working, and the caller keeps it.
import type { TokenSet } from '../../machines/contracts.js'
import { parseTokenResponse } from './device-grant.js'
import { discover } from './discovery.js'
import { EngineError } from './engine-error.js'
import { refusalMessage, requestJson, type HttpDeps } from './http.js'
import { toTokenSet } from './token-set.js'

export interface RefreshRequest {
  server: string
  clientId: string
  refreshToken: string
}

/** `renewed` with the new tokens, or `rejected` when the refresh token no longer works (log in again). */
export type RefreshResult = { kind: 'renewed'; tokens: TokenSet } | { kind: 'rejected' }

export const refreshUserToken = async (
  deps: HttpDeps & { now?: () => number },
  request: RefreshRequest,
  signal?: AbortSignal,
): Promise<RefreshResult> => {
  const metadata = await discover(deps, request.server, signal)
  const endpoint = metadata.token_endpoint
  const answer = await requestJson(
    deps,
    endpoint,
    { form: { grant_type: 'refresh_token', refresh_token: request.refreshToken, client_id: request.clientId } },
    signal,
  )
  const at = (deps.now ?? Date.now)()
  if (answer.status === 200) {
    const tokens = toTokenSet(parseTokenResponse(answer.body!, new URL(endpoint).host), at)
    // A server that does not rotate refresh tokens answers without one: the old one goes on.
    return { kind: 'renewed', tokens: { ...tokens, refreshToken: tokens.refreshToken ?? request.refreshToken } }
  }
  if (answer.body?.error === 'invalid_grant' || answer.status === 401) return { kind: 'rejected' }
  throw new EngineError('bad_response', refusalMessage(endpoint, 'the token renewal', answer))
}
