// One poll of the token endpoint in an RFC 8628 device grant (section 3.4), its answers as
// values the device grant machine decides on.
import type { PollResult } from '../../machines/device-grant.contract.js'
import { grantEndpoints, type DeviceGrantOptions } from './grant-endpoints.js'
import { requestJson } from './http.js'
import { refusal } from './refusal.js'
import { parseRetryAfter } from './retry-after.js'
import { hostOf } from './server-url.js'
import { acceptTokenResponse, type TokenResponse } from './token-response.js'

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'

export interface DeviceTokenRequest extends DeviceGrantOptions {
  deviceCode: string
}

/** The answers of one poll, as the machine's `PollResult` names them, with the tokens as the server sent them. */
export type DevicePollResult = PollResult<TokenResponse>

/**
 * One poll of the token endpoint (RFC 8628 section 3.4). The protocol's answers are values:
 * `authorization_pending`, `slow_down`, `access_denied`, `expired_token`, `invalid_grant` (the
 * code is unknown now: past its lifetime, or already redeemed by an answer that was lost), and
 * success. Any 5xx and any 429 are `unavailable`, with the wait `Retry-After` asks for (429
 * and 503): a bad minute on the server is not the end of a pairing. Anything else throws
 * `bad_response`; a connection failure throws `unreachable`.
 */
export const pollDeviceToken = async (request: DeviceTokenRequest, signal?: AbortSignal): Promise<DevicePollResult> => {
  const metadata = await grantEndpoints(request, signal)
  const endpoint = metadata.token_endpoint
  const answer = await requestJson(
    request,
    endpoint,
    { form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: request.deviceCode, client_id: request.clientId }, serverErrors: true },
    signal,
  )
  const at = (request.now ?? Date.now)()
  const { status } = answer
  if (status === 200 && answer.body) {
    return { kind: 'granted', tokens: await acceptTokenResponse(request, metadata, request.clientId, answer.body, endpoint), at }
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(answer.headers.get('retry-after'), at, hostOf(endpoint)) : null
    return { kind: 'unavailable', status, retryAfterMs, at }
  }
  switch (answer.body?.error) {
    case 'authorization_pending':
      return { kind: 'pending', at }
    case 'slow_down':
      return { kind: 'slowDown', at }
    case 'access_denied':
      return { kind: 'denied', at }
    case 'expired_token':
      return { kind: 'expired', at }
    case 'invalid_grant':
      return { kind: 'invalidGrant', at }
  }
  throw refusal(endpoint, 'deviceToken', answer)
}
