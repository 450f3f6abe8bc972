// Device-code login (`omicos cli login`, RFC 8628): the decisions only. The machine never reads
// a clock: it learns the time from the `receivedAt` / `at` stamps its effects report, keeps it
// in `context.now`, and waits with named delays computed from context, so the actor's clock
// (real or XState's SimulatedClock) decides when things happen.
import { assign, fromPromise, setup } from 'xstate'
import type {
  CheckExistingInput,
  DeviceAuthorization,
  DeviceLoginEvent,
  DeviceLoginInput,
  ExistingLogin,
  LoginOutput,
  PersistInput,
  PersistResult,
  PollInput,
  PollResult,
  ProcessRegistration,
  RegisterProcessInput,
  RequestCodeInput,
  UserSession,
} from './contracts.js'
import { failure, notProvided, toFailure, type Failure } from './failure.js'

export const deviceLoginDefaults = {
  maxBackoffMs: 60_000,
  /** RFC 8628 section 3.5: every slow_down adds 5 seconds to the interval */
  slowDownStepMs: 5_000,
} as const

export interface DeviceLoginContext {
  server: string
  name: string
  hostname: string
  processId: string
  force: boolean
  maxBackoffMs: number
  existing: ExistingLogin | null
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
  /** the wait before the next poll: the interval, or a backoff after connection failures */
  waitMs: number
  /** the latest time an effect reported (or a resume brought) */
  now: number
  /** poll requests that got an answer or a connection failure */
  polls: number
  /** connection failures in a row */
  failures: number
  session: UserSession | null
  accountId: string | null
  email: string | null
  process: ProcessRegistration | null
  loggedInAt: number | null
  paths: string[]
  error: Failure | null
}

type Granted = Extract<PollResult, { kind: 'granted' }>

const pollResult = (event: unknown) => (event as { output: PollResult }).output
const errorOf = (event: unknown) => (event as { error: unknown }).error

const expiredMessage = 'the pairing code expired before it was approved: run `omicos cli login` again'

export const deviceLogin = setup({
  types: {
    input: {} as DeviceLoginInput,
    context: {} as DeviceLoginContext,
    events: {} as DeviceLoginEvent,
    output: {} as LoginOutput,
  },
  actors: {
    checkExisting: fromPromise<ExistingLogin | null, CheckExistingInput>(notProvided('checkExisting')),
    requestCode: fromPromise<DeviceAuthorization, RequestCodeInput>(notProvided('requestCode')),
    pollToken: fromPromise<PollResult, PollInput>(notProvided('pollToken')),
    registerProcess: fromPromise<ProcessRegistration, RegisterProcessInput>(notProvided('registerProcess')),
    persist: fromPromise<PersistResult, PersistInput>(notProvided('persist')),
  },
  guards: {
    isLoggedInAndNotForced: ({ context, event }) =>
      !context.force && (event as { output?: ExistingLogin | null }).output != null,
    isGranted: ({ event }) => pollResult(event).kind === 'granted',
    isDenied: ({ event }) => pollResult(event).kind === 'denied',
    isExpired: ({ event }) => pollResult(event).kind === 'expired',
    // An answer that arrives at or after the deadline ends the wait even if the server still
    // says pending: the code is dead by the server's own expires_in.
    isPastDeadline: ({ context, event }) => pollResult(event).at >= context.deadline!,
    isSlowDown: ({ event }) => pollResult(event).kind === 'slowDown',
    isUnreachable: ({ event }) => toFailure(errorOf(event)).kind === 'unreachable',
    isResumedPastDeadline: ({ context, event }) =>
      event.type === 'app.resume' && event.now >= context.deadline!,
  },
  actions: {
    rememberExisting: assign({
      existing: ({ event }) => (event as { output?: ExistingLogin | null }).output ?? null,
    }),
    takeAuthorization: assign(({ event }) => {
      const code = (event as unknown as { output: DeviceAuthorization }).output
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
      }
    }),
    takePending: assign(({ context, event }) => ({
      now: pollResult(event).at,
      polls: context.polls + 1,
      failures: 0,
      waitMs: context.intervalMs,
    })),
    // RFC 8628 section 3.5: the interval grows by 5 s for this and every later request.
    slowDown: assign(({ context, event }) => {
      const intervalMs = context.intervalMs + deviceLoginDefaults.slowDownStepMs
      return { now: pollResult(event).at, polls: context.polls + 1, failures: 0, intervalMs, waitMs: intervalMs }
    }),
    // RFC 8628 section 3.5: back off exponentially on connection failures, but never poll
    // faster than the interval, and never wait longer than maxBackoffMs.
    backOff: assign(({ context }) => {
      const failures = context.failures + 1
      const backoff = Math.min(context.maxBackoffMs, context.intervalMs * 2 ** failures)
      return {
        // no answer carries a time: the wait just spent is the least that has passed
        now: context.now + context.waitMs,
        polls: context.polls + 1,
        failures,
        waitMs: Math.max(context.intervalMs, backoff),
      }
    }),
    takeSession: assign(({ context, event }) => {
      const { session, at } = pollResult(event) as Granted
      return {
        session,
        accountId: session.account.accountId,
        email: session.account.email,
        now: at,
        polls: context.polls + 1,
        deviceCode: null,
      }
    }),
    refuseDenied: assign(({ context, event }) => ({
      now: pollResult(event).at,
      polls: context.polls + 1,
      error: failure('refused', 'pairing was declined on the other device'),
    })),
    expireByServer: assign(({ context, event }) => ({
      now: pollResult(event).at,
      polls: context.polls + 1,
      error: failure('expired', expiredMessage),
    })),
    expire: assign({ error: () => failure('expired', expiredMessage) }),
    takeResumeTime: assign({
      now: ({ context, event }) => (event.type === 'app.resume' ? event.now : context.now),
    }),
    takeProcess: assign({
      process: ({ event }) => (event as unknown as { output: ProcessRegistration }).output,
    }),
    stampLogin: assign({ loggedInAt: ({ context }) => context.process!.at }),
    takePaths: assign({
      paths: ({ event }) => (event as unknown as { output: PersistResult }).output.paths,
      session: null,
      process: null,
    }),
    failWithError: assign({ error: ({ event }) => toFailure(errorOf(event)) }),
    cancel: assign({ error: () => failure('cancelled', 'login cancelled') }),
  },
  delays: {
    pollWait: ({ context }) => context.waitMs,
    untilDeadline: ({ context }) => Math.max(0, context.deadline! - context.now),
  },
}).createMachine({
  id: 'deviceLogin',
  description:
    'Device-code login (RFC 8628): asks for a pairing code, shows it, and polls the token endpoint until the code is approved, declined or dead.',
  context: ({ input }) => ({
    server: input.server,
    name: input.name,
    hostname: input.hostname,
    processId: input.processId,
    force: input.force,
    maxBackoffMs: input.maxBackoffMs ?? deviceLoginDefaults.maxBackoffMs,
    existing: null,
    deviceCode: null,
    userCode: null,
    verificationUri: null,
    verificationUriComplete: null,
    deadline: null,
    intervalMs: 0,
    waitMs: 0,
    now: 0,
    polls: 0,
    failures: 0,
    session: null,
    accountId: null,
    email: null,
    process: null,
    loggedInAt: null,
    paths: [],
    error: null,
  }),
  initial: 'checkingExisting',
  // Final states stop every child and cancel every timer: no poll goes out after a cancel.
  on: {
    'user.cancel': { target: '.failed', actions: 'cancel' },
  },
  states: {
    checkingExisting: {
      description: 'Reads the credential store: is someone logged in to this server already?',
      invoke: {
        id: 'checkExisting',
        src: 'checkExisting',
        input: ({ context }) => ({ server: context.server }),
        onDone: [
          { guard: 'isLoggedInAndNotForced', target: 'alreadyLoggedIn', actions: 'rememberExisting' },
          { target: 'requestingCode', actions: 'rememberExisting' },
        ],
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    alreadyLoggedIn: {
      description: 'Someone is logged in already: nothing to do.',
      type: 'final',
      output: ({ context }): LoginOutput => ({ kind: 'alreadyLoggedIn', existing: context.existing! }),
    },
    requestingCode: {
      description: 'Asks the device authorization endpoint for a device code and a user code.',
      invoke: {
        id: 'requestCode',
        src: 'requestCode',
        input: ({ context }) => ({ server: context.server, name: context.name, hostname: context.hostname }),
        onDone: { target: 'awaitingApproval', actions: 'takeAuthorization' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    awaitingApproval: {
      description:
        'Shows the address and the user code and waits for the other device; the code dies at context.deadline.',
      initial: 'waiting',
      // Restored snapshots lose their timers (statelyai/xstate#5331): `app.resume` re-enters
      // this state so both the deadline and the next poll are scheduled again from `now`.
      after: { untilDeadline: { target: 'failed', actions: 'expire' } },
      on: {
        'app.resume': [
          { guard: 'isResumedPastDeadline', target: 'failed', actions: ['takeResumeTime', 'expire'] },
          { target: 'awaitingApproval', reenter: true, actions: 'takeResumeTime' },
        ],
      },
      states: {
        waiting: {
          description: 'Waits context.waitMs (the interval, or a backoff after connection failures) before the next poll.',
          after: { pollWait: { target: 'polling' } },
        },
        polling: {
          description: 'Asks the token endpoint whether the code has been approved.',
          invoke: {
            id: 'pollToken',
            src: 'pollToken',
            input: ({ context }) => ({ server: context.server, deviceCode: context.deviceCode! }),
            onDone: [
              { guard: 'isGranted', target: '#deviceLogin.registeringProcess', actions: 'takeSession' },
              { guard: 'isDenied', target: '#deviceLogin.failed', actions: 'refuseDenied' },
              { guard: 'isExpired', target: '#deviceLogin.failed', actions: 'expireByServer' },
              { guard: 'isPastDeadline', target: '#deviceLogin.failed', actions: 'expireByServer' },
              { guard: 'isSlowDown', target: 'waiting', actions: 'slowDown' },
              { target: 'waiting', actions: 'takePending' },
            ],
            onError: [
              { guard: 'isUnreachable', target: 'waiting', actions: 'backOff' },
              { target: '#deviceLogin.failed', actions: 'failWithError' },
            ],
          },
        },
      },
    },
    registeringProcess: {
      description: 'Registers this process with the user token and receives a fresh process token.',
      invoke: {
        id: 'registerProcess',
        src: 'registerProcess',
        input: ({ context }) => ({
          server: context.server,
          userToken: context.session!.userToken,
          processId: context.processId,
          name: context.name,
        }),
        onDone: { target: 'persisting', actions: ['takeProcess', 'stampLogin'] },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    persisting: {
      description: 'Writes the credential files (global and workspace).',
      invoke: {
        id: 'persist',
        src: 'persist',
        input: ({ context }) => ({
          server: context.server,
          authMethod: 'device' as const,
          session: context.session!,
          process: { ...context.process!, name: context.name },
          loggedInAt: context.loggedInAt!,
        }),
        onDone: { target: 'loggedIn', actions: 'takePaths' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    loggedIn: {
      description: 'Logged in: the credential files are written.',
      type: 'final',
      output: ({ context }): LoginOutput => ({
        kind: 'loggedIn',
        email: context.email!,
        accountId: context.accountId!,
        processName: context.name,
        paths: context.paths,
      }),
    },
    failed: {
      description: 'Ended without logging in; context.error says why (refused, expired, cancelled, ...).',
      type: 'final',
      output: ({ context }): LoginOutput => ({ kind: 'failed', failure: context.error! }),
    },
  },
  output: ({ event }) => (event as unknown as { output: LoginOutput }).output,
})
