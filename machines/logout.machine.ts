// Logout (`omicos login --logout`, `omicos cli login --logout`): revoke on the server when it
// answers in time, then delete this account's credential files whatever the server said. With
// an expected server (`--server`), a login on another one is left alone.
import { assign, fromPromise } from 'xstate'
import { machineSetup } from './machine-setup.js'
import type { CurrentAccount, DeleteFilesInput, DeleteFilesResult, LogoutInput, LogoutOutput } from './logout.contract.js'
import type { CancelEvent, RevokeInput } from './shared.contract.js'
import { failWithEffectError, takeFailure } from './fail-action.js'
import { effectFailure, failure, notProvided, type Failure } from './failure.js'

export const logoutDefaults = {
  revokeTimeoutMs: 3_000,
} as const

export interface LogoutContext {
  expectedServer: string | null
  revokeTimeoutMs: number
  /** the account being logged out; its tokens are dropped once revocation is over */
  account: CurrentAccount | null
  /** the server confirmed the revocation */
  revoked: boolean
  /** why revocation did not happen (it never stops the local delete) */
  revokeProblem: Failure | null
  removed: string[]
  error: Failure | null
}

export const logoutMachine = machineSetup({
  types: {
    input: {} as LogoutInput,
    context: {} as LogoutContext,
    events: {} as CancelEvent,
    output: {} as LogoutOutput,
  },
  actors: {
    resolveAccount: fromPromise<CurrentAccount | null>(notProvided('resolveAccount')),
    revokeTokens: fromPromise<void, RevokeInput>(notProvided('revokeTokens')),
    deleteFiles: fromPromise<DeleteFilesResult, DeleteFilesInput>(notProvided('deleteFiles')),
  },
  guards: {
    isNobodyLoggedIn: (_, account: CurrentAccount | null) => account === null,
    isOnAnotherServer: ({ context }, account: CurrentAccount) => context.expectedServer !== null && account.server !== context.expectedServer,
  },
  actions: {
    takeAccount: assign((_, account: CurrentAccount) => ({ account })),
    refuseOtherServer: assign(({ context }, account: CurrentAccount) => ({
      error: failure('wrongServer', { here: account.server, asked: context.expectedServer! }),
    })),
    confirmRevoked: assign({ revoked: true }),
    noteRevokeFailed: assign((_, problem: Failure) => ({ revoked: false, revokeProblem: problem })),
    noteRevokeTimedOut: assign(({ context }) => ({
      revoked: false,
      revokeProblem: failure('revocationTimeout', { afterMs: context.revokeTimeoutMs }),
    })),
    forgetTokens: assign(({ context }) => ({ account: context.account ? { ...context.account, tokens: [] } : null })),
    takeRemoved: assign((_, result: DeleteFilesResult) => ({ removed: result.removed })),
    fail: takeFailure(),
    cancel: assign({ error: () => failure('cancelled', { flow: 'logout' }) }),
  },
  delays: {
    revokeTimeout: ({ context }) => context.revokeTimeoutMs,
  },
}).createMachine({
  id: 'logout',
  context: ({ input }) => ({
    expectedServer: input.expectedServer ?? null,
    revokeTimeoutMs: input.revokeTimeoutMs ?? logoutDefaults.revokeTimeoutMs,
    account: null,
    revoked: false,
    revokeProblem: null,
    removed: [],
    error: null,
  }),
  initial: 'resolving',
  on: {
    'user.cancel': { target: '.failed', actions: 'cancel' },
  },
  states: {
    resolving: {
      invoke: {
        id: 'resolveAccount',
        src: 'resolveAccount',
        onDone: [
          { guard: { type: 'isNobodyLoggedIn', params: ({ event }) => event.output }, target: 'notLoggedIn' },
          {
            guard: { type: 'isOnAnotherServer', params: ({ event }) => event.output! },
            target: 'failed',
            actions: { type: 'refuseOtherServer', params: ({ event }) => event.output! },
          },
          { target: 'revoking', actions: { type: 'takeAccount', params: ({ event }) => event.output! } },
        ],
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    notLoggedIn: {
      type: 'final',
    },
    revoking: {
      invoke: {
        id: 'revokeTokens',
        src: 'revokeTokens',
        input: ({ context }) => ({ batches: [{ server: context.account!.server, tokens: context.account!.tokens }] }),
        onDone: { target: 'deleting', actions: 'confirmRevoked' },
        onError: { target: 'deleting', actions: { type: 'noteRevokeFailed', params: ({ event }) => effectFailure(event) } },
      },
      // Revocation is best effort: a server that hangs must not keep the files on disk.
      after: { revokeTimeout: { target: 'deleting', actions: 'noteRevokeTimedOut' } },
      exit: 'forgetTokens',
    },
    deleting: {
      on: { 'user.cancel': {} },
      invoke: {
        id: 'deleteFiles',
        src: 'deleteFiles',
        input: ({ context }) => ({ accountId: context.account!.accountId }),
        onDone: { target: 'loggedOut', actions: { type: 'takeRemoved', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    loggedOut: {
      type: 'final',
    },
    failed: {
      type: 'final',
    },
  },
  output: ({ context }): LogoutOutput => {
    if (context.error) return { kind: 'failed', failure: context.error }
    if (!context.account) return { kind: 'notLoggedIn' }
    return { kind: 'loggedOut', email: context.account.email, server: context.account.server, removed: context.removed, revoked: context.revoked }
  },
})
