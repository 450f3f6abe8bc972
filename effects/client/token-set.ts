import type { TokenSet } from '../../machines/contracts.js'
import type { TokenResponse } from './device-grant.js'

/**
 * The longest token the engine takes, stores or sends, whatever its kind (user, refresh,
 * process). A token travels in an `Authorization: Bearer` line, and common front servers cap a
 * request line at 8 KiB (nginx's large_client_header_buffers, Apache's LimitRequestFieldSize
 * 8190): 4096 leaves room for the rest of the line, and is more than twice the largest JWT an
 * OAuth server sends in practice (1-2 KiB). Anything longer is a server misbehaving.
 */
export const MAX_TOKEN_LENGTH = 4096

/** A token response (RFC 6749 section 5.1) as the machines carry it: the user token, the refresh token and when it ends. */
export const toTokenSet = (tokens: TokenResponse, receivedAt: number): TokenSet => ({
  userToken: tokens.access_token,
  refreshToken: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : null,
  userTokenExpiresAt: typeof tokens.expires_in === 'number' ? receivedAt + tokens.expires_in * 1000 : null,
  receivedAt,
})
