// Email / password login (`omicos login`): the decisions only. Every effect is an actor
// placeholder that a front end fills with `.provide({ actors })`; every wait is a named delay
// read from context, so the actor's clock (XState's SimulatedClock in tests) decides time.
import { assign, fromPromise, setup } from 'xstate'
import type {
  AuthenticateInput,
  AuthenticateResult,
  CheckExistingInput,
  Credentials,
  ExistingLogin,
  LoginEvent,
  LoginOutput,
  PasswordLoginInput,
  PersistInput,
  PersistResult,
  ProcessRegistration,
  PromptInput,
  RegisterProcessInput,
  UserSession,
} from './contracts.js'
import { failure, notProvided, toFailure, type Failure } from './failure.js'

export const passwordLoginDefaults = {
  maxAttempts: 3,
  maxRetries: 2,
  retryBaseMs: 500,
  maxRateLimitWaitMs: 15_000,
} as const

export interface PasswordLoginContext {
  server: string
  name: string
  processId: string
  force: boolean
  canPrompt: boolean
  maxAttempts: number
  maxRetries: number
  retryBaseMs: number
  maxRateLimitWaitMs: number
  /** what the credential store held when the login started (kept even when forced) */
  existing: ExistingLogin | null
  email: string | null
  /** held only until the server has answered it, so a persisted snapshot never keeps it */
  password: string | null
  /** credential tries the server answered (granted, wrong, rate limited) */
  attempts: number
  /** connection failures in a row on the current try */
  retries: number
  /** the wait before the next try after a connection failure */
  retryDelayMs: number
  /** the Retry-After being waited out */
  rateLimitWaitMs: number
  /** why the last try failed, shown before asking again */
  lastError: string | null
  /** the account the granted session belongs to */
  accountId: string | null
  /** the tokens, held only until the credential files hold them */
  session: UserSession | null
  process: ProcessRegistration | null
  loggedInAt: number | null
  paths: string[]
  error: Failure | null
}

const seconds = (ms: number) => {
  const s = Math.ceil(ms / 1000)
  return s < 120 ? `${s} s` : `${Math.ceil(s / 60)} min`
}

export const passwordLogin = setup({
  types: {
    input: {} as PasswordLoginInput,
    context: {} as PasswordLoginContext,
    events: {} as LoginEvent,
    output: {} as LoginOutput,
  },
  actors: {
    checkExisting: fromPromise<ExistingLogin | null, CheckExistingInput>(notProvided('checkExisting')),
    promptCredentials: fromPromise<Credentials, PromptInput>(notProvided('promptCredentials')),
    authenticate: fromPromise<AuthenticateResult, AuthenticateInput>(notProvided('authenticate')),
    registerProcess: fromPromise<ProcessRegistration, RegisterProcessInput>(notProvided('registerProcess')),
    persist: fromPromise<PersistResult, PersistInput>(notProvided('persist')),
  },
  guards: {
    isLoggedInAndNotForced: ({ context, event }) =>
      !context.force && (event as { output?: ExistingLogin | null }).output != null,
    hasCredentials: ({ context }) => context.email !== null && context.password !== null,
    canPrompt: ({ context }) => context.canPrompt,
    isGranted: ({ event }) => authResult(event).kind === 'granted',
    // A wrong password is asked again only on a terminal and while tries remain.
    isInvalidAndCanAskAgain: ({ context, event }) =>
      authResult(event).kind === 'invalid' && context.canPrompt && context.attempts + 1 < context.maxAttempts,
    isInvalid: ({ event }) => authResult(event).kind === 'invalid',
    isRateLimitedAndWaitable: ({ context, event }) => {
      const result = authResult(event)
      return (
        result.kind === 'rateLimited' &&
        result.retryAfterMs <= context.maxRateLimitWaitMs &&
        context.attempts + 1 < context.maxAttempts
      )
    },
    isUnreachableAndRetriesLeft: ({ context, event }) =>
      toFailure((event as { error?: unknown }).error).kind === 'unreachable' && context.retries < context.maxRetries,
  },
  actions: {
    rememberExisting: assign({
      existing: ({ event }) => (event as { output?: ExistingLogin | null }).output ?? null,
    }),
    failWithoutTerminal: assign({
      error: () =>
        failure('usage', 'email and password are needed and there is no terminal to ask on: pass --email with --password-stdin (or --password)'),
    }),
    takeCredentials: assign(({ event }) => {
      const { email, password } = (event as unknown as { output: Credentials }).output
      return { email, password }
    }),
    takeSession: assign(({ context, event }) => {
      const { session } = authResult(event) as Extract<AuthenticateResult, { kind: 'granted' }>
      return {
        session,
        email: session.account.email,
        accountId: session.account.accountId,
        attempts: context.attempts + 1,
        password: null,
        retries: 0,
        lastError: null,
      }
    }),
    countWrongTry: assign(({ context, event }) => ({
      attempts: context.attempts + 1,
      password: null,
      retries: 0,
      lastError: (authResult(event) as Extract<AuthenticateResult, { kind: 'invalid' }>).message,
    })),
    refuseWrongTry: assign(({ context, event }) => {
      const message = (authResult(event) as Extract<AuthenticateResult, { kind: 'invalid' }>).message
      const attempts = context.attempts + 1
      return {
        attempts,
        password: null,
        lastError: message,
        error: failure('refused', attempts > 1 ? `${message} (${attempts} tries); run the login again` : message),
      }
    }),
    waitOutRateLimit: assign(({ context, event }) => {
      const result = authResult(event) as Extract<AuthenticateResult, { kind: 'rateLimited' }>
      return { attempts: context.attempts + 1, retries: 0, rateLimitWaitMs: result.retryAfterMs, lastError: result.message }
    }),
    refuseRateLimited: assign(({ context, event }) => {
      const result = authResult(event)
      const after = result.kind === 'rateLimited' ? result.retryAfterMs : 0
      return {
        attempts: context.attempts + 1,
        password: null,
        error: failure('refused', `too many login attempts: try again in ${seconds(after)}`),
      }
    }),
    // Exponential backoff: retryBaseMs, then twice that, and so on.
    scheduleRetry: assign(({ context }) => ({
      retryDelayMs: context.retryBaseMs * 2 ** context.retries,
      retries: context.retries + 1,
    })),
    takeProcess: assign({
      process: ({ event }) => (event as unknown as { output: ProcessRegistration }).output,
    }),
    takePaths: assign({
      paths: ({ event }) => (event as unknown as { output: PersistResult }).output.paths,
      session: null,
      process: null,
    }),
    failWithError: assign({
      error: ({ event }) => toFailure((event as { error?: unknown }).error),
      password: null,
    }),
    cancel: assign({ error: () => failure('cancelled', 'login cancelled'), password: null }),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelayMs,
    rateLimitWait: ({ context }) => context.rateLimitWaitMs,
  },
}).createMachine({
  id: 'passwordLogin',
  description: 'Email / password login: one token request per try, then a process registration and the credential files.',
  context: ({ input }) => ({
    server: input.server,
    name: input.name,
    processId: input.processId,
    force: input.force,
    canPrompt: input.canPrompt,
    maxAttempts: input.maxAttempts ?? passwordLoginDefaults.maxAttempts,
    maxRetries: input.maxRetries ?? passwordLoginDefaults.maxRetries,
    retryBaseMs: input.retryBaseMs ?? passwordLoginDefaults.retryBaseMs,
    maxRateLimitWaitMs: input.maxRateLimitWaitMs ?? passwordLoginDefaults.maxRateLimitWaitMs,
    existing: null,
    email: input.email,
    password: input.password,
    attempts: 0,
    retries: 0,
    retryDelayMs: 0,
    rateLimitWaitMs: 0,
    lastError: null,
    accountId: null,
    session: null,
    process: null,
    loggedInAt: null,
    paths: [],
    error: null,
  }),
  initial: 'checkingExisting',
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
          { guard: 'hasCredentials', target: 'authenticating', actions: 'rememberExisting' },
          { guard: 'canPrompt', target: 'prompting', actions: 'rememberExisting' },
          { target: 'failed', actions: ['rememberExisting', 'failWithoutTerminal'] },
        ],
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    alreadyLoggedIn: {
      description: 'Someone is logged in already and --force was not given: nothing to do.',
      type: 'final',
      output: ({ context }): LoginOutput => ({ kind: 'alreadyLoggedIn', existing: context.existing! }),
    },
    prompting: {
      description: 'Asks on the terminal for whatever of email and password was not given.',
      invoke: {
        id: 'promptCredentials',
        src: 'promptCredentials',
        input: ({ context }) => ({ email: context.email, attempt: context.attempts + 1, lastError: null }),
        onDone: { target: 'authenticating', actions: 'takeCredentials' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    authenticating: {
      description: 'Sends the password grant to the token endpoint and sorts the answer.',
      invoke: {
        id: 'authenticate',
        src: 'authenticate',
        input: ({ context }) => ({ server: context.server, email: context.email!, password: context.password! }),
        onDone: [
          { guard: 'isGranted', target: 'registeringProcess', actions: 'takeSession' },
          { guard: 'isInvalidAndCanAskAgain', target: 'invalidCredentials', actions: 'countWrongTry' },
          { guard: 'isInvalid', target: 'failed', actions: 'refuseWrongTry' },
          { guard: 'isRateLimitedAndWaitable', target: 'rateLimited', actions: 'waitOutRateLimit' },
          { target: 'failed', actions: 'refuseRateLimited' },
        ],
        onError: [
          { guard: 'isUnreachableAndRetriesLeft', target: 'unreachable', actions: 'scheduleRetry' },
          { target: 'failed', actions: 'failWithError' },
        ],
      },
    },
    invalidCredentials: {
      description: 'The server said wrong email or password and tries remain: asks again, showing why.',
      invoke: {
        id: 'promptAgain',
        src: 'promptCredentials',
        input: ({ context }) => ({ email: context.email, attempt: context.attempts + 1, lastError: context.lastError }),
        onDone: { target: 'authenticating', actions: 'takeCredentials' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    rateLimited: {
      description: 'The server answered 429: waits out its Retry-After (rateLimitWaitMs), then tries again.',
      after: { rateLimitWait: { target: 'authenticating' } },
    },
    unreachable: {
      description: 'The server could not be reached: waits retryDelayMs (doubling each time), then tries again.',
      after: { retryDelay: { target: 'authenticating' } },
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
        onDone: { target: 'persisting', actions: 'takeProcess' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    persisting: {
      description: 'Writes the credential files (global and workspace).',
      // The login is stamped with the time the registration answer arrived: the machine reads no clock.
      entry: assign({ loggedInAt: ({ context }) => context.process!.at }),
      invoke: {
        id: 'persist',
        src: 'persist',
        input: ({ context }) => ({
          server: context.server,
          authMethod: 'password' as const,
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
      description: 'Ended without logging in; context.error says why (kind and one line for a person).',
      type: 'final',
      output: ({ context }): LoginOutput => ({ kind: 'failed', failure: context.error! }),
    },
  },
  output: ({ event }) => (event as unknown as { output: LoginOutput }).output,
})

const authResult = (event: unknown) => (event as { output: AuthenticateResult }).output

