// An RFC 8628 device authorization grant client that works against any conforming server:
// no omicOS additions are needed or assumed. Public entry: `omicos-auth/device-grant`.
//
//   const tokens = await runDeviceGrant({ server, clientId: 'my-cli', scope: 'openid',
//     onCode: (auth) => show(auth.verificationUri, auth.userCode), signal })
//
// `runDeviceGrant` (run-device-grant.ts) is the whole grant, paced as RFC 8628 section 3.5
// says; the two requests it is made of (`requestDeviceAuthorization` in
// device-authorization.ts, `pollDeviceToken` in device-token-poll.ts) are exported for callers
// that pace themselves, such as the login machine's device grant. The token response they
// share with the other grants is token-response.ts.
//
// This file is that entry and nothing else: the engine's own modules import the ones above.
export type { FetchLike } from './http.js'
export type { DeviceGrantEndpoints, DeviceGrantOptions } from './grant-endpoints.js'
export {
  requestDeviceAuthorization,
  parseDeviceAuthorization,
  isUserCode,
  DEFAULT_INTERVAL_S,
  type DeviceAuthorizationRequest,
  type DeviceAuthorizationResponse,
} from './device-authorization.js'
export { pollDeviceToken, DEVICE_CODE_GRANT_TYPE, type DeviceTokenRequest, type DevicePollResult } from './device-token-poll.js'
export { parseTokenResponse, acceptTokenResponse, revokeIssued, type TokenResponse } from './token-response.js'
export { runDeviceGrant, type RunDeviceGrantOptions } from './run-device-grant.js'
// `inspect` takes only an inspector wrapped by it: the grant's device code and tokens never reach a raw one.
export { secretSafeInspector } from './safe-inspector.js'
export type { SecretSafeInspector } from '../../machines/secret-safe-mark.js'
