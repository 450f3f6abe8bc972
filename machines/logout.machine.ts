// Logout (`omicos login --logout`, `omicos cli login --logout`): revoke on the server when it
// answers in time, then delete this account's credential files whatever the server said.
import { assign, fromPromise, setup } from 'xstate'
import type {
  CurrentAccount,
  DeleteFilesInput,
  DeleteFilesResult,
  LogoutInput,
  LogoutOutput,
  RevokeInput,
} from './contracts.js'
import { notProvided, toFailure, type Failure } from './failure.js'

export const logoutDefaults = {
  revokeTimeoutMs: 3_000,
} as const

export interface LogoutContext {
  revokeTimeoutMs: number
  /** the account being logged out; its tokens are dropped once revocation is over */
  account: CurrentAccount | null
  /** the server confirmed the revocation */
  revoked: boolean
  /** why revocation did not happen (it never stops the local delete) */
  revokeProblem: string | null
  removed: string[]
  error: Failure | null
}

const errorOf = (event: unknown) => (event as { error: unknown }).error

export const logout = setup({
  types: {
    input: {} as LogoutInput,
    context: {} as LogoutContext,
    output: {} as LogoutOutput,
  },
  actors: {
    resolveAccount: fromPromise<CurrentAccount | null>(notProvided('resolveAccount')),
    revokeTokens: fromPromise<void, RevokeInput>(notProvided('revokeTokens')),
    deleteFiles: fromPromise<DeleteFilesResult, DeleteFilesInput>(notProvided('deleteFiles')),
  },
  guards: {
    isNobodyLoggedIn: ({ event }) => (event as { output?: CurrentAccount | null }).output == null,
  },
  actions: {
    takeAccount: assign({ account: ({ event }) => (event as unknown as { output: CurrentAccount }).output }),
    confirmRevoked: assign({ revoked: true }),
    noteRevokeFailed: assign({ revoked: false, revokeProblem: ({ event }) => toFailure(errorOf(event)).message }),
    noteRevokeTimedOut: assign({
      revoked: false,
      revokeProblem: ({ context }) => `the server did not confirm the revocation within ${context.revokeTimeoutMs} ms`,
    }),
    forgetTokens: assign({ account: ({ context }) => (context.account ? { ...context.account, tokens: [] } : null) }),
    takeRemoved: assign({ removed: ({ event }) => (event as unknown as { output: DeleteFilesResult }).output.removed }),
    failWithError: assign({ error: ({ event }) => toFailure(errorOf(event)) }),
  },
  delays: {
    revokeTimeout: ({ context }) => context.revokeTimeoutMs,
  },
}).createMachine({
  id: 'logout',
  description: "Logout: revokes the current account's tokens (best effort), then deletes that account's credential files.",
  context: ({ input }) => ({
    revokeTimeoutMs: input.revokeTimeoutMs ?? logoutDefaults.revokeTimeoutMs,
    account: null,
    revoked: false,
    revokeProblem: null,
    removed: [],
    error: null,
  }),
  initial: 'resolving',
  states: {
    resolving: {
      description: 'Finds the account logged in here (workspace file first, then the global one).',
      invoke: {
        id: 'resolveAccount',
        src: 'resolveAccount',
        onDone: [
          { guard: 'isNobodyLoggedIn', target: 'notLoggedIn' },
          { target: 'revoking', actions: 'takeAccount' },
        ],
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    notLoggedIn: {
      description: 'Nobody is logged in: nothing to delete.',
      type: 'final',
      output: (): LogoutOutput => ({ kind: 'notLoggedIn' }),
    },
    revoking: {
      description: 'Asks the server to revoke the tokens (RFC 7009); an error or revokeTimeoutMs moves on anyway.',
      invoke: {
        id: 'revokeTokens',
        src: 'revokeTokens',
        input: ({ context }) => ({ server: context.account!.server, tokens: context.account!.tokens }),
        onDone: { target: 'deleting', actions: 'confirmRevoked' },
        onError: { target: 'deleting', actions: 'noteRevokeFailed' },
      },
      // Revocation is best effort: a server that hangs must not keep the files on disk.
      after: { revokeTimeout: { target: 'deleting', actions: 'noteRevokeTimedOut' } },
      exit: 'forgetTokens',
    },
    deleting: {
      description: "Deletes every credential file whose account_id is this account's, and no other.",
      invoke: {
        id: 'deleteFiles',
        src: 'deleteFiles',
        input: ({ context }) => ({ accountId: context.account!.accountId }),
        onDone: { target: 'loggedOut', actions: 'takeRemoved' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    loggedOut: {
      description: 'Logged out: the files are gone (context.revoked says whether the server confirmed).',
      type: 'final',
      output: ({ context }): LogoutOutput => ({
        kind: 'loggedOut',
        email: context.account!.email,
        removed: context.removed,
        revoked: context.revoked,
      }),
    },
    failed: {
      description: 'The files could not be found or deleted; context.error says why.',
      type: 'final',
      output: ({ context }): LogoutOutput => ({ kind: 'failed', failure: context.error! }),
    },
  },
  output: ({ event }) => (event as unknown as { output: LogoutOutput }).output,
})
