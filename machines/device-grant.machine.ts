// The device authorization grant (RFC 8628), the only place its section 3.5 pacing is written:
// the server's interval (5 s when it sends none), +5 s for this and every later request after a
// `slow_down`, an exponential backoff after connection errors and 5xx / 429 answers that never
// polls faster than the interval (and honours Retry-After), and the code's own deadline
// (`expires_in`). The machine never reads a clock: it learns the time from the `receivedAt` /
// `at` stamps of its effects, keeps it in `context.now`, and waits with named delays computed
// from context, so the actor's clock (real or XState's SimulatedClock) decides when things
// happen. It runs as the login machine's child, or alone (`runDeviceGrant`).
import { assign, sendParent, fromPromise, type DoneActorEvent } from 'xstate'
import type { DeviceAuthorization, DeviceGrantInput, PairingView, PollInput, PollResult, RequestCodeInput } from './device-grant.contract.js'
import type { GrantOutput, TokenSet } from './shared.contract.js'
import { failWithEffectError, takeFailure } from './fail-action.js'
import { failure, notProvided, toFailure, type Failure, type FailureReason } from './failure.js'
import { machineSetup } from './machine-setup.js'

export const deviceGrantDefaults = {
  maxBackoffMs: 60_000,
  /** a backoff waits at most the interval plus this: a server back up is noticed that soon */
  noticeWithinMs: 10_000,
  /** RFC 8628 section 3.5: every slow_down adds 5 seconds to the interval */
  slowDownStepMs: 5_000,
} as const

export interface DeviceGrantContext {
  server: string
  name: string
  hostname: string
  maxBackoffMs: number
  noticeWithinMs: number
  /** a login's child: the pairing is sent to the parent after every answer */
  reportsToParent: boolean
  /** secret: what the token endpoint is polled with; kept so a persisted snapshot can resume */
  deviceCode: string | null
  /** what the person types on the other device */
  userCode: string | null
  verificationUri: string | null
  verificationUriComplete: string | null
  /** epoch ms after which the code is dead: receivedAt + expires_in */
  deadline: number | null
  /** the polling interval in force, slow_down included */
  intervalMs: number
  /** the wait before the next poll: the interval, or a backoff after failures */
  waitMs: number
  /** the latest time an effect reported (or a resume brought) */
  now: number
  /** when the latest poll was sent (the code's arrival before the first): the next goes out an interval later at the earliest */
  lastPollAt: number | null
  /** poll requests that got an answer or a connection failure */
  polls: number
  /** connection failures, 5xx and 429 answers in a row */
  failures: number
  /** what the failures in a row were (the last of them), or null after an answer */
  retrying: 'unreachable' | 'unavailable' | null
  tokens: TokenSet | null
  error: Failure | null
}

/**
 * `app.resume` tells a restored grant the time (epoch ms): restored snapshots have no timers,
 * so the grant schedules its deadline and its next poll again from it (restore.ts sends it).
 */
export type DeviceGrantEvent = { type: 'user.cancel' } | { type: 'app.resume'; now: number }

/**
 * The times a restored grant recorded, on the clock it is restored on. A clock behind the
 * latest of them (another machine's, or one set back) cannot say how much time has passed:
 * they move back with it, as if none had, so the difference neither puts off the next poll
 * nor lengthens the code's life (the server's answer still ends a code that has run out).
 */
const onClockOf = (context: DeviceGrantContext, now: number): Pick<DeviceGrantContext, 'now' | 'deadline' | 'lastPollAt'> => {
  const back = Math.max(0, Math.max(context.now, context.lastPollAt ?? context.now) - now)
  const moved = (time: number | null) => (time === null ? null : time - back)
  return { now: context.now - back, deadline: moved(context.deadline), lastPollAt: moved(context.lastPollAt) }
}

const pairingOf = (context: DeviceGrantContext): PairingView => ({
  userCode: context.userCode!,
  verificationUri: context.verificationUri!,
  verificationUriComplete: context.verificationUriComplete,
  deadline: context.deadline!,
  intervalMs: context.intervalMs,
  waitMs: context.waitMs,
  retrying: context.retrying,
  polls: context.polls,
})

/**
 * RFC 8628 section 3.5: double the wait per failure in a row, never below the interval, never
 * above the cap, and never more than noticeWithinMs past the interval: a person waiting on
 * the screen sees the login go through soon after the server is back.
 */
const backoffMs = (context: DeviceGrantContext, failures: number) =>
  Math.max(context.intervalMs, Math.min(context.maxBackoffMs, context.intervalMs + context.noticeWithinMs, context.intervalMs * 2 ** failures))

/**
 * The answers of the token endpoint that end the grant: the guard that names each in the
 * diagrams, and the failure it ends with. One guard (`answered`) and one action (`endWith`)
 * serve them all; an answer past the deadline and the deadline's timer end as `expired` does.
 */
const POLL_ENDINGS = {
  denied: { guard: 'isDeclined', reason: 'pairingDenied' },
  invalidGrant: { guard: 'isCodeUnusable', reason: 'pairingCodeUnusable' },
  expired: { guard: 'isCodeExpired', reason: 'pairingExpired' },
} as const satisfies { [K in PollResult['kind']]?: { guard: string; reason: FailureReason } }

type PollEnding = keyof typeof POLL_ENDINGS
type PollDone = { event: DoneActorEvent<PollResult> }

/** The guard of every answer, named per answer where it is used. */
const answered =
  (kind: PollResult['kind']) =>
  <Args>(_: Args, result: PollResult): boolean =>
    result.kind === kind

const endingOf = (ending: PollEnding): Failure => failure(POLL_ENDINGS[ending].reason, {})

/** A way out of polling for each ending answer, in the table's order. */
const pollEndings = (Object.keys(POLL_ENDINGS) as PollEnding[]).map((ending) => ({
  guard: { type: POLL_ENDINGS[ending].guard, params: ({ event }: PollDone) => event.output },
  target: '#deviceGrant.failed',
  actions: { type: 'endWith' as const, params: ({ event }: PollDone) => ({ ending, at: event.output.at }) },
}))

export const deviceGrantMachine = machineSetup({
  types: {
    input: {} as DeviceGrantInput,
    context: {} as DeviceGrantContext,
    events: {} as DeviceGrantEvent,
    output: {} as GrantOutput,
  },
  actors: {
    requestCode: fromPromise<DeviceAuthorization, RequestCodeInput>(notProvided('requestCode')),
    pollToken: fromPromise<PollResult, PollInput>(notProvided('pollToken')),
  },
  guards: {
    // One guard per answer of the token endpoint, named for it, so a diagram says which answer
    // each way out of polling is.
    isApproved: answered('granted'),
    isDeclined: answered('denied'),
    isCodeUnusable: answered('invalidGrant'),
    isCodeExpired: answered('expired'),
    isSlowDown: answered('slowDown'),
    isServerUnavailable: answered('unavailable'),
    // An answer that arrives at or after the deadline ends the wait even if the server still
    // says pending: the code is dead by the server's own expires_in.
    isPastDeadline: ({ context }, at: number) => at >= context.deadline!,
    isUnreachable: (_, error: Failure) => error.kind === 'unreachable',
    isResumedPastDeadline: ({ context }, now: number) => now >= context.deadline!,
    // A login's child tells its parent; a grant run alone has nobody to tell but its snapshot.
    reportsToParent: ({ context }) => context.reportsToParent,
    // Nothing is sent at or after expires_in: a wait that ends there ends the grant instead.
    isNextPollBeforeDeadline: ({ context }) => context.now + context.waitMs < context.deadline!,
  },
  actions: {
    takeAuthorization: assign((_, code: DeviceAuthorization) => {
      const intervalMs = code.interval * 1000
      return {
        deviceCode: code.deviceCode,
        userCode: code.userCode,
        verificationUri: code.verificationUri,
        verificationUriComplete: code.verificationUriComplete,
        deadline: code.receivedAt + code.expiresIn * 1000,
        intervalMs,
        waitMs: intervalMs,
        now: code.receivedAt,
        lastPollAt: code.receivedAt,
      }
    }),
    // The wait that ends here started at `now`: the poll goes out waitMs later.
    notePollSent: assign(({ context }) => ({ lastPollAt: context.now + context.waitMs })),
    // The parent (the login machine) shows the code.
    tellParent: sendParent(({ context }) => ({ type: 'grant.pairing', pairing: pairingOf(context) })),
    takePending: assign(({ context }, at: number) => ({
      now: at,
      polls: context.polls + 1,
      failures: 0,
      retrying: null,
      waitMs: context.intervalMs,
    })),
    // RFC 8628 section 3.5: the interval grows by 5 s for this and every later request.
    slowDown: assign(({ context }, at: number) => {
      const intervalMs = context.intervalMs + deviceGrantDefaults.slowDownStepMs
      return { now: at, polls: context.polls + 1, failures: 0, retrying: null, intervalMs, waitMs: intervalMs }
    }),
    backOffAfterConnectionError: assign(({ context }) => {
      const failures = context.failures + 1
      // no answer carries a time: the wait just spent is the least that has passed
      return { now: context.now + context.waitMs, polls: context.polls + 1, failures, retrying: 'unreachable' as const, waitMs: backoffMs(context, failures) }
    }),
    // A 5xx or a 429 is a server having a bad minute: the same backoff, and at least its Retry-After.
    backOffAfterUnavailable: assign(({ context }, result: PollResult) => {
      const failures = context.failures + 1
      const retryAfterMs = result.kind === 'unavailable' ? (result.retryAfterMs ?? 0) : 0
      return { now: result.at, polls: context.polls + 1, failures, retrying: 'unavailable' as const, waitMs: Math.max(backoffMs(context, failures), retryAfterMs) }
    }),
    takeTokens: assign(({ context }, result: PollResult) => ({
      tokens: result.kind === 'granted' ? result.tokens : null,
      now: result.at,
      polls: context.polls + 1,
    })),
    endWith: assign(({ context }, { ending, at }: { ending: PollEnding; at: number }) => ({
      error: endingOf(ending),
      now: at,
      polls: context.polls + 1,
    })),
    expire: assign({ error: () => endingOf('expired') }),
    takeResumeTime: assign((_, now: number) => ({ now })),
    // Restored while waiting: the poll that was due stays due when it was, or goes at once if that has passed.
    resumeWaiting: assign(({ context }, now: number) => {
      const times = onClockOf(context, now)
      return { ...times, now, waitMs: Math.max(0, times.now + context.waitMs - now) }
    }),
    // Restored while a poll was out: its answer is lost (restore.ts drops the request), so the
    // next poll goes an interval after it was sent, as after any answer.
    resumeAfterLostPoll: assign(({ context }, now: number) => {
      const times = onClockOf(context, now)
      return { ...times, now, waitMs: Math.max(0, (times.lastPollAt ?? times.now) + context.intervalMs - now) }
    }),
    fail: takeFailure(),
    cancel: assign({ error: () => failure('cancelled', { flow: 'pairing' }) }),
    // Spent or dead either way: a login that can be resumed keeps the snapshot taken while it waited, not this one.
    forgetDeviceCode: assign({ deviceCode: null }),
  },
  delays: {
    pollWait: ({ context }) => context.waitMs,
    untilDeadline: ({ context }) => Math.max(0, context.deadline! - context.now),
  },
}).createMachine({
  id: 'deviceGrant',
  context: ({ input }) => ({
    server: input.server,
    name: input.name,
    hostname: input.hostname,
    maxBackoffMs: input.maxBackoffMs ?? deviceGrantDefaults.maxBackoffMs,
    noticeWithinMs: input.noticeWithinMs ?? deviceGrantDefaults.noticeWithinMs,
    reportsToParent: input.reportsToParent ?? false,
    deviceCode: null,
    userCode: null,
    verificationUri: null,
    verificationUriComplete: null,
    deadline: null,
    intervalMs: 0,
    waitMs: 0,
    now: 0,
    lastPollAt: null,
    polls: 0,
    failures: 0,
    retrying: null,
    tokens: null,
    error: null,
  }),
  initial: 'requestingCode',
  // Final states stop every child and cancel every timer: no poll goes out after a cancel.
  on: {
    'user.cancel': { target: '.failed', actions: 'cancel' },
  },
  states: {
    requestingCode: {
      invoke: {
        id: 'requestCode',
        src: 'requestCode',
        input: ({ context }) => ({ server: context.server, name: context.name, hostname: context.hostname }),
        onDone: { target: 'awaitingApproval', actions: { type: 'takeAuthorization', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    awaitingApproval: {
      initial: 'reporting',
      // Restored snapshots lose their timers (statelyai/xstate#5331): `app.resume` re-enters
      // this state so both the deadline and the next poll are scheduled again from its time;
      // past the deadline it ends at once. Never a poll sooner than the interval after the last.
      after: { untilDeadline: { target: 'failed', actions: 'expire' } },
      states: {
        // Passed through after every answer: the parent shows the pairing, the polls so far, the
        // wait and why it retries. A transition's guard, not an action's own test, keeps the
        // grant's bundle free of XState's enqueueActions.
        reporting: {
          always: [{ guard: 'reportsToParent', target: 'waiting', actions: 'tellParent' }, { target: 'waiting' }],
        },
        waiting: {
          on: {
            'app.resume': [
              {
                guard: { type: 'isResumedPastDeadline', params: ({ event }) => event.now },
                target: '#deviceGrant.failed',
                actions: [{ type: 'takeResumeTime', params: ({ event }) => event.now }, 'expire'],
              },
              { target: '#deviceGrant.awaitingApproval', reenter: true, actions: { type: 'resumeWaiting', params: ({ event }) => event.now } },
            ],
          },
          after: {
            pollWait: [
              { guard: 'isNextPollBeforeDeadline', target: 'polling' },
              { target: '#deviceGrant.failed', actions: 'expire' },
            ],
          },
        },
        polling: {
          entry: 'notePollSent',
          on: {
            'app.resume': [
              {
                guard: { type: 'isResumedPastDeadline', params: ({ event }) => event.now },
                target: '#deviceGrant.failed',
                actions: [{ type: 'takeResumeTime', params: ({ event }) => event.now }, 'expire'],
              },
              {
                target: '#deviceGrant.awaitingApproval',
                reenter: true,
                actions: { type: 'resumeAfterLostPoll', params: ({ event }) => event.now },
              },
            ],
          },
          invoke: {
            id: 'pollToken',
            src: 'pollToken',
            input: ({ context }) => ({ server: context.server, deviceCode: context.deviceCode! }),
            onDone: [
              {
                guard: { type: 'isApproved', params: ({ event }) => event.output },
                target: '#deviceGrant.granted',
                actions: { type: 'takeTokens', params: ({ event }) => event.output },
              },
              ...pollEndings,
              {
                guard: { type: 'isPastDeadline', params: ({ event }) => event.output.at },
                target: '#deviceGrant.failed',
                actions: { type: 'endWith', params: ({ event }) => ({ ending: 'expired', at: event.output.at }) },
              },
              {
                guard: { type: 'isSlowDown', params: ({ event }) => event.output },
                target: 'reporting',
                actions: { type: 'slowDown', params: ({ event }) => event.output.at },
              },
              {
                guard: { type: 'isServerUnavailable', params: ({ event }) => event.output },
                target: 'reporting',
                actions: { type: 'backOffAfterUnavailable', params: ({ event }) => event.output },
              },
              { target: 'reporting', actions: { type: 'takePending', params: ({ event }) => event.output.at } },
            ],
            onError: [
              {
                guard: { type: 'isUnreachable', params: ({ event }) => toFailure(event.error) },
                target: 'reporting',
                actions: 'backOffAfterConnectionError',
              },
              { target: '#deviceGrant.failed', actions: failWithEffectError },
            ],
          },
        },
      },
    },
    granted: {
      type: 'final',
      entry: 'forgetDeviceCode',
    },
    failed: {
      type: 'final',
      entry: 'forgetDeviceCode',
    },
  },
  output: ({ context }): GrantOutput => (context.tokens ? { kind: 'granted', tokens: context.tokens } : { kind: 'failed', failure: context.error! }),
})
