import type { TokenSet } from '../../machines/shared.contract.js'
import type { TokenResponse } from './token-response.js'

/** A token response (RFC 6749 section 5.1) as the machines carry it: the user token, the refresh token and when it ends. */
export const toTokenSet = (tokens: TokenResponse, receivedAt: number): TokenSet => ({
  userToken: tokens.access_token,
  refreshToken: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : null,
  userTokenExpiresAt: typeof tokens.expires_in === 'number' ? receivedAt + tokens.expires_in * 1000 : null,
  receivedAt,
})
