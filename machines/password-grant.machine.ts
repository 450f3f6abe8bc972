// The email / password grant (RFC 6749 section 4.3), as the login machine's child: asks for
// what was not given, sends it, and sorts the answer. Wrong passwords are asked again on a
// terminal, a 429 is waited out when its Retry-After is short, a server that cannot be reached
// is tried again with a doubling backoff. It ends with the tokens or a failure; whose tokens
// they are, and what happens to them, is the login machine's business.
import { assign, fromPromise } from 'xstate'
import { machineSetup } from './machine-setup.js'
import type { AuthenticateInput, AuthenticateResult, Credentials, PasswordGrantInput, PromptInput, ReachServerInput } from './password-grant.contract.js'
import type { GrantOutput, TokenSet } from './shared.contract.js'
import { failWithEffectError, takeFailure } from './fail-action.js'
import { failure, mayHaveReachedServer, notProvided, toFailure, type Failure } from './failure.js'

export const passwordGrantDefaults = {
  maxAttempts: 3,
  maxRetries: 2,
  retryBaseMs: 500,
  maxRateLimitWaitMs: 15_000,
} as const

export interface PasswordGrantContext {
  server: string
  canPrompt: boolean
  maxAttempts: number
  maxRetries: number
  retryBaseMs: number
  maxRateLimitWaitMs: number
  email: string | null
  /** held only until the server has answered it */
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
  lastError: Failure | null
  tokens: TokenSet | null
  error: Failure | null
}

/** Why a try was refused, as the failure it ends with if it is the last: wrong credentials or too many tries. */
const refusalOf = (result: AuthenticateResult, attempts: number): Failure =>
  result.kind === 'rateLimited'
    ? failure('rateLimited', { host: result.host, retryAfterMs: result.retryAfterMs })
    : failure('wrongCredentials', { serverText: result.kind === 'invalid' ? result.serverText : null, attempts })
const retryAfterOf = (result: AuthenticateResult) => (result.kind === 'rateLimited' ? result.retryAfterMs : 0)

export const passwordGrantMachine = machineSetup({
  types: {
    input: {} as PasswordGrantInput,
    context: {} as PasswordGrantContext,
    output: {} as GrantOutput,
  },
  actors: {
    reachServer: fromPromise<void, ReachServerInput>(notProvided('reachServer')),
    promptCredentials: fromPromise<Credentials, PromptInput>(notProvided('promptCredentials')),
    authenticate: fromPromise<AuthenticateResult, AuthenticateInput>(notProvided('authenticate')),
  },
  guards: {
    hasCredentials: ({ context }) => context.email !== null && context.password !== null,
    canPrompt: ({ context }) => context.canPrompt,
    isGranted: (_, result: AuthenticateResult) => result.kind === 'granted',
    // A wrong password is asked again only on a terminal and while tries remain.
    isInvalidAndCanAskAgain: ({ context }, result: AuthenticateResult) =>
      result.kind === 'invalid' && context.canPrompt && context.attempts + 1 < context.maxAttempts,
    isInvalid: (_, result: AuthenticateResult) => result.kind === 'invalid',
    isRateLimitedAndWaitable: ({ context }, result: AuthenticateResult) =>
      result.kind === 'rateLimited' && result.retryAfterMs <= context.maxRateLimitWaitMs && context.attempts + 1 < context.maxAttempts,
    // A TLS failure or a proxy that refuses will not mend themselves in a second: never tried
    // again. Nor is a password POST that may have reached the server (a reset or a time-out
    // after it was written): the server may have issued tokens for it, and a second POST
    // would count as another try against the account.
    isRetryable: ({ context }, error: Failure) =>
      error.kind === 'unreachable' && error.reason !== 'tls' && error.reason !== 'proxy' && !mayHaveReachedServer(error) && context.retries < context.maxRetries,
  },
  actions: {
    takeCredentials: assign((_, credentials: Credentials) => ({ email: credentials.email, password: credentials.password })),
    takeTokens: assign(({ context }, result: AuthenticateResult) => ({
      tokens: result.kind === 'granted' ? result.tokens : null,
      attempts: context.attempts + 1,
      retries: 0,
      lastError: null,
    })),
    countWrongTry: assign(({ context }, result: AuthenticateResult) => ({
      attempts: context.attempts + 1,
      password: null,
      retries: 0,
      lastError: refusalOf(result, context.attempts + 1),
    })),
    refuseWrongTry: assign(({ context }, result: AuthenticateResult) => {
      const attempts = context.attempts + 1
      const refused = refusalOf(result, attempts)
      return { attempts, lastError: refused, error: refused }
    }),
    waitOutRateLimit: assign(({ context }, result: AuthenticateResult) => ({
      attempts: context.attempts + 1,
      retries: 0,
      rateLimitWaitMs: retryAfterOf(result),
      lastError: refusalOf(result, context.attempts + 1),
    })),
    refuseRateLimited: assign(({ context }, result: AuthenticateResult) => ({
      attempts: context.attempts + 1,
      error: refusalOf(result, context.attempts + 1),
    })),
    // The server answered: a later connection failure counts its retries afresh.
    forgetRetries: assign({ retries: 0 }),
    // Exponential backoff: retryBaseMs, then twice that, and so on.
    scheduleRetry: assign(({ context }) => ({
      retryDelayMs: context.retryBaseMs * 2 ** context.retries,
      retries: context.retries + 1,
    })),
    fail: takeFailure(),
    forgetPassword: assign({ password: null }),
    failWithoutTerminal: assign({ error: () => failure('needsTerminal', {}) }),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelayMs,
    rateLimitWait: ({ context }) => context.rateLimitWaitMs,
  },
}).createMachine({
  id: 'passwordGrant',
  context: ({ input }) => ({
    server: input.server,
    canPrompt: input.canPrompt,
    maxAttempts: input.maxAttempts ?? passwordGrantDefaults.maxAttempts,
    maxRetries: input.maxRetries ?? passwordGrantDefaults.maxRetries,
    retryBaseMs: input.retryBaseMs ?? passwordGrantDefaults.retryBaseMs,
    maxRateLimitWaitMs: input.maxRateLimitWaitMs ?? passwordGrantDefaults.maxRateLimitWaitMs,
    email: input.email,
    password: input.password,
    attempts: 0,
    retries: 0,
    retryDelayMs: 0,
    rateLimitWaitMs: 0,
    lastError: null,
    tokens: null,
    error: null,
  }),
  initial: 'starting',
  states: {
    starting: {
      always: [
        { guard: 'hasCredentials', target: 'authenticating' },
        // A password is asked only of a server that answers: none is typed for nothing.
        { guard: 'canPrompt', target: 'reachingServer' },
        { target: 'failed', actions: 'failWithoutTerminal' },
      ],
    },
    reachingServer: {
      invoke: {
        id: 'reachServer',
        src: 'reachServer',
        input: ({ context }) => ({ server: context.server }),
        onDone: { target: 'prompting', actions: 'forgetRetries' },
        onError: [
          {
            guard: { type: 'isRetryable', params: ({ event }) => toFailure(event.error) },
            target: 'waitingToReach',
            actions: 'scheduleRetry',
          },
          { target: 'failed', actions: failWithEffectError },
        ],
      },
    },
    waitingToReach: {
      after: { retryDelay: { target: 'reachingServer' } },
    },
    prompting: {
      invoke: {
        id: 'promptCredentials',
        src: 'promptCredentials',
        input: ({ context }) => ({ email: context.email, attempt: context.attempts + 1, lastError: null }),
        onDone: { target: 'authenticating', actions: { type: 'takeCredentials', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    authenticating: {
      invoke: {
        id: 'authenticate',
        src: 'authenticate',
        input: ({ context }) => ({ server: context.server, email: context.email!, password: context.password! }),
        onDone: [
          {
            guard: { type: 'isGranted', params: ({ event }) => event.output },
            target: 'granted',
            actions: { type: 'takeTokens', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'isInvalidAndCanAskAgain', params: ({ event }) => event.output },
            target: 'invalidCredentials',
            actions: { type: 'countWrongTry', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'isInvalid', params: ({ event }) => event.output },
            target: 'failed',
            actions: { type: 'refuseWrongTry', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'isRateLimitedAndWaitable', params: ({ event }) => event.output },
            target: 'rateLimited',
            actions: { type: 'waitOutRateLimit', params: ({ event }) => event.output },
          },
          { target: 'failed', actions: { type: 'refuseRateLimited', params: ({ event }) => event.output } },
        ],
        onError: [
          {
            guard: { type: 'isRetryable', params: ({ event }) => toFailure(event.error) },
            target: 'unreachable',
            actions: 'scheduleRetry',
          },
          { target: 'failed', actions: failWithEffectError },
        ],
      },
    },
    invalidCredentials: {
      invoke: {
        id: 'promptAgain',
        src: 'promptCredentials',
        // The server does not say which of the two was wrong: the email is asked again too.
        input: ({ context }) => ({ email: null, emailDefault: context.email, attempt: context.attempts + 1, lastError: context.lastError }),
        onDone: { target: 'authenticating', actions: { type: 'takeCredentials', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    rateLimited: {
      after: { rateLimitWait: { target: 'authenticating' } },
    },
    unreachable: {
      after: { retryDelay: { target: 'authenticating' } },
    },
    granted: {
      type: 'final',
      entry: 'forgetPassword',
    },
    failed: {
      type: 'final',
      entry: 'forgetPassword',
    },
  },
  output: ({ context }): GrantOutput => (context.tokens ? { kind: 'granted', tokens: context.tokens } : { kind: 'failed', failure: context.error! }),
})
