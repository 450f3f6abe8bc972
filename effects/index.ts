// `omicos-auth/effects`: what a front end needs to run the machines with effects of its own,
// in three groups. The package's main entry (effects/node/api.ts) is the one-call-per-flow API;
// this entry is for those who build their own.
//
// 1. The runtime-neutral client (effects/client/: fetch only, also in a browser): the guarded
//    HTTP request, discovery, the OAuth grants, the omicOS API, the pairing actors and the
//    runner that runs a machine to its end and keeps a waiting login through a storage port.
// 2. The credential store (effects/store/, Node): the file format and the operations on it.
// 3. The Node world (effects/node/): the actors the CLI provides, its fetch, prompts, the
//    environment and the daemon's resolver.
export { EngineError } from './client/engine-error.js'
export { runToEnd, runResumableLogin, type RunOptions, type SnapshotStore, type ResumableLoginOptions } from './client/run-actor.js'
export { createPairingActors, type PairingClient } from './client/pairing-actors.js'
export { toTokenSet } from './client/token-set.js'
export { refreshUserToken, type RefreshRequest } from './client/refresh-grant.js'
export { sanitizeServerText, serverText, REDACTED as SERVER_TEXT_REDACTED } from './client/sanitize-server-text.js'
export { holdSecrets, heldSecrets } from './client/held-secrets.js'
export { DEFAULT_SERVER, parseServerUrl, cloudBase, isLoopbackHost } from './client/server-url.js'
export { requestJson, type FetchLike, type HttpDeps, type JsonResponse } from './client/http.js'
export { discover, forgetDiscovery, type ServerMetadata } from './client/discovery.js'
export {
  requestDeviceAuthorization,
  pollDeviceToken,
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorizationResponse,
  type DevicePollResult,
  type TokenResponse,
} from './client/device-grant.js'
export { passwordGrant, authenticateWithPassword, type PasswordGrantResult } from './client/password-grant.js'
export { fetchAccount, getAccount, registerProcess, checkProcessToken, revokeTokens, revokeTokensOrThrow, type ProcessTokenCheck } from './client/omicos-api.js'
export {
  buildCredentialFile,
  parseCredentialFile,
  serializeCredentialFile,
  CREDENTIAL_FILE_VERSION,
  type CredentialFile,
} from './store/credential-file.js'
export {
  CREDENTIAL_FILE_NAME,
  globalCredentialPath,
  workspaceCredentialPath,
  readCredentialFile,
  persistCredentials,
  readActive,
  deleteByAccount,
  loginTargetPath,
  checkLoginTargets,
  lockLoginTargets,
  readStoreStatus,
  repairTwins,
  takePendingRevocations,
  putBackRevocations,
  type StoreLocation,
  type ActiveCredentials,
  type LockOptions,
} from './store/credential-store.js'
export { resolveCredentials, refreshProcessToken, type RefreshOptions, type RefreshResult } from './node/resolver.js'
export { findWorkspaceRoot, resolveWorkspace, derivedWorkspaceId, type Workspace } from './store/workspace.js'
export { omicosHome, hostName, defaultProcessName } from './node/environment.js'
export { promptCredentials, readSecretFromStream, type PromptClasses } from './node/prompts.js'
export { createNodeActors, loadPromptClasses, type NodeActorOptions, type NodeActors } from './node/node-actors.js'
export { nodeFetch } from './node/node-fetch.js'
