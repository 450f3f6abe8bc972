// The OAuth password grant (RFC 6749 section 4.3) against the token endpoint, with the
// answers a login must tell apart returned as values: granted, wrong credentials, rate limited.
import type { AuthenticateResult } from '../../machines/password-grant.contract.js'
import { acceptTokenResponse, type TokenResponse } from './token-response.js'
import { discover } from './discovery.js'
import { engineError } from './engine-error.js'
import { requestJson, type HttpDeps } from './http.js'
import { refusal } from './refusal.js'
import { retryAfterMs } from './retry-after.js'
import { serverText } from './sanitize-server-text.js'
import { hostOf } from './server-url.js'
import { toTokenSet } from './token-set.js'

export interface PasswordGrantRequest {
  server: string
  clientId: string
  scope: string
  email: string
  password: string
}

export type PasswordGrantResult =
  | { kind: 'granted'; tokens: TokenResponse; at: number }
  | { kind: 'invalid'; serverText: string | null }
  | { kind: 'rateLimited'; retryAfterMs: number; host: string | null }

type Deps = HttpDeps & { now?: () => number }

export const passwordGrant = async (deps: Deps, request: PasswordGrantRequest, signal?: AbortSignal): Promise<PasswordGrantResult> => {
  const metadata = await discover(deps, request.server, signal)
  const endpoint = metadata.token_endpoint
  const host = hostOf(endpoint)
  const answer = await requestJson(
    deps,
    endpoint,
    {
      form: {
        grant_type: 'password',
        username: request.email,
        password: request.password,
        client_id: request.clientId,
        scope: request.scope,
      },
    },
    signal,
  )
  const at = (deps.now ?? Date.now)()
  if (answer.status === 200 && answer.body) {
    return { kind: 'granted', tokens: await acceptTokenResponse(deps, metadata, request.clientId, answer.body, endpoint), at }
  }
  if (answer.status === 429) {
    return { kind: 'rateLimited', retryAfterMs: retryAfterMs(answer.headers.get('retry-after'), at, 60_000, host), host }
  }
  const error = answer.body?.error
  if (error === 'invalid_grant') {
    // The server's own words, cleaned: one that echoes the password shows `[redacted]`.
    return { kind: 'invalid', serverText: serverText(answer.body?.error_description) }
  }
  if (error === 'unsupported_grant_type' || error === 'unauthorized_client') {
    throw engineError('noPasswordLogin', { host })
  }
  throw refusal(endpoint, 'login', answer)
}

/** The password grant as the machine's `authenticate` effect: the tokens, not yet whose. */
export const authenticateWithPassword = async (deps: Deps, request: PasswordGrantRequest, signal?: AbortSignal): Promise<AuthenticateResult> => {
  const result = await passwordGrant(deps, request, signal)
  if (result.kind !== 'granted') return result
  return { kind: 'granted', tokens: toTokenSet(result.tokens, result.at) }
}
