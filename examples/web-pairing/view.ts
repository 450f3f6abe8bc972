// What the page shows for a device login snapshot: a plain value, kept apart from the DOM, the
// way the CLI keeps its terminal rendering apart from its commands. `now` is the page's clock,
// read only to count down the time left; the machine decides expiry on its own.
import type { SnapshotFrom } from 'xstate'
import type { FailureKind } from '../../machines/failure.js'
import type { deviceLogin } from '../../machines/device-login.machine.js'

export type DeviceLoginSnapshot = SnapshotFrom<typeof deviceLogin>

export type PairingStep =
  | 'checkingExisting'
  | 'requestingCode'
  | 'awaitingApproval'
  | 'registeringProcess'
  | 'persisting'
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
}

const STEPS: PairingStep[] = [
  'checkingExisting',
  'requestingCode',
  'awaitingApproval',
  'registeringProcess',
  'persisting',
  'loggedIn',
  'alreadyLoggedIn',
  'failed',
]

const HEADLINES: Record<PairingStep, string> = {
  checkingExisting: 'Looking for a login kept in this tab…',
  requestingCode: 'Asking the server for a pairing code…',
  awaitingApproval: 'Approve this code on another device',
  registeringProcess: 'Approved: registering this page…',
  persisting: 'Keeping the login in this tab…',
  loggedIn: 'Logged in',
  alreadyLoggedIn: 'Already logged in',
  failed: 'Not logged in',
}

export const stepOf = (snapshot: DeviceLoginSnapshot): PairingStep =>
  STEPS.find((step) => snapshot.matches(step as never)) ?? 'failed'

export const viewOf = (snapshot: DeviceLoginSnapshot, now: number): PairingView => {
  const step = stepOf(snapshot)
  const c = snapshot.context
  const pairing = step === 'awaitingApproval'
  const failure = step === 'failed' && c.error ? { kind: c.error.kind, message: c.error.message } : null
  return {
    step,
    headline: HEADLINES[step],
    userCode: pairing ? c.userCode : null,
    verificationUri: pairing ? c.verificationUri : null,
    verificationUriComplete: pairing ? c.verificationUriComplete : null,
    secondsLeft: pairing && c.deadline !== null ? Math.max(0, Math.ceil((c.deadline - now) / 1000)) : null,
    intervalSeconds: pairing ? c.intervalMs / 1000 : null,
    polls: c.polls,
    backingOff: pairing && c.failures > 0,
    email: step === 'loggedIn' ? c.email : step === 'alreadyLoggedIn' ? (c.existing?.email ?? null) : null,
    failure,
  }
}

/** `9:05` for 545 seconds. */
export const formatSeconds = (total: number): string =>
  `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`
