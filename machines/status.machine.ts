// Status (`omicos login --status`): read the credential files, and with `online` also ask the
// server whether the user token still works.
import { assign, fromPromise, setup } from 'xstate'
import type { StatusInput, StatusOutput, StatusReport, VerifyInput, VerifyResult } from './contracts.js'
import { notProvided, toFailure, type Failure } from './failure.js'

export interface StatusContext {
  online: boolean
  report: StatusReport | null
  verified: VerifyResult | null
  error: Failure | null
}

export const status = setup({
  types: {
    input: {} as StatusInput,
    context: {} as StatusContext,
    output: {} as StatusOutput,
  },
  actors: {
    readStatus: fromPromise<StatusReport>(notProvided('readStatus')),
    verifyOnline: fromPromise<VerifyResult, VerifyInput>(notProvided('verifyOnline')),
  },
  guards: {
    isOnlineAndLoggedIn: ({ context, event }) =>
      context.online && (event as unknown as { output: StatusReport }).output.loggedIn,
  },
  actions: {
    takeReport: assign({ report: ({ event }) => (event as unknown as { output: StatusReport }).output }),
    takeVerdict: assign({ verified: ({ event }) => (event as unknown as { output: VerifyResult }).output }),
    failWithError: assign({ error: ({ event }) => toFailure((event as unknown as { error: unknown }).error) }),
  },
}).createMachine({
  id: 'status',
  description: 'Status: what the credential files say, and optionally whether the server still accepts the user token.',
  context: ({ input }) => ({ online: input.online, report: null, verified: null, error: null }),
  initial: 'reading',
  states: {
    reading: {
      description: 'Reads the global and workspace credential files (no network).',
      invoke: {
        id: 'readStatus',
        src: 'readStatus',
        onDone: [
          { guard: 'isOnlineAndLoggedIn', target: 'verifying', actions: 'takeReport' },
          { target: 'reported', actions: 'takeReport' },
        ],
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    verifying: {
      description: 'Asks the account endpoint whether the user token still works (only with online and a login).',
      invoke: {
        id: 'verifyOnline',
        src: 'verifyOnline',
        input: ({ context }) => ({
          server: context.report!.server!,
          path: context.report!.activePath ?? context.report!.configPath,
        }),
        onDone: { target: 'reported', actions: 'takeVerdict' },
        onError: { target: 'failed', actions: 'failWithError' },
      },
    },
    reported: {
      description: 'The report is ready (context.verified is null when not checked online).',
      type: 'final',
      output: ({ context }): StatusOutput => ({ kind: 'reported', report: context.report!, verified: context.verified }),
    },
    failed: {
      description: 'The files could not be read, or the server could not be asked; context.error says why.',
      type: 'final',
      output: ({ context }): StatusOutput => ({ kind: 'failed', failure: context.error! }),
    },
  },
  output: ({ event }) => (event as unknown as { output: StatusOutput }).output,
})
