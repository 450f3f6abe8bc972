// The credential store: which files a login writes and keeps, in which order, what logout
// removes, what status and the daemon read, and what a crash leaves to clean up. What callers
// outside effects/store/ use is exported here; each file below does one of these things.
//
// - Global file: `<home>/cloud_login.json`; workspace file: `<root>/.omicos/cloud_login.json`
//   (home.ts, locations.ts, workspace.ts). Files 0600, directories 0700 (private-file.ts).
// - Every operation first checks the directories it enters (places.ts: no link, yours, 0700)
//   and sweeps what dead writers left there (sweep.ts, stale-files.ts): their tokens go to the
//   revocation queue (revocation-queue.ts).
// - Before a login goes online, the files it will write are checked, then locked before it
//   registers its process (login-targets.ts); it writes them (persist-login.ts) as twins when
//   the workspace keeps a copy (twins.ts, repair-twins.ts). Renewals and refreshes rewrite a
//   file only while it holds what they read (rewrite-credentials.ts).
// - Status reads (store-status.ts); logout removes one account's files (delete-account.ts).
// - A file in the way that is a link, not a regular file, not yours, readable by others, or not
//   a valid credential file stops the operation with `local_files`: never overwritten.
export { CREDENTIAL_FILE_NAME, globalCredentialPath, workspaceCredentialPath, type StoreLocation, type WorkspaceFile } from './locations.js'
export {
  withLocks,
  assertLocksHeld,
  readLock,
  liveHolderOf,
  lockPathOf,
  LockLostError,
  type LockOptions,
  type LockPurpose,
  type LockInfo,
  type LockWait,
} from './lock.js'
export { takePendingRevocations, putBackRevocations, mergeRevocations, type Revocation } from './revocation-queue.js'
export { readCredentialFile, type StoredCredentials } from './stored-credentials.js'
export { adoptRenewals } from './sweep.js'
export { assertHomeUsable, checkLoginTargets, loginLockTargets, lockLoginTargets, loginTargetPath } from './login-targets.js'
export { persistLogin, persistCredentials, holdsLaterRegistration, type PersistOutcome } from './persist-login.js'
export { rewriteIfUnchanged, rewriteTextIfUnchanged, markProcessReplaced } from './rewrite-credentials.js'
export { readStoreStatus, readActive, type StoreStatus, type ActiveCredentials } from './store-status.js'
export { repairTwins } from './repair-twins.js'
export type { TwinReport } from './twins.js'
export { deleteByAccount, type DeleteOutcome } from './delete-account.js'
