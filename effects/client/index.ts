// `omicos-auth/client`: the runtime-neutral half of the effects, for any front end that has a
// `fetch` (a browser page, a desktop app's renderer, a worker, Node): the one guarded HTTP
// request, discovery, the OAuth grants, the omicOS API, the pairing actors, and the runner
// that runs a machine to its end and keeps a waiting login through a storage port. Nothing
// here imports a Node built-in; spec/machines/runtime-neutral.spec.ts bundles it for a browser.
export { CLIENT_ID, DEFAULT_SCOPE } from './client-defaults.js'
export { EngineError } from './engine-error.js'
export { runToEnd, runResumableLogin, type RunOptions, type SnapshotStore, type ResumableLoginOptions } from './run-actor.js'
export { createPairingActors, type PairingClient } from './pairing-actors.js'
export { toTokenSet } from './token-set.js'
export { refreshUserToken, type RefreshRequest, type RefreshResult } from './refresh-grant.js'
export { sanitizeServerText, serverText, REDACTED as SERVER_TEXT_REDACTED } from './sanitize-server-text.js'
export { holdSecrets, heldSecrets } from './held-secrets.js'
export { secretSafeInspector } from './safe-inspector.js'
export type { SecretSafeInspector } from '../../machines/secret-safe-mark.js'
export { DEFAULT_SERVER, parseServerUrl, cloudBase, isLoopbackHost, namesScheme, hasUnsafeChars, hostOf } from './server-url.js'
export { emailProblem, normalizeEmail, type EmailProblem } from './email.js'
export { steadyClock, SKEW_WORTH_TELLING_MS } from './clock.js'
export { requestJson, type FetchLike, type HttpDeps, type JsonResponse } from './http.js'
export { discover, forgetDiscovery, type ServerMetadata } from './discovery.js'
export {
  requestDeviceAuthorization,
  pollDeviceToken,
  runDeviceGrant,
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorizationResponse,
  type DevicePollResult,
  type DeviceGrantEndpoints,
  type RunDeviceGrantOptions,
  type TokenResponse,
} from './device-grant.js'
export { passwordGrant, authenticateWithPassword, type PasswordGrantResult } from './password-grant.js'
export { fetchAccount, getAccount, registerProcess, checkProcessToken, revokeTokens, revokeTokensOrThrow, type ProcessTokenCheck } from './omicos-api.js'
// The credential file's format is runtime-neutral (no file access): a front end that keeps a
// login elsewhere (a browser's storage) keeps the same fields the CLI writes.
export { credentialFileFromLogin, buildCredentialFile, CREDENTIAL_FILE_VERSION, type CredentialFile } from './credential-record.js'
export {
  createDeviceLoginEffects,
  asCredentialRecord,
  type CredentialStorage,
  type DeviceLoginEffectOptions,
} from './device-login-effects.js'
