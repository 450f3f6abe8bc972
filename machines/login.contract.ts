// The login machine's effects (login.machine.ts): the existing login, identifying the account,
// locking, registering the process, persisting, revoking; its input, events and outcome.
import type { Failure } from './failure.js'
import type { DeviceGrantInput, PairingView } from './device-grant.contract.js'
import type { PasswordGrantInput } from './password-grant.contract.js'
import type { AuthMethod, ExistingLogin, TokensToRevoke, UserSession } from './shared.contract.js'

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

export interface PersistResult {
  /** every credential file written, global and/or workspace */
  written: string[]
  /** files left as they were because they hold a later registration of this process */
  kept: string[]
  /** what the written files held before and no file holds now: revoked once the login is safe */
  replaced: TokensToRevoke[]
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
