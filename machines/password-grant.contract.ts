// The password grant machine's effects (password-grant.machine.ts): prompting and
// authenticating; its input.
import type { Failure } from './failure.js'
import type { TokenSet } from './shared.contract.js'

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
