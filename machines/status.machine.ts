// Status (`omicos login --status`): read the credential files, and with `online` also ask the
// server whether the user token still works. With an expected server (`--server` with
// `--verify`), a login on another one is not checked.
import { assign, fromPromise, setup } from 'xstate'
import type { CancelEvent, StatusInput, StatusOutput, StatusReport, VerifyInput, VerifyResult } from './contracts.js'
import { failure, notProvided, toFailure, type Failure } from './failure.js'

export interface StatusContext {
  online: boolean
  expectedServer: string | null
  report: StatusReport | null
  verified: VerifyResult | null
  error: Failure | null
}

export const status = setup({
  types: {
    input: {} as StatusInput,
    context: {} as StatusContext,
    events: {} as CancelEvent,
    output: {} as StatusOutput,
  },
  actors: {
    readStatus: fromPromise<StatusReport>(notProvided('readStatus')),
    verifyOnline: fromPromise<VerifyResult, VerifyInput>(notProvided('verifyOnline')),
  },
  guards: {
    isOnAnotherServer: ({ context }, report: StatusReport) =>
      report.loggedIn && context.expectedServer !== null && report.server !== context.expectedServer,
    isOnlineAndLoggedIn: ({ context }, report: StatusReport) => context.online && report.loggedIn,
  },
  actions: {
    takeReport: assign((_, report: StatusReport) => ({ report })),
    refuseOtherServer: assign(({ context }, report: StatusReport) => ({
      error: failure('usage', `the login here is on ${report.server}, not on ${context.expectedServer}`, 'wrongServer'),
    })),
    takeVerdict: assign((_, verified: VerifyResult) => ({ verified })),
    fail: assign((_, error: Failure) => ({ error })),
    cancel: assign({ error: () => failure('cancelled', 'status cancelled') }),
  },
}).createMachine({
  id: 'status',
  description: 'Status: what the credential files say, and optionally whether the server still accepts the user token.',
  context: ({ input }) => ({ online: input.online, expectedServer: input.expectedServer ?? null, report: null, verified: null, error: null }),
  initial: 'reading',
  on: {
    'user.cancel': { target: '.failed', actions: 'cancel' },
  },
  states: {
    reading: {
      description: 'Reads the global and workspace credential files (no network).',
      invoke: {
        id: 'readStatus',
        src: 'readStatus',
        onDone: [
          {
            guard: { type: 'isOnAnotherServer', params: ({ event }) => event.output },
            target: 'failed',
            actions: { type: 'refuseOtherServer', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'isOnlineAndLoggedIn', params: ({ event }) => event.output },
            target: 'verifying',
            actions: { type: 'takeReport', params: ({ event }) => event.output },
          },
          { target: 'reported', actions: { type: 'takeReport', params: ({ event }) => event.output } },
        ],
        onError: { target: 'failed', actions: { type: 'fail', params: ({ event }) => toFailure(event.error) } },
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
        onDone: { target: 'reported', actions: { type: 'takeVerdict', params: ({ event }) => event.output } },
        onError: { target: 'failed', actions: { type: 'fail', params: ({ event }) => toFailure(event.error) } },
      },
    },
    reported: {
      description: 'The report is ready (context.verified is null when not checked online).',
      type: 'final',
    },
    failed: {
      description: 'Cancelled, another server than the one expected, or the files or the server could not be read; context.error says why.',
      type: 'final',
    },
  },
  output: ({ context }): StatusOutput =>
    context.error ? { kind: 'failed', failure: context.error } : { kind: 'reported', report: context.report!, verified: context.verified },
})
