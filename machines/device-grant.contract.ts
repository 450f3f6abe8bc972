// The device grant machine's effects (device-grant.machine.ts, RFC 8628): asking for a code and
// polling; what it shows while it waits; its input.
import type { TokenSet } from './shared.contract.js'

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
