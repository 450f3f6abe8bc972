// The one lifecycle both logins share (`omicos login`, `omicos cli login`), read top to bottom
// in the order a login moves: check the existing login and every file the login will write
// (before anything goes online) -> the grant, a child machine chosen by input -> whose tokens
// they are -> the credential lock -> a process registration -> the credential files -> loggedIn.
// Tokens the server issued for a login that then fails are revoked before it ends; tokens the
// new files replaced are revoked once the new ones are safe. Nothing here reads a clock or
// words a message for a person: the outcome carries kinds, reason codes and paths.
import { assign, fromPromise, sendTo, type DoneActorEvent, type PromiseActorLogic } from 'xstate'
import { machineSetup } from './machine-setup.js'
import type { DeviceAuthorization, PollInput, PollResult, RequestCodeInput, PairingView } from './device-grant.contract.js'
import type {
  ExistingCheck,
  CheckExistingInput,
  IdentifyInput,
  LockInput,
  LoginEvent,
  MarkReplacedInput,
  MarkReplacedResult,
  RegistrationOutcome,
  LoginInput,
  LoginOutput,
  PersistInput,
  PersistResult,
  ProcessRegistration,
  RegisterProcessInput,
} from './login.contract.js'
import type { AuthenticateInput, AuthenticateResult, Credentials, PromptInput, ReachServerInput } from './password-grant.contract.js'
import type {
  Account,
  GrantOutput,
  ExistingLogin,
  RenewInput,
  RenewResult,
  RevokeInput,
  VerifyInput,
  VerifyResult,
  TokenSet,
  TokensToRevoke,
} from './shared.contract.js'
import { deviceGrantMachine } from './device-grant.machine.js'
import { failWithEffectError, takeFailure } from './fail-action.js'
import { failure, mayHaveReachedServer, notProvided, toFailure, type Failure } from './failure.js'
import { passwordGrantMachine } from './password-grant.machine.js'
import { isProcessId } from './process-id.js'
import { RENEW_WITHIN_MS } from './renewal.js'

export const loginDefaults = {
  revokeTimeoutMs: 3_000,
  /** a login this close to its end is renewed, not repeated */
  renewWithinMs: RENEW_WITHIN_MS,
} as const

export interface LoginContext {
  input: Omit<LoginInput, 'password'>
  /** held only until the grant has it */
  password: string | null
  /** what the credential store held for this login's files when it started (kept when forced) */
  existing: ExistingLogin | null
  /** the server confirmed the existing login still works */
  existingConfirmed: boolean
  /** the existing login's user token was renewed */
  existingRenewed: boolean
  /** the pairing the device grant shows, while it waits for approval */
  pairing: PairingView | null
  /** the tokens, held only until the credential files hold them or they are revoked */
  tokens: TokenSet | null
  account: Account | null
  process: ProcessRegistration | null
  /** the process token a refused registration answer carried: owed a revocation like the issued tokens */
  strayProcessToken: string | null
  /** credential files whose process token a failed registration may have rotated away, marked so */
  markedReplaced: string[]
  loggedInAt: number | null
  written: string[]
  kept: string[]
  /** tokens the new files replaced, to revoke once the login is safe */
  replaced: TokensToRevoke[]
  replacedRevoked: boolean | null
  issuedRevoked: boolean | null
  resumableUntil: number | null
  error: Failure | null
}

const lower = (value: string) => value.toLowerCase()

/** Every token of this login that the server issued, for a compensating revocation. */
const issuedTokens = (context: LoginContext): TokensToRevoke[] => {
  const tokens = [context.tokens?.refreshToken, context.tokens?.userToken, context.process?.processToken, context.strayProcessToken].filter(
    (token): token is string => typeof token === 'string' && token.length > 0,
  )
  return tokens.length ? [{ server: context.input.server, tokens }] : []
}

type GrantDone = { event: DoneActorEvent<GrantOutput> }

// Either grant ends the same way: with tokens, on to whose they are; without, failed with its failure.
const grantEnds = {
  onDone: [
    {
      guard: { type: 'isGranted' as const, params: ({ event }: GrantDone) => event.output },
      target: 'identifying',
      actions: { type: 'takeGrant' as const, params: ({ event }: GrantDone) => event.output },
    },
    { target: 'failed', actions: { type: 'takeGrant' as const, params: ({ event }: GrantDone) => event.output } },
  ],
  onError: { target: 'failed', actions: failWithEffectError },
}

export const loginMachine = machineSetup({
  types: {
    input: {} as LoginInput,
    context: {} as LoginContext,
    events: {} as LoginEvent,
    output: {} as LoginOutput,
  },
  actors: {
    checkExisting: fromPromise<ExistingCheck, CheckExistingInput>(notProvided('checkExisting')),
    verifyExisting: fromPromise<VerifyResult, VerifyInput>(notProvided('verifyExisting')),
    renewLogin: fromPromise<RenewResult, RenewInput>(notProvided('renewLogin')),
    // The password grant is provided with its effects (provideLogin), never built in: a front
    // end that logs in by device code alone (provideDeviceLogin) bundles no password grant.
    passwordGrant: fromPromise(notProvided('passwordGrant')) as unknown as typeof passwordGrantMachine,
    deviceGrant: deviceGrantMachine,
    identify: fromPromise<Account, IdentifyInput>(notProvided('identify')),
    lockCredentials: fromPromise<void, LockInput>(notProvided('lockCredentials')),
    registerProcess: fromPromise<RegistrationOutcome, RegisterProcessInput>(notProvided('registerProcess')),
    markProcessReplaced: fromPromise<MarkReplacedResult, MarkReplacedInput>(notProvided('markProcessReplaced')),
    persist: fromPromise<PersistResult, PersistInput>(notProvided('persist')),
    revokeTokens: fromPromise<void, RevokeInput>(notProvided('revokeTokens')),
  },
  guards: {
    // The login asked for is there already and has not run out: the same server, the account
    // asked (--email), not --force. One that ran out is logged in again, not renewed.
    isSameLogin: ({ context }, check: ExistingCheck) => {
      const existing = check.existing
      if (!existing || context.input.force || existing.server !== context.input.server) return false
      // Its process token was rotated away by a registration whose answer was lost: it registers again.
      if (existing.processTokenReplaced) return false
      if (existing.userTokenExpiresAt !== null && existing.userTokenExpiresAt <= check.at) return false
      return context.input.email === null || lower(context.input.email) === lower(existing.email)
    },
    canRenew: ({ context }) => context.existing?.hasRefreshToken === true,
    // Works and is not near its end: nothing to do. Near its end (a day) or rejected: renewed if it can be.
    isWorkingAndFresh: ({ context }, verified: VerifyResult) => {
      const ends = context.existing?.userTokenExpiresAt ?? null
      const renewWithinMs = context.input.renewWithinMs ?? loginDefaults.renewWithinMs
      return verified.kind === 'valid' && (ends === null || verified.at === undefined || ends - verified.at > renewWithinMs)
    },
    isRenewed: (_, result: RenewResult) => result.kind === 'renewed',
    isPasswordLogin: ({ context }) => context.input.method === 'password',
    isProcessIdUnusable: ({ context }) => !isProcessId(context.input.processId),
    holdsIssuedTokens: ({ context }) => context.tokens !== null,
    isGranted: (_, output: GrantOutput) => output.kind === 'granted',
    // The tokens are another account's than the one asked (--email): not a login of that account.
    isOtherAccountThanAsked: ({ context }, account: Account) => context.input.email !== null && lower(account.email) !== lower(context.input.email),
    isRegistered: (_, outcome: RegistrationOutcome) => outcome.kind !== 'refused',
    // Every registration rotates the process token (docs/server-contract.md): once the request
    // may have reached the server, the stored token of this process is taken as rotated away.
    mayHaveRotated: (_, outcome: RegistrationOutcome) => outcome.kind === 'refused' && outcome.mayHaveRotated,
    mayHaveReachedServer: (_, error: Failure) => mayHaveReachedServer(error),
    hasReplacedTokens: (_, result: PersistResult) => result.replaced.some((batch) => batch.tokens.length > 0),
  },
  actions: {
    takeExisting: assign((_, check: ExistingCheck) => ({ existing: check.existing })),
    confirmExisting: assign({ existingConfirmed: true }),
    takeRenewal: assign(({ context }, result: RenewResult) => ({
      existingConfirmed: true,
      existingRenewed: true,
      existing: context.existing && result.kind === 'renewed' ? { ...context.existing, userTokenExpiresAt: result.userTokenExpiresAt } : context.existing,
    })),
    takePairing: assign((_, pairing: PairingView) => ({ pairing })),
    forgetPassword: assign({ password: null }),
    takeGrant: assign((_, output: GrantOutput) => (output.kind === 'granted' ? { tokens: output.tokens, pairing: null } : { error: output.failure })),
    takeAccount: assign((_, account: Account) => ({ account })),
    refuseOtherAccount: assign(({ context }, account: Account) => ({
      error: failure('accountMismatch', { askedEmail: context.input.email, answeredEmail: account.email }),
    })),
    // The login is stamped with the time the registration answer arrived: the machine reads no clock.
    takeProcess: assign((_, outcome: RegistrationOutcome) => (outcome.kind === 'refused' ? {} : { process: outcome, loggedInAt: outcome.at })),
    takeRefusedRegistration: assign((_, outcome: RegistrationOutcome) =>
      outcome.kind === 'refused' ? { error: outcome.failure, strayProcessToken: outcome.strayProcessToken } : {},
    ),
    noteMarked: assign((_, result: MarkReplacedResult) => ({ markedReplaced: result.marked })),
    takePersisted: assign((_, result: PersistResult) => ({ written: result.written, kept: result.kept, replaced: result.replaced })),
    noteReplacedRevoked: assign((_, revoked: boolean) => ({ replacedRevoked: revoked })),
    noteIssuedRevoked: assign((_, revoked: boolean) => ({ issuedRevoked: revoked })),
    fail: takeFailure(),
    // A pairing cancelled while it waits for approval keeps its code: the outcome says until when.
    cancel: assign(({ context }) => ({
      error: failure('cancelled', { flow: 'login' }),
      resumableUntil: context.pairing ? context.pairing.deadline : null,
    })),
    forgetSecrets: assign({ tokens: null, process: null, strayProcessToken: null, password: null, replaced: () => [] }),
  },
  delays: {
    revokeTimeout: ({ context }) => context.input.revokeTimeoutMs ?? loginDefaults.revokeTimeoutMs,
  },
}).createMachine({
  id: 'login',
  context: ({ input }) => {
    const { password, ...rest } = input
    return {
      input: rest,
      password: password ?? null,
      existing: null,
      existingConfirmed: false,
      existingRenewed: false,
      pairing: null,
      tokens: null,
      account: null,
      process: null,
      strayProcessToken: null,
      markedReplaced: [],
      loggedInAt: null,
      written: [],
      kept: [],
      replaced: [],
      replacedRevoked: null,
      issuedRevoked: null,
      resumableUntil: null,
      error: null,
    }
  },
  initial: 'checkingInput',
  // Until the server has issued tokens a cancel ends the login at once; after, it revokes them
  // first. States that must finish what they started (the files, a revocation) ignore it;
  // final states stop every child and timer.
  on: {
    'user.cancel': [
      { guard: 'holdsIssuedTokens', target: '.revokingIssued', actions: 'cancel' },
      { target: '.failed', actions: 'cancel' },
    ],
  },
  states: {
    // A process id the server would refuse is the front end's bug: said before anything goes
    // online, not after the user has approved a pairing on another device.
    checkingInput: {
      always: [
        {
          guard: 'isProcessIdUnusable',
          target: 'failed',
          actions: { type: 'fail', params: ({ context }) => failure('unusableProcessId', { processId: context.input.processId }) },
        },
        { target: 'checkingExisting' },
      ],
    },
    checkingExisting: {
      invoke: {
        id: 'checkExisting',
        src: 'checkExisting',
        input: ({ context }) => ({ server: context.input.server, method: context.input.method }),
        onDone: [
          {
            guard: { type: 'isSameLogin', params: ({ event }) => event.output },
            target: 'verifyingExisting',
            actions: { type: 'takeExisting', params: ({ event }) => event.output },
          },
          {
            guard: 'isPasswordLogin',
            target: 'passwordGrant',
            actions: { type: 'takeExisting', params: ({ event }) => event.output },
          },
          { target: 'deviceGrant', actions: { type: 'takeExisting', params: ({ event }) => event.output } },
        ],
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    verifyingExisting: {
      invoke: {
        id: 'verifyExisting',
        src: 'verifyExisting',
        input: ({ context }) => ({ server: context.input.server, path: context.existing!.path }),
        onDone: [
          {
            guard: { type: 'isWorkingAndFresh', params: ({ event }) => event.output },
            target: 'alreadyLoggedIn',
            actions: 'confirmExisting',
          },
          { guard: 'canRenew', target: 'renewingExisting' },
          { guard: 'isPasswordLogin', target: 'passwordGrant' },
          { target: 'deviceGrant' },
        ],
        // The server cannot be asked: a fresh login could not be made either; the file is what there is.
        onError: { target: 'alreadyLoggedIn' },
      },
    },
    renewingExisting: {
      invoke: {
        id: 'renewLogin',
        src: 'renewLogin',
        input: ({ context }) => ({ server: context.input.server, path: context.existing!.path }),
        onDone: [
          {
            guard: { type: 'isRenewed', params: ({ event }) => event.output },
            target: 'alreadyLoggedIn',
            actions: { type: 'takeRenewal', params: ({ event }) => event.output },
          },
          { guard: 'isPasswordLogin', target: 'passwordGrant' },
          { target: 'deviceGrant' },
        ],
        onError: { target: 'failed', actions: failWithEffectError },
      },
    },
    alreadyLoggedIn: {
      type: 'final',
      entry: 'forgetSecrets',
    },
    passwordGrant: {
      exit: 'forgetPassword',
      invoke: {
        id: 'grant',
        src: 'passwordGrant',
        input: ({ context }) => ({
          ...context.input.passwordGrant,
          server: context.input.server,
          email: context.input.email,
          password: context.password,
          canPrompt: context.input.canPrompt ?? false,
        }),
        ...grantEnds,
      },
    },
    deviceGrant: {
      invoke: {
        id: 'grant',
        src: 'deviceGrant',
        input: ({ context }) => ({
          ...context.input.deviceGrant,
          server: context.input.server,
          name: context.input.name,
          hostname: context.input.hostname ?? '',
          reportsToParent: true,
        }),
        ...grantEnds,
      },
      on: {
        'grant.pairing': { actions: { type: 'takePairing', params: ({ event }) => event.pairing } },
        // A restored login re-enters the grant's wait with the current time.
        'app.resume': { actions: sendTo('grant', ({ event }) => event) },
      },
    },
    identifying: {
      invoke: {
        id: 'identify',
        src: 'identify',
        input: ({ context }) => ({ server: context.input.server, userToken: context.tokens!.userToken }),
        onDone: [
          {
            guard: { type: 'isOtherAccountThanAsked', params: ({ event }) => event.output },
            target: 'revokingIssued',
            actions: { type: 'refuseOtherAccount', params: ({ event }) => event.output },
          },
          { target: 'locking', actions: { type: 'takeAccount', params: ({ event }) => event.output } },
        ],
        onError: { target: 'revokingIssued', actions: failWithEffectError },
      },
    },
    locking: {
      invoke: {
        id: 'lockCredentials',
        src: 'lockCredentials',
        input: ({ context }) => ({ server: context.input.server }),
        onDone: { target: 'registeringProcess' },
        onError: { target: 'revokingIssued', actions: failWithEffectError },
      },
    },
    registeringProcess: {
      // The registration may have reached the server already, which then rotated the stored process token away.
      on: { 'user.cancel': { target: 'markingReplaced', actions: 'cancel' } },
      invoke: {
        id: 'registerProcess',
        src: 'registerProcess',
        input: ({ context }) => ({
          server: context.input.server,
          userToken: context.tokens!.userToken,
          processId: context.input.processId,
          name: context.input.name,
        }),
        onDone: [
          {
            guard: { type: 'isRegistered', params: ({ event }) => event.output },
            target: 'persisting',
            actions: { type: 'takeProcess', params: ({ event }) => event.output },
          },
          {
            guard: { type: 'mayHaveRotated', params: ({ event }) => event.output },
            target: 'markingReplaced',
            actions: { type: 'takeRefusedRegistration', params: ({ event }) => event.output },
          },
          { target: 'revokingIssued', actions: { type: 'takeRefusedRegistration', params: ({ event }) => event.output } },
        ],
        onError: [
          {
            guard: { type: 'mayHaveReachedServer', params: ({ event }) => toFailure(event.error) },
            target: 'markingReplaced',
            actions: failWithEffectError,
          },
          { target: 'revokingIssued', actions: failWithEffectError },
        ],
      },
    },
    markingReplaced: {
      on: { 'user.cancel': {} },
      invoke: {
        id: 'markProcessReplaced',
        src: 'markProcessReplaced',
        input: ({ context }) => ({ server: context.input.server, accountId: context.account!.accountId, processId: context.input.processId }),
        onDone: { target: 'revokingIssued', actions: { type: 'noteMarked', params: ({ event }) => event.output } },
        onError: { target: 'revokingIssued' },
      },
    },
    persisting: {
      on: { 'user.cancel': {} },
      invoke: {
        id: 'persist',
        src: 'persist',
        input: ({ context }) => ({
          server: context.input.server,
          authMethod: context.input.method,
          session: {
            userToken: context.tokens!.userToken,
            userTokenExpiresAt: context.tokens!.userTokenExpiresAt,
            refreshToken: context.tokens!.refreshToken,
            account: context.account!,
          },
          process: { ...context.process!, name: context.input.name },
          loggedInAt: context.loggedInAt!,
        }),
        onDone: [
          {
            guard: { type: 'hasReplacedTokens', params: ({ event }) => event.output },
            target: 'revokingReplaced',
            actions: { type: 'takePersisted', params: ({ event }) => event.output },
          },
          { target: 'loggedIn', actions: { type: 'takePersisted', params: ({ event }) => event.output } },
        ],
        onError: { target: 'revokingIssued', actions: failWithEffectError },
      },
    },
    revokingReplaced: {
      on: { 'user.cancel': {} },
      invoke: {
        id: 'revokeReplaced',
        src: 'revokeTokens',
        input: ({ context }) => ({ batches: context.replaced }),
        onDone: { target: 'loggedIn', actions: { type: 'noteReplacedRevoked', params: true } },
        onError: { target: 'loggedIn', actions: { type: 'noteReplacedRevoked', params: false } },
      },
      after: { revokeTimeout: { target: 'loggedIn', actions: { type: 'noteReplacedRevoked', params: false } } },
    },
    loggedIn: {
      type: 'final',
      entry: 'forgetSecrets',
    },
    revokingIssued: {
      on: { 'user.cancel': {} },
      invoke: {
        id: 'revokeIssued',
        src: 'revokeTokens',
        input: ({ context }) => ({ batches: issuedTokens(context) }),
        onDone: { target: 'failed', actions: { type: 'noteIssuedRevoked', params: true } },
        onError: { target: 'failed', actions: { type: 'noteIssuedRevoked', params: false } },
      },
      after: { revokeTimeout: { target: 'failed', actions: { type: 'noteIssuedRevoked', params: false } } },
    },
    failed: {
      type: 'final',
      entry: 'forgetSecrets',
    },
  },
  output: ({ context }): LoginOutput => {
    if (context.error) {
      return {
        kind: 'failed',
        failure: context.error,
        resumableUntil: context.resumableUntil,
        issuedRevoked: context.issuedRevoked,
        markedReplaced: context.markedReplaced,
      }
    }
    if (context.account) {
      return {
        kind: 'loggedIn',
        email: context.account.email,
        accountId: context.account.accountId,
        processName: context.input.name,
        server: context.input.server,
        authMethod: context.input.method,
        paths: context.written,
        kept: context.kept,
        replaced: context.existing,
        replacedRevoked: context.replacedRevoked,
      }
    }
    return { kind: 'alreadyLoggedIn', existing: context.existing!, confirmed: context.existingConfirmed, renewed: context.existingRenewed }
  },
})

/** Every effect a login needs, the grants' included: what a front end provides. */
export interface LoginEffects {
  checkExisting: PromiseActorLogic<ExistingCheck, CheckExistingInput>
  verifyExisting: PromiseActorLogic<VerifyResult, VerifyInput>
  renewLogin: PromiseActorLogic<RenewResult, RenewInput>
  identify: PromiseActorLogic<Account, IdentifyInput>
  lockCredentials: PromiseActorLogic<void, LockInput>
  registerProcess: PromiseActorLogic<RegistrationOutcome, RegisterProcessInput>
  markProcessReplaced: PromiseActorLogic<MarkReplacedResult, MarkReplacedInput>
  persist: PromiseActorLogic<PersistResult, PersistInput>
  revokeTokens: PromiseActorLogic<void, RevokeInput>
  /**
   * reaches the server before the password is asked (discovery); optional: without it, the
   * prompt comes first and the server is first reached by the password itself
   */
  reachServer?: PromiseActorLogic<void, ReachServerInput>
  promptCredentials: PromiseActorLogic<Credentials, PromptInput>
  authenticate: PromiseActorLogic<AuthenticateResult, AuthenticateInput>
  requestCode: PromiseActorLogic<DeviceAuthorization, RequestCodeInput>
  pollToken: PromiseActorLogic<PollResult, PollInput>
}

/** What a front end that logs in by device code only provides: no prompt, no password request. */
export type DeviceLoginEffects = Omit<LoginEffects, 'reachServer' | 'promptCredentials' | 'authenticate'>

// The effects both kinds of login provide; the device grant is one of them.
const sharedActors = ({ requestCode, pollToken, ...effects }: DeviceLoginEffects) => ({
  ...effects,
  deviceGrant: deviceGrantMachine.provide({ actors: { requestCode, pollToken } }),
})

/**
 * The login machine with its effects, the child grants' handed to them. Given device-only
 * effects, a password login ends failed at once (its grant was not provided); a front end that
 * logs in by device code alone takes provideDeviceLogin, which bundles no password grant.
 */
// Both return the login machine's own type, named rather than inferred: the declaration files
// then say `typeof loginMachine` instead of writing the whole machine type out again for each.
export const provideLogin = (effects: LoginEffects | DeviceLoginEffects): typeof loginMachine => {
  // The password grant's effects go to it, not to the login machine.
  const { reachServer, promptCredentials, authenticate, ...device } = effects as Partial<LoginEffects> & DeviceLoginEffects
  const passwordEffects = 'authenticate' in effects ? { reachServer: reachServer ?? reachedAlready, promptCredentials, authenticate } : {}
  return loginMachine.provide({ actors: { ...sharedActors(device), passwordGrant: passwordGrantMachine.provide({ actors: passwordEffects }) } })
}

// For front ends that provide no reachServer: the password is then what first reaches the server.
// Pure: a device-only bundle (provideDeviceLogin) drops it.
const reachedAlready = /* @__PURE__ */ fromPromise<void, ReachServerInput>(async () => {})

/** The login machine for a front end that logs in by device code alone, with its effects. */
export const provideDeviceLogin = (effects: DeviceLoginEffects): typeof loginMachine => loginMachine.provide({ actors: sharedActors(effects) })
