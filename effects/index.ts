// `omicos-auth/effects`: what a Node front end needs to run the machines with effects of its
// own, in three groups (a browser takes the first alone, from `omicos-auth/client`). The
// package's main entry (effects/node/api.ts) is the one-call-per-flow API; this entry is for
// those who build their own.
//
// 1. The runtime-neutral client (effects/client/: fetch only, also in a browser): the guarded
//    HTTP request, discovery, the OAuth grants, the omicOS API, the pairing actors and the
//    runner that runs a machine to its end and keeps a waiting login through a storage port.
// 2. The credential store (effects/store/, Node): the file format and the operations on it.
// 3. The Node world (effects/node/): the actors the CLI provides, its fetch, prompts, the
//    environment and the daemon's resolver.
export * from './client/index.js'
export { parseCredentialFile, serializeCredentialFile } from './store/credential-file.js'
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
} from './store/index.js'
export { resolveCredentials, refreshProcessToken, type RefreshOptions, type RefreshResult } from './node/resolver.js'
export { findWorkspaceRoot, resolveWorkspace, derivedWorkspaceId, type Workspace } from './store/workspace.js'
export { omicosHome, type Env } from './store/home.js'
export { hostName, defaultProcessName } from './node/environment.js'
export { promptCredentials, readSecretFromStream, type PromptClasses } from './node/prompts.js'
export { createNodeActors, loadPromptClasses, type NodeActorOptions, type NodeActors } from './node/node-actors.js'
export { nodeFetch, lookUpHostsInChildProcess } from './node/node-fetch.js'
