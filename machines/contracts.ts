// The inputs and outputs of every effect a machine invokes. Machines declare these actors as
// placeholders; the Node effects (effects/node/node-actors.ts), a test, or a browser front end
// provide them. Times are epoch milliseconds measured by the effect that did the work, so a
// machine never reads a clock of its own and runs the same on XState's simulated clock.
import type { Failure } from './failure.js'

// --- shared ---------------------------------------------------------------------------------

export interface Account {
  accountId: string
  email: string
  tier: string
}

/** What a grant produced, before anyone has asked whose it is. */
export interface TokenSet {
  userToken: string
  refreshToken: string | null
  /** epoch ms, or null when the server gave no expiry */
  userTokenExpiresAt: number | null
  /** epoch ms at which the token answer arrived */
  receivedAt: number
}

/** The user-level session a login holds: the tokens and who they belong to. */
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
  /** epoch ms, or null when the file holds no expiry */
  userTokenExpiresAt: number | null
  /** it can be renewed (RFC 6749 section 6) */
  hasRefreshToken: boolean
  /** a later registration rotated its process token away (the file is marked): it must register again */
  processTokenReplaced?: boolean
  /** the file the login came from */
  path: string
}

export type AuthMethod = 'password' | 'device'

export interface CheckExistingInput {
  server: string
  method: AuthMethod
}

/** What the credential store found before anything went online (it has checked every file the login will write). */
export interface ExistingCheck {
  existing: ExistingLogin | null
  /** epoch ms at which the store was read */
  at: number
}

export interface IdentifyInput {
  server: string
  userToken: string
}

export interface LockInput {
  server: string
}

export interface RegisterProcessInput {
  server: string
  userToken: string
  processId: string
  name: string
}

export interface ProcessRegistration {
  /** optional, so a registration alone reads as one */
  kind?: 'registered'
  processId: string
  processToken: string
  /** epoch ms */
  processTokenExpiresAt: number
  /** epoch ms at which the registration answer arrived; the login is stamped with it */
  at: number
  /** ms the clock here was ahead of the server's (its Date header), or null when not told */
  clockSkewMs?: number | null
}

/**
 * A registration answer the engine could not use (a token with a newline, a malformed id or
 * expiry, a 500 or a cut answer after the server may have acted). The server may have rotated
 * the process token all the same, and issued one: what can be read of it is owed a revocation.
 */
export interface RefusedRegistration {
  kind: 'refused'
  failure: Failure
  /** the process token the refused answer carried, when one could be read (a secret, never shown) */
  strayProcessToken: string | null
  /** the request reached the server and may have rotated this process's token */
  mayHaveRotated: boolean
}

export type RegistrationOutcome = ProcessRegistration | RefusedRegistration

/** Marks the stored process token of one account and process as rotated away by a registration. */
export interface MarkReplacedInput {
  server: string
  accountId: string
  processId: string
}

export interface MarkReplacedResult {
  /** the credential files marked */
  marked: string[]
}

export interface PersistInput {
  server: string
  authMethod: AuthMethod
  session: UserSession
  process: ProcessRegistration & { name: string }
  /** epoch ms: when the login completed */
  loggedInAt: number
}

/** Tokens of one server that nothing on this machine holds any more. */
export interface TokensToRevoke {
  server: string
  tokens: string[]
}

export interface PersistResult {
  /** every credential file written, global and/or workspace */
  written: string[]
  /** files left as they were because they hold a later registration of this process */
  kept: string[]
  /** what the written files held before and no file holds now: revoked once the login is safe */
  replaced: TokensToRevoke[]
}

export interface RevokeInput {
  batches: TokensToRevoke[]
}

/** Why a login ends the way it does, as codes a front end words in its own way. */
export type LoginOutput =
  | {
      kind: 'loggedIn'
      email: string
      accountId: string
      processName: string
      server: string
      authMethod: AuthMethod
      /** files written */
      paths: string[]
      /** files kept because they hold a later registration of this process */
      kept: string[]
      /** the login these files held before, when it was another account, server or a forced one */
      replaced: ExistingLogin | null
      /** the replaced tokens were revoked at their server (null: there were none) */
      replacedRevoked: boolean | null
    }
  | {
      kind: 'alreadyLoggedIn'
      existing: ExistingLogin
      /** the server confirmed the login still works (false: it could not be asked) */
      confirmed: boolean
      /** its user token was renewed on the way */
      renewed: boolean
    }
  | {
      kind: 'failed'
      failure: Failure
      /** a cancelled pairing that can be picked up again until this epoch ms; null otherwise */
      resumableUntil: number | null
      /** tokens the server had issued were revoked (null: none had been issued) */
      issuedRevoked: boolean | null
      /** credential files whose process token the failed registration may have rotated away, marked so */
      markedReplaced?: string[]
    }

// --- grants ---------------------------------------------------------------------------------

/** What a grant machine ends with; the login machine goes on with the tokens. */
export type GrantOutput = { kind: 'granted'; tokens: TokenSet } | { kind: 'failed'; failure: Failure }

/** What the device grant tells its parent while it runs, so a front end can show the code. */
export interface PairingView {
  userCode: string
  verificationUri: string
  verificationUriComplete: string | null
  /** epoch ms after which the code is dead */
  deadline: number
  /** the polling interval in force, slow_down included */
  intervalMs: number
  /** the wait before the next poll, from the moment this view was sent */
  waitMs: number
  /** why the grant is backing off (the last polls failed), or null while the server answers */
  retrying: 'unreachable' | 'unavailable' | null
  /** polls answered (or failed to connect) so far */
  polls: number
}

// --- password grant -------------------------------------------------------------------------

export interface PromptInput {
  /** the email already known (from --email): not asked; null to ask */
  email: string | null
  /**
   * when the email is asked again after a wrong email or password: the last one, offered as the
   * answer (Enter keeps it), since either of the two may have been the wrong one
   */
  emailDefault?: string | null
  /** 1-based try number */
  attempt: number
  /** why the last try failed (wrongCredentials or rateLimited), to show before asking again */
  lastError: Failure | null
}

export interface Credentials {
  email: string
  password: string
}

/** The server to reach (its discovery document) before a password is asked for it. */
export interface ReachServerInput {
  server: string
}

export interface AuthenticateInput {
  server: string
  email: string
  password: string
}

export type AuthenticateResult =
  | { kind: 'granted'; tokens: TokenSet }
  /** the server's own reason, sanitized, or null */
  | { kind: 'invalid'; serverText: string | null }
  /** retryAfterMs from the Retry-After header (seconds or HTTP date); the host that asked */
  | { kind: 'rateLimited'; retryAfterMs: number; host: string | null }

export interface PasswordGrantInput {
  server: string
  email: string | null
  password: string | null
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

// --- device grant (RFC 8628) ----------------------------------------------------------------

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

/** The answers of one poll; `Tokens` is what a grant carries (the client's own poll keeps the server's response). */
export type PollResult<Tokens = TokenSet> = (
  | { kind: 'pending' }
  | { kind: 'slowDown' }
  | { kind: 'denied' }
  | { kind: 'expired' }
  /** invalid_grant: the code can no longer be used (it may have been approved and the answer lost) */
  | { kind: 'invalidGrant' }
  /** any 5xx or a 429: back off as after a connection error; Retry-After (429, 503) when sent */
  | { kind: 'unavailable'; status: number; retryAfterMs: number | null }
  | { kind: 'granted'; tokens: Tokens }
) & { /** epoch ms at which the answer arrived */ at: number }

export interface DeviceGrantInput {
  server: string
  name: string
  hostname: string
  /** cap on the backoff after connection failures (default 60000) */
  maxBackoffMs?: number
  /**
   * a backoff never waits longer than the interval plus this (default 10000), so a server that
   * is back is noticed within interval + this; a Retry-After the server sent still wins
   */
  noticeWithinMs?: number
  /**
   * the grant runs as a login's child and tells it the pairing after every answer
   * (`grant.pairing`); alone (the default) it tells nobody, its snapshot holds the pairing
   */
  reportsToParent?: boolean
}

// --- login ----------------------------------------------------------------------------------

export interface LoginInput {
  server: string
  method: AuthMethod
  /** process display name, shown to the approver of a device login and in the credential file */
  name: string
  /**
   * the process this login registers: `local-<workspace_id>` for the CLI (the workspace's id,
   * or one derived from its path); for another front end any stable id of letters, digits and
   * `. _ : -` (starting with a letter or digit, at most 128).
   * Every registration of the same id rotates its process token.
   */
  processId: string
  force: boolean
  /** the account asked for (--email), or null for whoever logs in */
  email: string | null
  /** password login: the password when given up front */
  password?: string | null
  /** password login: a terminal is there to prompt on */
  canPrompt?: boolean
  /**
   * device login: the machine's host name, shown to the approver beside `name`; a front end
   * without one (a web page) gives its own origin's host. Absent, the approver sees none.
   */
  hostname?: string
  /** options of the password grant (maxAttempts, maxRetries, retryBaseMs, maxRateLimitWaitMs) */
  passwordGrant?: Omit<PasswordGrantInput, 'server' | 'email' | 'password' | 'canPrompt'>
  /** options of the device grant (maxBackoffMs) */
  deviceGrant?: Omit<DeviceGrantInput, 'server' | 'name' | 'hostname'>
  /** how long a compensating revocation may take before the login ends anyway (default 3000) */
  revokeTimeoutMs?: number
  /** an existing login this close to its end is renewed, not repeated (default a day) */
  renewWithinMs?: number
}

export type LoginEvent =
  | { type: 'user.cancel' }
  /** Sent after restoring a persisted login: re-enters the pairing's wait with the current time. */
  | { type: 'app.resume'; now: number }
  | { type: 'grant.pairing'; pairing: PairingView }

// --- logout ---------------------------------------------------------------------------------

export interface CurrentAccount {
  accountId: string
  email: string
  server: string
  /** tokens to revoke, best effort (user token, refresh token, process token) */
  tokens: string[]
}

export interface DeleteFilesInput {
  accountId: string
}

export interface DeleteFilesResult {
  removed: string[]
}

export interface LogoutInput {
  /** the server the current login must be on (`--server` with `--logout`); null: any */
  expectedServer?: string | null
  /** how long revocation may take before the local delete goes ahead anyway (default 3000) */
  revokeTimeoutMs?: number
}

export type LogoutOutput =
  | { kind: 'loggedOut'; email: string; server: string; removed: string[]; revoked: boolean }
  | { kind: 'notLoggedIn' }
  | { kind: 'failed'; failure: Failure }

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
  authMethod?: AuthMethod
  loggedInAt?: string
  processTokenExpiresAt?: string | null
  /** ISO time at which a registration was seen to rotate the stored process token away, or null */
  processTokenReplacedAt?: string | null
  userTokenExpiresAt?: string | null
  /** every login on this machine that bears on here: the global file, then this workspace's (no secrets) */
  logins: StatusLogin[]
  /** stale temp and lock files this read removed */
  sweptTemps: string[]
  /** the global and workspace copies of one login differ (a crash between their writes) */
  twinsDiffer: boolean
  /** ms the clock here was ahead of the server's (negative: behind) when the login last reached it; null when not measured */
  clockSkewMs?: number | null
}

/** One credential file that bears on here, as `--status` lists it. */
export interface StatusLogin {
  path: string
  source: 'workspace' | 'global'
  email: string
  accountId: string
  server: string
  processName: string
  authMethod: AuthMethod
  /** ISO time, or null when the file holds no expiry */
  userTokenExpiresAt: string | null
  /** ISO time, or null when the file holds no expiry */
  processTokenExpiresAt: string | null
  /** ISO time at which the process token was seen rotated away, or null */
  processTokenReplacedAt: string | null
}

export interface VerifyInput {
  server: string
  path: string
}

export type VerifyResult = ({ kind: 'valid'; account: Account } | { kind: 'invalid'; failure: Failure }) & {
  /** epoch ms at which the server answered */
  at?: number
  /** ms the clock here is ahead of the server's (its Date header); null or absent when not told */
  clockSkewMs?: number | null
}

export interface RenewInput {
  server: string
  path: string
}

/** A user token renewed with its refresh token (RFC 6749 section 6), or why it could not be. */
export type RenewResult = { kind: 'renewed'; userTokenExpiresAt: number | null } | { kind: 'rejected' } | { kind: 'noRefreshToken' }

export interface StatusInput {
  /** also ask the server whether the user token still works */
  online: boolean
  /** the server the current login must be on (`--server` with `--status --verify`); null: any */
  expectedServer?: string | null
}

export type StatusOutput =
  | {
      kind: 'reported'
      report: StatusReport
      verified: VerifyResult | null
      /** the user token was renewed on the way (near its end, or rejected) */
      renewed: boolean
    }
  | {
      kind: 'failed'
      failure: Failure
      /** what the files said, when they were read before the failure (the server could not be asked, say) */
      report?: StatusReport
    }

/** Ends logout and status at once, wherever they are. */
export type CancelEvent = { type: 'user.cancel' }

// The actor names each machine invokes (and that `.provide({ actors })` fills):
//   login:          checkExisting, verifyExisting, renewLogin, passwordGrant | deviceGrant (child machines), identify,
//                   lockCredentials, registerProcess, persist, revokeTokens
//   password grant: promptCredentials, authenticate
//   device grant:   requestCode, pollToken
//   logout:         resolveAccount, revokeTokens, deleteFiles
//   status:         readStatus, verifyOnline, renewLogin
