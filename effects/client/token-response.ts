// The token response every grant shares (RFC 6749 section 5.1): checked before the engine
// relies on it, and, when refused, the tokens it carried taken back (RFC 7009).
import { seconds } from './answer-fields.js'
import { engineError } from './engine-error.js'
import { holdSecrets } from './held-secrets.js'
import { requestJson, type HttpDeps } from './http.js'
import { hasUnsafeChars, hostOf } from './server-url.js'
import type { DeviceGrantEndpoints } from './grant-endpoints.js'

/** A successful token response (RFC 6749 section 5.1), as sent, after basic checks. */
export interface TokenResponse {
  access_token: string
  token_type: string
  expires_in?: number
  refresh_token?: string
  scope?: string
  id_token?: string
  [key: string]: unknown
}

/**
 * The longest token the engine takes, stores or sends, whatever its kind (user, refresh,
 * process). A token travels in an `Authorization: Bearer` line, and common front servers cap a
 * request line at 8 KiB (nginx's large_client_header_buffers, Apache's LimitRequestFieldSize
 * 8190): 4096 leaves room for the rest of the line, and is more than twice the largest JWT an
 * OAuth server sends in practice (1-2 KiB). Anything longer is a server misbehaving.
 */
export const MAX_TOKEN_LENGTH = 4096

/** The longest token lifetime taken at its word: ten years. */
const MAX_TOKEN_LIFETIME_S = 10 * 365 * 86_400

/**
 * Checks the fields of a successful token response the engine relies on. The tokens are held
 * (held-secrets.ts) first, so no later server text can show them, whatever this decides.
 */
export const parseTokenResponse = (body: Record<string, unknown>, host: string | null): TokenResponse => {
  const { access_token, token_type, expires_in, refresh_token } = body
  holdSecrets(access_token, refresh_token, body.id_token)
  if (typeof access_token !== 'string' || !access_token || hasUnsafeChars(access_token)) {
    throw engineError('unusableTokenResponse', { host, field: 'access_token' })
  }
  if (typeof token_type !== 'string' || !token_type) throw engineError('unusableTokenResponse', { host, field: 'token_type' })
  // The engine only knows how to present a Bearer token (RFC 6750); a `mac` or `DPoP` token sent
  // as one would not be what the server meant (RFC 6749 section 7.1). The type is case-insensitive.
  if (token_type.toLowerCase() !== 'bearer') {
    throw engineError('tokenTypeNotBearer', { host })
  }
  if (refresh_token !== undefined && refresh_token !== null && (typeof refresh_token !== 'string' || hasUnsafeChars(refresh_token))) {
    throw engineError('unusableTokenResponse', { host, field: 'refresh_token' })
  }
  for (const [field, token] of [
    ['access_token', access_token],
    ['refresh_token', refresh_token],
  ] as const) {
    if (typeof token === 'string' && token.length > MAX_TOKEN_LENGTH) {
      throw engineError('tokenTooLong', { host, field, maxLength: MAX_TOKEN_LENGTH })
    }
  }
  if (expires_in === undefined || expires_in === null) return body as TokenResponse
  const lifetime = seconds(expires_in, 'token expires_in', 1, MAX_TOKEN_LIFETIME_S, host)
  return { ...body, expires_in: lifetime } as TokenResponse
}

/**
 * Takes back tokens the server issued in an answer the engine refuses (an absurd lifetime, a
 * missing field), best effort and bounded, so no live session is left that nothing holds.
 */
export const revokeIssued = async (
  deps: HttpDeps,
  revocationEndpoint: string | null | undefined,
  clientId: string,
  body: Record<string, unknown> | null,
): Promise<void> => {
  if (!revocationEndpoint || !body) return
  // The refresh token first: revoking it ends the grant, and with it the access token (RFC 7009 section 2.1).
  const tokens = [body.refresh_token, body.access_token].filter((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= 8192)
  for (const token of tokens) {
    await requestJson({ ...deps, timeoutMs: Math.min(deps.timeoutMs ?? 2_000, 2_000) }, revocationEndpoint, {
      form: { token, client_id: clientId },
      allowEmpty: true,
      lenient: true,
    }).catch(() => undefined)
  }
}

/** A token response the engine can use, or the tokens in it revoked and `bad_response` thrown. */
export const acceptTokenResponse = async (
  deps: HttpDeps,
  metadata: Pick<DeviceGrantEndpoints, 'revocation_endpoint'>,
  clientId: string,
  body: Record<string, unknown>,
  endpoint: string,
): Promise<TokenResponse> => {
  try {
    return parseTokenResponse(body, hostOf(endpoint))
  } catch (error) {
    await revokeIssued(deps, metadata.revocation_endpoint, clientId, body)
    throw error
  }
}
