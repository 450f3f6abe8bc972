// The inputs and outputs of every effect a machine invokes. Machines declare these actors as
// placeholders; the Node effects (effects/node/node-actors.ts), a test, or a browser front end
// provide them. Times are epoch milliseconds measured by the effect that did the work, so a
// machine never reads a clock of its own and runs the same on XState's simulated clock.

// --- shared ---------------------------------------------------------------------------------

export interface Account {
  accountId: string
  email: string
  tier: string
}

/** The user-level session a grant produced: the long-lived user token and who it belongs to. */
export interface UserSession {
  userToken: string
  /** epoch ms, or null when the server gave no expiry */
  userTokenExpiresAt: number | null
  refreshToken: string | null
  account: Account
}

/** Who is logged in already, as the credential store sees it (no secrets). */
export interface ExistingLogin {
  email: string
  accountId: string
  server: string
  processName: string
  authMethod: 'password' | 'device'
  /** the file the login came from */
  path: string
}

export interface CheckExistingInput {
  server: string
}

export interface RegisterProcessInput {
  server: string
  userToken: string
  processId: string
  name: string
}

export interface ProcessRegistration {
  processId: string
  processToken: string
  /** epoch ms */
  processTokenExpiresAt: number
  /** epoch ms at which the registration answer arrived; the login is stamped with it */
  at: number
}

export interface PersistInput {
  server: string
  authMethod: 'password' | 'device'
  session: UserSession
  process: ProcessRegistration & { name: string }
  /** epoch ms: when the login completed */
  loggedInAt: number
}

export interface PersistResult {
  /** every credential file written, global and/or workspace */
  paths: string[]
}

/** The tagged outcome every login machine ends with. */
export type LoginOutput =
  | { kind: 'loggedIn'; email: string; accountId: string; processName: string; paths: string[] }
  | { kind: 'alreadyLoggedIn'; existing: ExistingLogin }
  | { kind: 'failed'; failure: import('./failure.js').Failure }

// --- password login -------------------------------------------------------------------------

export interface PromptInput {
  /** the email already known (from --email or the last try), or null */
  email: string | null
  /** 1-based try number */
  attempt: number
  /** why the last try failed, to show before asking again */
  lastError: string | null
}

export interface Credentials {
  email: string
  password: string
}

export interface AuthenticateInput {
  server: string
  email: string
  password: string
}

export type AuthenticateResult =
  | { kind: 'granted'; session: UserSession }
  | { kind: 'invalid'; message: string }
  /** retryAfterMs from the Retry-After header (seconds or HTTP date) */
  | { kind: 'rateLimited'; retryAfterMs: number; message: string }

// --- device login (RFC 8628) ----------------------------------------------------------------

export interface RequestCodeInput {
  server: string
  /** process display name, shown to the approver */
  name: string
  hostname: string
}

export interface DeviceAuthorization {
  deviceCode: string
  userCode: string
  verificationUri: string
  verificationUriComplete: string | null
  /** seconds, from the server */
  expiresIn: number
  /** seconds; 5 when the server sent none (RFC 8628 section 3.2) */
  interval: number
  /** epoch ms at which the response arrived */
  receivedAt: number
}

export interface PollInput {
  server: string
  deviceCode: string
}

export type PollResult = (
  | { kind: 'pending' }
  | { kind: 'slowDown' }
  | { kind: 'denied' }
  | { kind: 'expired' }
  /** invalid_grant: the code can no longer be used (it may have been approved and the answer lost) */
  | { kind: 'invalidGrant' }
  /** any 5xx or a 429: back off as after a connection error; Retry-After (429, 503) when sent */
  | { kind: 'unavailable'; status: number; retryAfterMs: number | null }
  | { kind: 'granted'; session: UserSession }
) & { /** epoch ms at which the answer arrived */ at: number }

// --- logout ---------------------------------------------------------------------------------

export interface CurrentAccount {
  accountId: string
  email: string
  server: string
  /** tokens to revoke, best effort (user token, refresh token, process token) */
  tokens: string[]
}

export interface RevokeInput {
  server: string
  tokens: string[]
}

export interface DeleteFilesInput {
  accountId: string
}

export interface DeleteFilesResult {
  removed: string[]
}

export type LogoutOutput =
  | { kind: 'loggedOut'; email: string; removed: string[]; revoked: boolean }
  | { kind: 'notLoggedIn' }
  | { kind: 'failed'; failure: import('./failure.js').Failure }

// --- status ---------------------------------------------------------------------------------

export interface StatusReport {
  loggedIn: boolean
  /** the global file: what the page calls the config path, wherever the command runs */
  configPath: string
  /** the file the daemon would use in this directory, or null when there is none */
  activePath: string | null
  activeSource: 'workspace' | 'global' | null
  email?: string
  accountId?: string
  tier?: string
  processName?: string
  processId?: string
  server?: string
  authMethod?: 'password' | 'device'
  loggedInAt?: string
  processTokenExpiresAt?: string | null
  userTokenExpiresAt?: string | null
}

export interface VerifyInput {
  server: string
  path: string
}

export type VerifyResult = { kind: 'valid'; account: Account } | { kind: 'invalid'; message: string }

export type StatusOutput =
  | { kind: 'reported'; report: StatusReport; verified: VerifyResult | null }
  | { kind: 'failed'; failure: import('./failure.js').Failure }

// --- machine inputs and events --------------------------------------------------------------
// The actor names each machine invokes (and that `.provide({ actors })` fills):
//   password login: checkExisting, promptCredentials, authenticate, registerProcess, persist
//   device login:   checkExisting, requestCode, pollToken, registerProcess, persist
//   logout:         resolveAccount, revokeTokens, deleteFiles
//   status:         readStatus, verifyOnline

export interface PasswordLoginInput {
  server: string
  email: string | null
  password: string | null
  name: string
  processId: string
  force: boolean
  /** a terminal is there to prompt on (re-prompts after a wrong password need one) */
  canPrompt: boolean
  /** tries in all, wrong passwords included (default 3) */
  maxAttempts?: number
  /** extra tries after a connection failure (default 2) */
  maxRetries?: number
  /** first backoff after a connection failure, doubled each time (default 500) */
  retryBaseMs?: number
  /** the longest Retry-After the login waits out before giving up with `refused` (default 15000) */
  maxRateLimitWaitMs?: number
}

export interface DeviceLoginInput {
  server: string
  name: string
  hostname: string
  processId: string
  force: boolean
  /** cap on the backoff after connection failures (default 60000) */
  maxBackoffMs?: number
}

export interface LogoutInput {
  /** how long revocation may take before the local delete goes ahead anyway (default 3000) */
  revokeTimeoutMs?: number
}

export interface StatusInput {
  /** also ask the server whether the user token still works */
  online: boolean
}

export type LoginEvent = { type: 'user.cancel' }
/** Sent after restoring a persisted device login: re-enters the wait with the current time. */
export type DeviceLoginEvent = LoginEvent | { type: 'app.resume'; now: number }
