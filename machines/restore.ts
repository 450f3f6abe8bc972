// The one way to pick up a persisted login (or a device grant alone) that waits for approval.
// XState restores a snapshot without its timers and restarts every effect that was running
// when it was taken, so a snapshot restored as it is can wait forever past its deadline, or
// send a poll at once, seconds after the one before (the server answers slow_down). Here:
//   - only a snapshot that waits for approval is restored (anything else would run again an
//     effect that may already have happened: a process registration, a file write);
//   - a poll that was out when the snapshot was taken is not sent again; the machine knows
//     when it was sent (`lastPollAt`) and waits an interval from then, as after any answer;
//   - the machine is told the time (`app.resume`), before it runs, and decides: past the
//     deadline it ends expired at once, otherwise it schedules the deadline and the next poll,
//     never sooner than the interval after the last poll it recorded.
import { createActor, type Actor, type ActorOptions, type AnyActorLogic, type EventFromLogic, type InspectionEvent, type Snapshot } from 'xstate'
import type { deviceGrantMachine } from './device-grant.machine.js'
import { secretSafeInspector, type Inspector } from './inspection.js'
import type { LoginInput } from './login.contract.js'
import type { loginMachine } from './login.machine.js'

type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>

/** The login machine or the device grant, with or without their effects provided. */
export type ResumableLogic = typeof loginMachine | typeof deviceGrantMachine

export interface RestoreOptions {
  /** the time to resume at (epoch ms), on the same clock the actor will run on */
  now: number
  /** the clock the restored actor waits on (default: real timers) */
  clock?: Clock
  /** inspection events of the restored actor, secrets replaced by key name */
  inspect?: Inspector
}

interface PersistedMachine {
  status?: unknown
  value?: unknown
  context?: { pairing?: unknown; input?: Record<string, unknown> }
  children?: Record<string, { snapshot?: PersistedMachine } | undefined>
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

const waitsForApproval = (snapshot: PersistedMachine): boolean => isObject(snapshot.value) && 'awaitingApproval' in snapshot.value

/**
 * What makes a kept login the one asked for: the same server, way, process and account. The
 * names shown to the approver are not: the kept ones were shown, and stay.
 */
const SAME_LOGIN = ['server', 'method', 'processId', 'email'] as const

const isLoginFor = (snapshot: PersistedMachine, input: LoginInput): boolean => {
  const kept = snapshot.context?.input
  return isObject(kept) && SAME_LOGIN.every((key) => (kept[key] ?? null) === (input[key] ?? null))
}

/**
 * Whether `persisted` is a login or a device grant that waits for approval: the only snapshots
 * `restoreLogin` takes. A login waits while its grant does and it holds the pairing it shows.
 * Given the `input` a front end would start a login with, also whether the kept login is that
 * one: a login kept for another server, process or account is not resumed in its place.
 */
export const canRestore = (persisted: unknown, input?: LoginInput): boolean => {
  if (!isObject(persisted)) return false
  const snapshot = persisted as PersistedMachine
  if (snapshot.status !== 'active') return false
  if (input && !isLoginFor(snapshot, input)) return false
  if (waitsForApproval(snapshot)) return true
  const grant = snapshot.children?.grant?.snapshot
  return snapshot.value === 'deviceGrant' && Boolean(snapshot.context?.pairing) && grant !== undefined && grant.status === 'active' && waitsForApproval(grant)
}

/** A copy of the persisted snapshot without the poll that was out when it was taken. */
const withoutPollInFlight = (snapshot: PersistedMachine): PersistedMachine => {
  const children = { ...(snapshot.children ?? {}) }
  if (isObject(snapshot.value) && snapshot.value.awaitingApproval === 'polling') delete children.pollToken
  const grant = children.grant
  if (grant?.snapshot) children.grant = { ...grant, snapshot: withoutPollInFlight(grant.snapshot) }
  return { ...snapshot, children }
}

/**
 * Restores a persisted login (or device grant) that waits for approval, on `clock`, told that
 * it is `now`. The actor is returned unstarted, so the caller can subscribe first; it already
 * holds the `app.resume` event it handles when started. Throws when the snapshot does not wait
 * for approval (`canRestore`): start a new login then.
 */
export function restoreLogin<TLogic extends ResumableLogic>(logic: TLogic, persisted: Snapshot<unknown>, options: RestoreOptions): Actor<TLogic> {
  if (!canRestore(persisted)) throw new Error('the snapshot is not of a login that waits for approval: start a new login')
  return restoreChecked(logic, persisted, { ...options, inspect: options.inspect && secretSafeInspector(options.inspect) })
}

/**
 * `restoreLogin` for a caller that has checked `canRestore` already and whose inspector replaces
 * secrets already (the package's runner): a page that runs logins bundles neither twice.
 */
export function restoreChecked<TLogic extends ResumableLogic>(
  logic: TLogic,
  persisted: Snapshot<unknown>,
  options: Omit<RestoreOptions, 'inspect'> & { inspect?: (event: InspectionEvent) => void },
): Actor<TLogic> {
  const snapshot = withoutPollInFlight(persisted as PersistedMachine) as Snapshot<unknown>
  const actor = createActor(logic as AnyActorLogic, {
    snapshot,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  }) as unknown as Actor<TLogic>
  // Queued until start() and handled before anything else runs.
  actor.send({ type: 'app.resume', now: options.now } as EventFromLogic<TLogic>)
  return actor
}
