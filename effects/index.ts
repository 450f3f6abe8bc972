// The Node effects of omicos-auth: the credential store, the resolver for the daemon and other
// front ends, the RFC 8628 device grant client, and the actors that run the machines in Node.
export { EngineError } from './client/engine-error.js'
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
export { fetchAccount, getAccount, registerProcess, checkProcessToken, revokeTokens, type ProcessTokenCheck } from './client/omicos-api.js'
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
