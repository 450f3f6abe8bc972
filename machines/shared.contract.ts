// The inputs and outputs of the effects the machines invoke, one file a machine
// (login.contract.ts, password-grant.contract.ts, device-grant.contract.ts, logout.contract.ts,
// status.contract.ts) and this one for what more than one of them speaks of: the account, the
// tokens a grant produced, the login a file holds, the online check and renewal that login and
// status both run. Machines declare their actors as placeholders; the Node effects
// (effects/node/node-actors.ts), a test, or a browser front end provide them. Times are epoch
// milliseconds measured by the effect that did the work, so a machine never reads a clock of its
// own and runs the same on XState's simulated clock.
import type { Failure } from './failure.js'

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

/** Tokens of one server that nothing on this machine holds any more. */
export interface TokensToRevoke {
  server: string
  tokens: string[]
}

export interface RevokeInput {
  batches: TokensToRevoke[]
}

/** What a grant machine ends with; the login machine goes on with the tokens. */
export type GrantOutput = { kind: 'granted'; tokens: TokenSet } | { kind: 'failed'; failure: Failure }

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

/** Ends logout and status at once, wherever they are. */
export type CancelEvent = { type: 'user.cancel' }
