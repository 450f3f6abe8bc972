// The first request of an RFC 8628 device grant (section 3.1): the codes a person is shown and
// the client polls with. Everything in the answer that can reach a terminal (the user code, the
// addresses) is checked first: no control characters or escape sequences, https or loopback
// http only, the addresses on the issuer's origin (section 5.4), a user code that looks like
// one (section 6.1). Every number is range-checked where it is parsed.
import type { DeviceAuthorization } from '../../machines/device-grant.contract.js'
import { seconds } from './answer-fields.js'
import { engineError } from './engine-error.js'
import { grantEndpoints, type DeviceGrantOptions } from './grant-endpoints.js'
import { holdSecrets } from './held-secrets.js'
import { requestJson } from './http.js'
import { refusal } from './refusal.js'
import { sanitizeServerText } from './sanitize-server-text.js'
import { checkSameOriginUrl, hasUnsafeChars, hostOf, originOf } from './server-url.js'

export interface DeviceAuthorizationRequest extends DeviceGrantOptions {
  scope?: string
  /** extra form parameters, for servers that take them */
  extraParams?: Record<string, string>
}

/** The device machine's own shape: the client hands its answer over unchanged. */
export type DeviceAuthorizationResponse = DeviceAuthorization

export const DEFAULT_INTERVAL_S = 5
const MAX_INTERVAL_S = 300
const MAX_EXPIRES_IN_S = 86_400
// RFC 8628 section 6.1: a code typed by a person is short. Counted without separators.
const MIN_USER_CODE = 4
const MAX_USER_CODE = 20

const printable = (value: unknown, field: string, maxLength: number): string => {
  if (typeof value !== 'string' || value.length === 0) throw engineError('unusableField', { host: null, field, problem: 'missing' })
  if (hasUnsafeChars(value)) throw engineError('unusableField', { host: null, field, problem: 'controlChars' })
  if (value.length > maxLength) throw engineError('unusableField', { host: null, field, problem: 'tooLong' })
  return value
}

/**
 * A code a person reads and types (RFC 8628 section 6.1): ASCII letters and digits, groups
 * split by one hyphen or space, 4..20 of them. Anything else, a shell command for one, is
 * not shown as "the pairing code".
 */
export const isUserCode = (value: string): boolean => {
  if (!/^[A-Za-z0-9]+(?:[- ][A-Za-z0-9]+)*$/.test(value)) return false
  const significant = value.replace(/[- ]/g, '').length
  return significant >= MIN_USER_CODE && significant <= MAX_USER_CODE
}

/**
 * An address shown and turned into a QR code: on the issuer's origin, and holding nothing the
 * sanitizer would change (no secret, such as the device code in its path, nothing invisible).
 */
const pairingAddress = (value: unknown, what: string, origin: string): string => {
  const url = checkSameOriginUrl(value, what, origin)
  if (sanitizeServerText(url, { maxLength: 4096 }) !== url) {
    throw engineError('unusableField', { host: null, field: what, problem: 'hidesSecret' })
  }
  return url
}

/**
 * Checks a device authorization response (RFC 8628 section 3.2). `origin` is the issuer's: the
 * addresses a person is told to open must be on it (section 5.4).
 */
export const parseDeviceAuthorization = (body: Record<string, unknown>, receivedAt: number, origin: string): DeviceAuthorizationResponse => {
  const deviceCode = printable(body.device_code, 'device_code', 4096)
  holdSecrets(deviceCode)
  const userCode = printable(body.user_code, 'user_code', 64)
  if (!isUserCode(userCode)) {
    throw engineError('unusableField', { host: null, field: 'user_code', problem: 'notUserCode', min: MIN_USER_CODE, max: MAX_USER_CODE })
  }
  const verificationUri = pairingAddress(body.verification_uri ?? body.verification_url, 'verification_uri', origin)
  const complete = body.verification_uri_complete ?? null
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: complete === null ? null : pairingAddress(complete, 'verification_uri_complete', origin),
    expiresIn: seconds(body.expires_in, 'expires_in', 1, MAX_EXPIRES_IN_S),
    interval: body.interval === undefined || body.interval === null ? DEFAULT_INTERVAL_S : seconds(body.interval, 'interval', 1, MAX_INTERVAL_S),
    receivedAt,
  }
}

/** Starts a device authorization (RFC 8628 section 3.1): the codes to show and to poll with. */
export const requestDeviceAuthorization = async (request: DeviceAuthorizationRequest, signal?: AbortSignal): Promise<DeviceAuthorizationResponse> => {
  const metadata = await grantEndpoints(request, signal)
  const where = request.server ?? metadata.token_endpoint
  const endpoint = metadata.device_authorization_endpoint
  if (!endpoint) throw engineError('noDeviceAuthorization', { host: hostOf(where) })
  const form: Record<string, string> = { ...request.extraParams, client_id: request.clientId }
  if (request.scope) form.scope = request.scope
  const answer = await requestJson(request, endpoint, { form }, signal)
  const now = (request.now ?? Date.now)()
  if (answer.status === 429) throw engineError('pairingRequestsLimited', { host: hostOf(endpoint) })
  if (answer.status !== 200) throw refusal(endpoint, 'deviceAuthorization', answer)
  // The issuer discovery vouched for (RFC 8414 section 3.3), else the server asked, else the endpoint's own.
  const issuer = metadata.issuer ?? request.server ?? endpoint
  return parseDeviceAuthorization(answer.body!, now, originOf(issuer) ?? issuer)
}
