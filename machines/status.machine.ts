// Status (`omicos login --status`): read the credential files, and with `online` also ask the
// server whether the user token still works. With an expected server (`--server` with
// `--verify`), a login on another one is not checked.
import { assign, fromPromise } from 'xstate'
import { machineSetup } from './machine-setup.js'
import type { CancelEvent, RenewInput, RenewResult, VerifyInput, VerifyResult } from './shared.contract.js'
import type { StatusInput, StatusOutput, StatusReport } from './status.contract.js'
import { failWithEffectError, takeFailure } from './fail-action.js'
import { failure, notProvided, type Failure } from './failure.js'
import { RENEW_WITHIN_MS } from './renewal.js'

export interface StatusContext {
  online: boolean
  expectedServer: string | null
  report: StatusReport | null
  verified: VerifyResult | null
  renewed: boolean
  error: Failure | null
}

export const statusMachine = machineSetup({
  types: {
    input: {} as StatusInput,
    context: {} as StatusContext,
    events: {} as CancelEvent,
    output: {} as StatusOutput,
  },
  actors: {
    readStatus: fromPromise<StatusReport>(notProvided('readStatus')),
    verifyOnline: fromPromise<VerifyResult, VerifyInput>(notProvided('verifyOnline')),
    renewLogin: fromPromise<RenewResult, RenewInput>(notProvided('renewLogin')),
  },
  guards: {
    isOnAnotherServer: ({ context }, report: StatusReport) => report.loggedIn && context.expectedServer !== null && report.server !== context.expectedServer,
    isOnlineAndLoggedIn: ({ context }, report: StatusReport) => context.online && report.loggedIn,
    // Rejected, or within a day of its end: renewed with the refresh token (RFC 6749 section 6).
    // Once: a token that a renewal did not mend is reported as it is.
    needsRenewal: ({ context }, verified: VerifyResult) => {
      if (context.renewed) return false
      if (verified.kind === 'invalid') return true
      const ends = context.report?.userTokenExpiresAt
      return typeof ends === 'string' && verified.at !== undefined && Date.parse(ends) - verified.at <= RENEW_WITHIN_MS
    },
    isRenewed: (_, result: RenewResult) => result.kind === 'renewed',
    // The server answers for another account than the file's: the token is not this login's.
    isOtherAccount: ({ context }, verified: VerifyResult) => {
      const report = context.report
      if (verified.kind !== 'valid' || !report) return false
      const otherId = report.accountId !== undefined && verified.account.accountId !== report.accountId
      const otherEmail = report.email !== undefined && verified.account.email.toLowerCase() !== report.email.toLowerCase()
      return otherId || otherEmail
    },
  },
  actions: {
    takeReport: assign((_, report: StatusReport) => ({ report })),
    refuseOtherServer: assign(({ context }, report: StatusReport) => ({
      error: failure('wrongServer', { here: report.server!, asked: context.expectedServer! }),
    })),
    takeVerdict: assign((_, verified: VerifyResult) => ({ verified })),
    takeRenewal: assign(({ context }, result: RenewResult) => ({
      renewed: true,
      verified: context.verified?.kind === 'valid' ? context.verified : null,
      report:
        context.report && result.kind === 'renewed'
          ? {
              ...context.report,
              userTokenExpiresAt: result.userTokenExpiresAt === null ? null : new Date(result.userTokenExpiresAt).toISOString(),
            }
          : context.report,
    })),
    // The refresh token no longer works either: the login is over, the file stays for a look.
    refuseRenewal: assign({
      error: () => failure('renewRejected', { host: null }),
    }),
    refuseOtherAccount: assign(({ context }, verified: VerifyResult) => ({
      error: verified.kind === 'valid' ? failure('accountMismatch', { storedEmail: context.report?.email ?? null, answeredEmail: verified.account.email }) : null,
    })),
    fail: takeFailure(),
    cancel: assign({ error: () => failure('cancelled', { flow: 'status' }) }),
  },
}).createMachine({
  id: 'status',
  context: ({ input }) => ({ online: input.online, expectedServer: input.expectedServer ?? null, report: null, verified: null, renewed: false, error: null }),
  initial: 'reading',
  on: {
    'user.cancel': { target: '.failed', actions: 'cancel' },
  },
  states: {
    reading: {
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
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    verifying: {
      invoke: {
        id: 'verifyOnline',
        src: 'verifyOnline',
        input: ({ context }) => ({
          server: context.report!.server!,
          path: context.report!.activePath ?? context.report!.configPath,
        }),
        onDone: [
          {
            guard: { type: 'isOtherAccount', params: ({ event }) => event.output },
            target: 'failed',
            actions: { type: 'refuseOtherAccount', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'needsRenewal', params: ({ event }) => event.output },
            target: 'renewing',
            actions: { type: 'takeVerdict', params: ({ event }) => event.output },
          },
          { target: 'reported', actions: { type: 'takeVerdict', params: ({ event }) => event.output } },
        ],
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    renewing: {
      invoke: {
        id: 'renewLogin',
        src: 'renewLogin',
        input: ({ context }) => ({
          server: context.report!.server!,
          path: context.report!.activePath ?? context.report!.configPath,
        }),
        onDone: [
          {
            guard: { type: 'isRenewed', params: ({ event }) => event.output },
            target: 'verifying',
            actions: { type: 'takeRenewal', params: ({ event }) => event.output },
          },
          { target: 'failed', actions: 'refuseRenewal' },
        ],
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    reported: {
      type: 'final',
    },
    failed: {
      type: 'final',
    },
  },
  output: ({ context }): StatusOutput =>
    context.error
      ? { kind: 'failed', failure: context.error, ...(context.report ? { report: context.report } : {}) }
      : { kind: 'reported', report: context.report!, verified: context.verified, renewed: context.renewed },
})
