// What the page shows for a login snapshot: a plain value, kept apart from the DOM, the way the
// CLI keeps its terminal rendering apart from its commands. `now` is the page's clock, read
// only to count down the time left; the machine decides expiry on its own, and whether a
// cancelled pairing can go on (`resumableUntil` in its outcome).
import type { SnapshotFrom } from 'xstate'
import { pairingViewOf, type FailureKind, type loginMachine } from 'omicos-auth/machines'
import { describeFailure } from './failure-words.js'

export type LoginSnapshot = SnapshotFrom<typeof loginMachine>

export type PairingStep =
  | 'checkingExisting'
  | 'requestingCode'
  | 'awaitingApproval'
  | 'identifying'
  | 'locking'
  | 'registeringProcess'
  | 'persisting'
  | 'revokingReplaced'
  | 'revokingIssued'
  | 'loggedIn'
  | 'alreadyLoggedIn'
  | 'failed'

export interface PairingView {
  step: PairingStep
  /** one line for a person */
  headline: string
  userCode: string | null
  verificationUri: string | null
  verificationUriComplete: string | null
  /** whole seconds until the code dies, never below 0 */
  secondsLeft: number | null
  intervalSeconds: number | null
  polls: number
  /** the next poll is a backoff after connection failures */
  backingOff: boolean
  email: string | null
  failure: { kind: FailureKind; message: string } | null
  /** a cancelled pairing that a reload continues: whole seconds its code has left */
  resumableSeconds: number | null
}

const HEADLINES: Record<PairingStep, string> = {
  checkingExisting: 'Looking for a login kept in this tab…',
  requestingCode: 'Asking the server for a pairing code…',
  awaitingApproval: 'Approve this code on another device',
  identifying: 'Approved: asking whose login it is…',
  locking: 'Approved: registering this page…',
  registeringProcess: 'Approved: registering this page…',
  persisting: 'Keeping the login in this tab…',
  revokingReplaced: 'Logged in: retiring the login it replaced…',
  revokingIssued: 'Not logged in: taking back the tokens it was given…',
  loggedIn: 'Logged in',
  alreadyLoggedIn: 'Already logged in',
  failed: 'Not logged in',
}

export const stepOf = (snapshot: LoginSnapshot): PairingStep => {
  if (snapshot.matches('deviceGrant')) return snapshot.context.pairing ? 'awaitingApproval' : 'requestingCode'
  const value = typeof snapshot.value === 'string' ? snapshot.value : 'failed'
  return value in HEADLINES ? (value as PairingStep) : 'failed'
}

export const viewOf = (snapshot: LoginSnapshot, now: number): PairingView => {
  const step = stepOf(snapshot)
  const c = snapshot.context
  const pairing = step === 'awaitingApproval' ? pairingViewOf(snapshot) : null
  const failure = step === 'failed' && c.error ? { kind: c.error.kind, message: describeFailure(c.error) } : null
  return {
    step,
    headline: HEADLINES[step],
    userCode: pairing?.userCode ?? null,
    verificationUri: pairing?.verificationUri ?? null,
    verificationUriComplete: pairing?.verificationUriComplete ?? null,
    secondsLeft: pairing ? Math.max(0, Math.ceil((pairing.deadline - now) / 1000)) : null,
    intervalSeconds: pairing ? pairing.intervalMs / 1000 : null,
    polls: pairing?.polls ?? 0,
    backingOff: pairing?.retrying != null,
    email: step === 'loggedIn' ? (c.account?.email ?? null) : step === 'alreadyLoggedIn' ? (c.existing?.email ?? null) : null,
    failure,
    resumableSeconds: step === 'failed' && c.resumableUntil !== null && c.resumableUntil > now ? Math.ceil((c.resumableUntil - now) / 1000) : null,
  }
}

/** `9:05` for 545 seconds. */
export const formatSeconds = (total: number): string => `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`
