// Every state and every transition of every machine (login, password grant, device grant,
// logout, status), reached by paths that xstate/graph generates and replayed on real actors
// (spec/support/machine-paths.ts), every path judged by an oracle written here from the
// requirements (the DESIGN brief, RFC 8628 section 3.5, the README and the defaults documented
// in machines/*.contract.ts), never from the machines: the rules read the scripted answers along
// a path and say which effect must be called next and with what, how long the simulated clock
// must have waited (never sooner, never later), how the machine must end, and that no secret is
// left in its context once it has.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { AnyMachineSnapshot, EventObject } from 'xstate'
import {
  deviceGrantMachine,
  loginMachine,
  logoutMachine,
  passwordGrantMachine,
  statusMachine,
  type DeviceGrantInput,
  type ExistingLogin,
  type LoginInput,
  type PasswordGrantInput,
  type StatusReport,
} from '../../machines/index.js'
import {
  account,
  deviceAuthorization,
  deviceLoginInput,
  EPOCH,
  files,
  passwordLoginInput,
  registration,
  secrets,
  StubEffectError,
  unreachable,
} from '../support/machine-harness.js'
import { failure } from '../../machines/failure.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { cover, judge, type Expectation, type Model, type Oracle, type StepView } from '../support/machine-paths.js'

const localFiles = new StubEffectError('local_files', 'cloud_login.json is a symlink: remove it and try again')
const badResponse = new StubEffectError('bad_response', 'the server answered with HTML')
const cancelled = new StubEffectError('cancelled', 'login cancelled')
const tls = new EngineError(failure('tls', { host: 'auth.omicos.cn', code: 'SELF_SIGNED_CERT_IN_CHAIN', plainHttp: false, mayHaveReachedServer: false }))
const cancel = () => [{ type: 'user.cancel' }]

const tokenSet = (at: number) => ({ userToken: secrets.userToken, refreshToken: secrets.refreshToken, userTokenExpiresAt: at + 86_400_000, receivedAt: at })

// --- what every oracle shares -------------------------------------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
const outputOf = (event: EventObject) => (event as { output?: any }).output
const errorKind = (event: EventObject) => String((event as { error?: { kind?: string } }).error?.kind)
const isError = (event: EventObject) => event.type.startsWith('xstate.error.actor.')
const isTimer = (event: EventObject) => event.type.startsWith('xstate.after.')
const failed = (failure: string, fields?: Record<string, unknown>): Expectation => ({ end: { kind: 'failed', failure, ...(fields ? { fields } : {}) } })
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/** The effect got exactly what the requirements say it needs. */
const expectInput = (step: StepView, effect: string, wanted: unknown) => {
  const call = step.calls.find((c) => c.effect === effect)
  if (call && !same(call.input, wanted)) step.problem(`${effect} got ${JSON.stringify(call.input)}, expected ${JSON.stringify(wanted)}`)
}

/** Once a machine has ended, none of these may be left in its context (the grants' tokens aside, which are their output). */
const ALL_SECRETS: string[] = [...Object.values(secrets), 'old-token-1', 'stray-process-token']
const ending = (step: StepView, expectation: Expectation, allowed: string[] = []): Expectation => {
  if (expectation.end) {
    const text = JSON.stringify(step.context)
    for (const secret of ALL_SECRETS) {
      if (!allowed.includes(secret) && text?.includes(secret)) step.problem(`"${secret}" is still in the context after the ${expectation.end.kind} ending`)
    }
  }
  return expectation
}

// --- the login ----------------------------------------------------------------------------

/**
 * The login lifecycle: the existing login and every file it will write are checked before
 * anything goes online; it is "already logged in" only for the same server, the same email
 * (any case; none asked: anyone) and a token not expired when read, unless forced. Then the grant
 * (the password or the device one, by method), the account, the lock, the registration of this
 * process (its id and name), the files (with the session, the process and the registration time).
 * After the server issued tokens, a failure or a cancel (in identify, lock, register) revokes
 * them, and a failed write revokes the process token too; tokens the new files replaced are
 * revoked after the write. Revocation is best effort, bounded by revokeTimeoutMs (3 s), and a
 * cancel does not interrupt a write or a revocation. Only a cancel while the pairing waits
 * for approval leaves it resumable, until the code's deadline.
 */
const loginOracle: Oracle = (observed) => {
  const input = observed.input as LoginInput
  const server = input.server
  const revokeTimeoutMs = input.revokeTimeoutMs ?? 3_000
  let phase: 'check' | 'grant' | 'identify' | 'lock' | 'register' | 'mark' | 'persist' | 'revokeReplaced' | 'revokeIssued' = 'check'
  let stray: string | null = null
  let tokens: any = null
  let acct: any = null
  let proc: any = null
  let existing: ExistingLogin | null = null
  let pairingDeadline: number | null = null
  let pendingFailure: { kind: string; cancelledBy?: true } | null = null
  let persisted: any = null
  let revokeFrom = 0
  const issued = (withProcess: boolean) => [
    { server, tokens: [tokens.refreshToken, tokens.userToken, ...(withProcess ? [proc.processToken] : []), ...(stray ? [stray] : [])] },
  ]
  const compensate = (step: StepView, failure: { kind: string; cancelledBy?: true }, withProcess: boolean): Expectation => {
    pendingFailure = failure
    phase = 'revokeIssued'
    revokeFrom = step.at
    expectInput(step, 'revokeTokens', { batches: issued(withProcess) })
    return { calls: ['revokeTokens'] }
  }
  const loggedInEnd = (step: StepView, replacedRevoked: boolean | null) =>
    ending(step, {
      end: {
        kind: 'loggedIn',
        fields: {
          email: acct.email,
          accountId: acct.accountId,
          processName: input.name,
          server,
          authMethod: input.method,
          paths: persisted.written,
          kept: persisted.kept,
          replaced: existing,
          replacedRevoked,
        },
      },
    })
  const toGrant = (step: StepView): Expectation => {
    phase = 'grant'
    if (input.method === 'password') {
      expectInput(step, 'passwordGrant', {
        ...input.passwordGrant,
        server,
        email: input.email,
        password: input.password ?? null,
        canPrompt: input.canPrompt ?? false,
      })
      return { calls: ['passwordGrant'] }
    }
    expectInput(step, 'deviceGrant', { ...input.deviceGrant, server, name: input.name, hostname: input.hostname ?? '', reportsToParent: true })
    return { calls: ['deviceGrant'] }
  }
  const issuedEnd = (step: StepView, revoked: boolean) => ending(step, failed(pendingFailure!.kind, { resumableUntil: null, issuedRevoked: revoked }))
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) {
      // A process id no server registers ends the login before anything is read or sent.
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(input.processId)) return ending(step, failed('usage', { resumableUntil: null, issuedRevoked: null }))
      expectInput(step, 'checkExisting', { server, method: input.method })
      return { calls: ['checkExisting'] }
    }
    if (event.type === 'user.cancel') {
      if (phase === 'check' || phase === 'grant') return ending(step, failed('cancelled', { resumableUntil: pairingDeadline, issuedRevoked: null }))
      if (phase === 'identify' || phase === 'lock') return compensate(step, { kind: 'cancelled', cancelledBy: true }, false)
      // A cancel while registering may come after the request reached the server: the stored
      // process token is marked as replaced first, as for a registration that failed after it.
      if (phase === 'register') {
        pendingFailure = { kind: 'cancelled', cancelledBy: true }
        phase = 'mark'
        expectInput(step, 'markProcessReplaced', { server, accountId: acct.accountId, processId: input.processId })
        return { calls: ['markProcessReplaced'] }
      }
      return {}
    }
    if (event.type === 'grant.pairing') {
      pairingDeadline = (event as any).pairing.deadline
      return {}
    }
    if (event.type === 'app.resume') return {}
    if (isTimer(event)) {
      const waited = step.at - revokeFrom
      if (waited !== revokeTimeoutMs) step.problem(`gave up revoking after ${waited} ms, the timeout is ${revokeTimeoutMs} ms`)
      if (phase === 'revokeReplaced') return loggedInEnd(step, false)
      if (phase === 'revokeIssued') return issuedEnd(step, false)
      step.problem(`a timer fired in ${phase}`)
      return {}
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'checkExisting': {
        if (isError(event)) return ending(step, failed(errorKind(event), { issuedRevoked: null, resumableUntil: null }))
        existing = output.existing
        const e = output.existing as ExistingLogin | null
        // The login asked for, not run out by its file: asked about online before anything else.
        const same =
          e !== null &&
          !input.force &&
          e.server === server &&
          (input.email === null || input.email.toLowerCase() === e.email.toLowerCase()) &&
          (e.userTokenExpiresAt === null || e.userTokenExpiresAt > output.at) &&
          !e.processTokenReplaced
        if (same) {
          phase = 'check'
          expectInput(step, 'verifyExisting', { server, path: e!.path })
          return { calls: ['verifyExisting'] }
        }
        return toGrant(step)
      }
      case 'verifyExisting': {
        const e = existing as ExistingLogin
        // The server cannot be asked: the file's word stands, said as unconfirmed.
        if (isError(event)) return ending(step, { end: { kind: 'alreadyLoggedIn', fields: { existing: e, confirmed: false, renewed: false } } })
        const fresh = output.kind === 'valid' && (e.userTokenExpiresAt === null || output.at === undefined || e.userTokenExpiresAt - output.at > 86_400_000)
        if (fresh) return ending(step, { end: { kind: 'alreadyLoggedIn', fields: { existing: e, confirmed: true, renewed: false } } })
        if (e.hasRefreshToken) {
          expectInput(step, 'renewLogin', { server, path: e.path })
          return { calls: ['renewLogin'] }
        }
        return toGrant(step)
      }
      case 'renewLogin': {
        if (isError(event)) return ending(step, failed(errorKind(event), { issuedRevoked: null, resumableUntil: null }))
        if (output.kind !== 'renewed') return toGrant(step)
        const renewedLogin = { ...(existing as ExistingLogin), userTokenExpiresAt: output.userTokenExpiresAt }
        return ending(step, { end: { kind: 'alreadyLoggedIn', fields: { existing: renewedLogin, confirmed: true, renewed: true } } })
      }
      case 'passwordGrant':
      case 'deviceGrant':
        if (isError(event)) return ending(step, failed(errorKind(event), { issuedRevoked: null, resumableUntil: null }))
        if (output.kind !== 'granted') return ending(step, failed(output.failure.kind, { issuedRevoked: null, resumableUntil: null }))
        tokens = output.tokens
        phase = 'identify'
        pairingDeadline = null
        expectInput(step, 'identify', { server, userToken: tokens.userToken })
        return { calls: ['identify'] }
      case 'identify':
        if (isError(event)) return compensate(step, { kind: errorKind(event) }, false)
        // Another account than the one asked (--email, any case): refused, the tokens revoked.
        if (input.email !== null && output.email.toLowerCase() !== input.email.toLowerCase()) return compensate(step, { kind: 'bad_response' }, false)
        acct = output
        phase = 'lock'
        expectInput(step, 'lockCredentials', { server })
        return { calls: ['lockCredentials'] }
      case 'lockCredentials':
        if (isError(event)) return compensate(step, { kind: errorKind(event) }, false)
        phase = 'register'
        expectInput(step, 'registerProcess', { server, userToken: tokens.userToken, processId: input.processId, name: input.name })
        return { calls: ['registerProcess'] }
      case 'registerProcess':
        // Once the request may have reached the server, the stored process token is taken as
        // rotated away and marked so before the issued tokens (and what the answer carried) are revoked.
        if (isError(event) || output.kind === 'refused') {
          const error = isError(event) ? { kind: errorKind(event) } : { kind: output.failure.kind }
          const reached = isError(event) ? (event as any).error?.details?.mayHaveReachedServer === true : output.mayHaveRotated
          stray = isError(event) ? null : output.strayProcessToken
          if (!reached) return compensate(step, error, false)
          pendingFailure = error
          phase = 'mark'
          expectInput(step, 'markProcessReplaced', { server, accountId: acct.accountId, processId: input.processId })
          return { calls: ['markProcessReplaced'] }
        }
        proc = output
        phase = 'persist'
        expectInput(step, 'persist', {
          server,
          authMethod: input.method,
          session: { userToken: tokens.userToken, userTokenExpiresAt: tokens.userTokenExpiresAt, refreshToken: tokens.refreshToken, account: acct },
          process: { ...proc, name: input.name },
          loggedInAt: proc.at,
        })
        return { calls: ['persist'] }
      case 'persist':
        if (isError(event)) return compensate(step, { kind: errorKind(event) }, true)
        persisted = output
        if (output.replaced.some((batch: { tokens: string[] }) => batch.tokens.length > 0)) {
          phase = 'revokeReplaced'
          revokeFrom = step.at
          expectInput(step, 'revokeTokens', { batches: output.replaced })
          return { calls: ['revokeTokens'] }
        }
        return loggedInEnd(step, null)
      case 'markProcessReplaced':
        return compensate(step, pendingFailure!, false)
      case 'revokeTokens':
        if (phase === 'revokeReplaced') return loggedInEnd(step, !isError(event))
        return issuedEnd(step, !isError(event))
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

const mine: ExistingLogin = {
  email: 'YOU@example.com',
  accountId: 'acct_42',
  server: 'https://auth.omicos.cn',
  processName: 'omics',
  authMethod: 'password',
  userTokenExpiresAt: EPOCH + 2 * 86_400_000,
  hasRefreshToken: true,
  path: files[0],
}
const pairing = {
  userCode: 'BCDF-GHJK',
  verificationUri: 'https://auth.omicos.cn/device',
  verificationUriComplete: null,
  deadline: EPOCH + 600_000,
  intervalMs: 5_000,
}

const loginModel: Model = {
  name: 'login',
  machine: loginMachine,
  inputs: [
    // canPrompt left out: the grant is told there is no terminal
    passwordLoginInput({ canPrompt: undefined }),
    passwordLoginInput({ email: null, password: null, canPrompt: true, force: true, revokeTimeoutMs: 1_000, passwordGrant: { maxAttempts: 2 } }),
    deviceLoginInput(),
    deviceLoginInput({ processId: 'web my page' }),
  ],
  outputs: {
    checkExisting: ({ context }) =>
      context.input.force
        ? [{ existing: mine, at: EPOCH }]
        : [
            { existing: null, at: EPOCH },
            { existing: mine, at: EPOCH },
            { existing: { ...mine, server: 'http://127.0.0.1:4000' }, at: EPOCH },
            { existing: { ...mine, email: 'someone@example.com' }, at: EPOCH },
            { existing: { ...mine, userTokenExpiresAt: EPOCH }, at: EPOCH },
            { existing: { ...mine, userTokenExpiresAt: null }, at: EPOCH },
            { existing: { ...mine, hasRefreshToken: false }, at: EPOCH },
            { existing: { ...mine, processTokenReplaced: true }, at: EPOCH },
          ],
    verifyExisting: () => [
      { kind: 'valid', account, at: EPOCH },
      { kind: 'valid', account, at: EPOCH + 86_400_000 + 3_600_000 },
      { kind: 'invalid', failure: failure('loginRejected', { host: 'auth.omicos.cn', status: 401 }), at: EPOCH },
    ],
    renewLogin: () => [{ kind: 'renewed', userTokenExpiresAt: EPOCH + 30 * 86_400_000 }, { kind: 'rejected' }],
    passwordGrant: () => [
      { kind: 'granted', tokens: tokenSet(EPOCH) },
      { kind: 'failed', failure: failure('wrongCredentials', { serverText: null, attempts: 1 }) },
    ],
    deviceGrant: () => [
      { kind: 'granted', tokens: tokenSet(EPOCH + 5_000) },
      { kind: 'failed', failure: failure('pairingExpired', {}) },
    ],
    identify: () => [account, { ...account, email: 'EVE@example.com' }],
    lockCredentials: () => [undefined],
    registerProcess: () => [
      registration(EPOCH + 7_000),
      {
        kind: 'refused',
        failure: failure('unusableField', { host: 'auth.omicos.cn', field: 'process_token', problem: 'controlChars' }),
        strayProcessToken: 'stray-process-token',
        mayHaveRotated: true,
      },
      { kind: 'refused', failure: failure('notJson', { host: 'auth.omicos.cn', status: 400 }), strayProcessToken: null, mayHaveRotated: false },
    ],
    markProcessReplaced: () => [{ marked: [files[0]] }],
    persist: () => [
      { written: files, kept: [], replaced: [] },
      { written: [files[0]], kept: [files[1]], replaced: [{ server: 'https://auth.omicos.cn', tokens: ['old-token-1'] }] },
    ],
    revokeTokens: () => [undefined],
  },
  errors: {
    checkExisting: () => [localFiles],
    verifyExisting: () => [unreachable()],
    renewLogin: () => [unreachable()],
    passwordGrant: () => [badResponse],
    deviceGrant: () => [badResponse],
    identify: () => [badResponse],
    lockCredentials: () => [localFiles],
    registerProcess: () => [unreachable(), new StubEffectError('unreachable', 'connection reset', { mayHaveReachedServer: true })],
    markProcessReplaced: () => [localFiles],
    persist: () => [localFiles],
    revokeTokens: () => [unreachable()],
  },
  userEvents: (snapshot) => [
    ...cancel(),
    ...(snapshot.matches('deviceGrant') && !snapshot.context.pairing
      ? [
          { type: 'grant.pairing', pairing },
          { type: 'app.resume', now: EPOCH + 60_000 },
        ]
      : []),
  ],
  project: ({ context }) => ({
    error: context.error?.kind,
    pairing: context.pairing !== null,
    replaced: context.replaced.length,
    renewable: context.existing?.hasRefreshToken,
  }),
  oracle: loginOracle,
}

// --- the password grant -------------------------------------------------------------------

/**
 * The password grant: with email and password given it sends them at once; else, on a terminal,
 * it reaches the server first (connection failures tried again as below; any other failure ends
 * it, nothing asked) and then asks (try 1, no reason), and without a terminal it fails `usage`. At most maxAttempts (3) tries
 * in all; after a wrong email or password both are asked again (try n+1, saying why, the email
 * last sent offered as the answer, since the server does not say which was wrong) only on a
 * terminal and while tries remain, else `refused`; the next try sends what was typed. A Retry-After of at most maxRateLimitWaitMs (15 s) is waited
 * out (never sooner) while tries remain, else `refused`. A connection failure (not TLS) is
 * tried again maxRetries (2) times after retryBaseMs (500) x 2^n, the count starting afresh after
 * any answer, then `unreachable`; any other failure ends with its own kind. No password is left.
 */
const passwordOracle: Oracle = (observed) => {
  const input = observed.input as PasswordGrantInput
  const maxTries = input.maxAttempts ?? 3
  const maxRetries = input.maxRetries ?? 2
  const retryBaseMs = input.retryBaseMs ?? 500
  const maxRateLimitWaitMs = input.maxRateLimitWaitMs ?? 15_000
  let tries = 0
  let retries = 0
  let email = input.email
  let password = input.password
  let wait: { from: number; ms: number; next: 'reach' | 'send' } | null = null
  const end = (step: StepView, e: Expectation) => ending(step, e, e.end?.kind === 'granted' ? [secrets.userToken, secrets.refreshToken] : [])
  const send = (step: StepView): Expectation => {
    expectInput(step, 'authenticate', { server: input.server, email, password })
    return { calls: ['authenticate'] }
  }
  const reach = (step: StepView): Expectation => {
    expectInput(step, 'reachServer', { server: input.server })
    return { calls: ['reachServer'] }
  }
  /** A connection failure waits and tries again; anything else ends with its kind. */
  const retryOrEnd = (step: StepView, then: 'reach' | 'send'): Expectation => {
    const error = (step.event as any).error
    if (error.kind !== 'unreachable' || error.reason === 'tls' || retries >= maxRetries) return end(step, failed(errorKind(step.event)))
    wait = { from: step.at, ms: retryBaseMs * 2 ** retries, next: then }
    retries += 1
    return {}
  }
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) {
      if (input.email !== null && input.password !== null) return send(step)
      if (!input.canPrompt) return end(step, failed('usage'))
      return reach(step)
    }
    if (isTimer(event)) {
      if (!wait) {
        step.problem('a timer fired while no retry or Retry-After wait was due')
        return {}
      }
      const waited = step.at - wait.from
      if (waited !== wait.ms) step.problem(`tried again ${waited} ms after the answer, the wait due was ${wait.ms} ms`)
      const then = wait.next
      wait = null
      return then === 'reach' ? reach(step) : send(step)
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'reachServer':
        if (isError(event)) return retryOrEnd(step, 'reach')
        retries = 0
        expectInput(step, 'promptCredentials', { email: input.email, attempt: 1, lastError: null })
        return { calls: ['promptCredentials'] }
      case 'promptCredentials':
        if (isError(event)) return end(step, failed(errorKind(event)))
        email = output.email
        password = output.password
        return send(step)
      case 'authenticate': {
        if (isError(event)) return retryOrEnd(step, 'send')
        retries = 0
        tries += 1
        if (tries > maxTries) step.problem(`try ${tries} was sent: at most ${maxTries}`)
        if (output.kind === 'granted') return end(step, { end: { kind: 'granted', fields: { tokens: output.tokens } } })
        if (output.kind === 'invalid') {
          if (tries >= maxTries || !input.canPrompt) return end(step, failed('refused'))
          expectInput(step, 'promptCredentials', {
            email: null,
            emailDefault: email,
            attempt: tries + 1,
            lastError: failure('wrongCredentials', { serverText: output.serverText, attempts: tries }),
          })
          return { calls: ['promptCredentials'] }
        }
        if (output.retryAfterMs > maxRateLimitWaitMs || tries >= maxTries) return end(step, failed('refused'))
        wait = { from: step.at, ms: output.retryAfterMs, next: 'send' }
        return {}
      }
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

const passwordInput = (overrides: Partial<PasswordGrantInput> = {}): PasswordGrantInput => ({
  server: 'https://auth.omicos.cn',
  email: 'you@example.com',
  password: secrets.password,
  canPrompt: true,
  ...overrides,
})

const passwordModel: Model = {
  name: 'password-grant',
  machine: passwordGrantMachine,
  inputs: [
    passwordInput(),
    passwordInput({ email: null, password: null }),
    passwordInput({ canPrompt: false }),
    passwordInput({ canPrompt: false, email: null }),
    passwordInput({ maxAttempts: 2, maxRetries: 1, retryBaseMs: 100, maxRateLimitWaitMs: 1_000 }),
  ],
  outputs: {
    reachServer: () => [undefined],
    // A second account typed: what the next try sends and offers again is what was typed last.
    promptCredentials: () => [
      { email: 'you@example.com', password: secrets.password },
      { email: 'other@example.com', password: secrets.wrongPassword },
    ],
    authenticate: () => [
      { kind: 'granted', tokens: tokenSet(EPOCH) },
      { kind: 'invalid', serverText: null },
      { kind: 'rateLimited', retryAfterMs: 1_000, host: 'auth.omicos.cn' },
      { kind: 'rateLimited', retryAfterMs: 60_000, host: 'auth.omicos.cn' },
    ],
  },
  errors: {
    promptCredentials: () => [cancelled],
    reachServer: ({ context }) => [...(context.retries < 3 ? [unreachable()] : []), tls, badResponse],
    authenticate: ({ context }) => [...(context.retries < 3 ? [unreachable()] : []), tls, badResponse],
  },
  userEvents: () => [],
  project: ({ context }) => ({ attempts: context.attempts, retries: context.retries, error: context.error?.kind }),
  oracle: passwordOracle,
}

// --- the device grant ---------------------------------------------------------------------

/**
 * RFC 8628: ask for a code (with the process name and host); poll with the device code every
 * `interval`, never sooner and never later; `slow_down` adds exactly 5 s for that and every
 * later poll; a connection failure or a 5xx / 429 backs off: the interval doubled per failure in
 * a row, capped at maxBackoffMs (60 s) and at the interval + noticeWithinMs (10 s) but never below the interval, at least the Retry-After,
 * and any other answer brings back the interval. `access_denied` and `invalid_grant` are
 * `refused`; `expired_token`, an answer or a resume at or after receivedAt + expires_in, or a
 * wait that reaches it, are `expired`, and nothing is sent at or after it; a resume waits at
 * least an interval before the next poll. Approval ends with the tokens. No device code is left.
 */
const deviceOracle: Oracle = (observed) => {
  const input = observed.input as DeviceGrantInput
  const maxBackoffMs = input.maxBackoffMs ?? 60_000
  const noticeWithinMs = input.noticeWithinMs ?? 10_000
  let intervalMs = 0
  let deadline = 0
  let deviceCode = ''
  // the latest time the effects reported, and the simulated time at which it was reported
  let reported = 0
  let reportedAt = 0
  let since: 'answer' | 'failure' | 'resume' = 'answer'
  let failures = 0
  let retryAfterMs = 0
  let waitDue = 0
  const end = (step: StepView, e: Expectation) => ending(step, e, e.end?.kind === 'granted' ? [secrets.userToken, secrets.refreshToken] : [])
  const expired = (step: StepView) => end(step, failed('expired'))
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) {
      expectInput(step, 'requestCode', { server: input.server, name: input.name, hostname: input.hostname })
      return { calls: ['requestCode'] }
    }
    if (event.type === 'user.cancel') return end(step, failed('cancelled'))
    if (event.type === 'app.resume') {
      const now = (event as { now?: number }).now!
      if (now >= deadline) return expired(step)
      reported = now
      reportedAt = step.at
      since = 'resume'
      return {}
    }
    if (isTimer(event)) {
      const waited = step.at - reportedAt
      const now = reported + waited
      if (event.type.includes('untilDeadline') && now !== deadline)
        step.problem(`the code was given up at ${now - EPOCH} ms, its deadline is ${deadline - EPOCH} ms`)
      if (now >= deadline) {
        if (event.type.includes('pollWait') && waited !== waitDue) step.problem(`the wait took ${waited} ms, ${waitDue} ms were due`)
        return expired(step)
      }
      if (waited < intervalMs) step.problem(`polled ${waited} ms after the last answer, sooner than the interval ${intervalMs} ms`)
      if (since === 'answer' && waited !== intervalMs) step.problem(`polled ${waited} ms after an answer, the interval in force is ${intervalMs} ms`)
      if (since === 'failure') {
        const due = Math.max(intervalMs, Math.min(maxBackoffMs, intervalMs + noticeWithinMs, intervalMs * 2 ** failures), retryAfterMs)
        if (waited !== due) step.problem(`backed off ${waited} ms after ${failures} failures in a row, ${due} ms were due`)
      }
      if (since === 'resume' && waited > waitDue) step.problem(`polled ${waited} ms after a resume, later than the ${waitDue} ms due`)
      reported = now
      reportedAt = step.at
      expectInput(step, 'pollToken', { server: input.server, deviceCode })
      return { calls: ['pollToken'] }
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'requestCode':
        if (isError(event)) return end(step, failed(errorKind(event)))
        intervalMs = output.interval * 1000
        deadline = output.receivedAt + output.expiresIn * 1000
        deviceCode = output.deviceCode
        reported = output.receivedAt
        reportedAt = step.at
        since = 'answer'
        waitDue = intervalMs
        return {}
      case 'pollToken':
        if (isError(event)) {
          if (errorKind(event) !== 'unreachable') return end(step, failed(errorKind(event)))
          reported += step.at - reportedAt
          reportedAt = step.at
          since = 'failure'
          failures += 1
          retryAfterMs = 0
          waitDue = Math.max(intervalMs, Math.min(maxBackoffMs, intervalMs + noticeWithinMs, intervalMs * 2 ** failures))
          return {}
        }
        reported = output.at
        reportedAt = step.at
        if (output.kind === 'granted') return end(step, { end: { kind: 'granted', fields: { tokens: output.tokens } } })
        if (output.kind === 'denied' || output.kind === 'invalidGrant') return end(step, failed('refused'))
        if (output.kind === 'expired' || output.at >= deadline) return expired(step)
        if (output.kind === 'unavailable') {
          since = 'failure'
          failures += 1
          retryAfterMs = output.retryAfterMs ?? 0
          waitDue = Math.max(intervalMs, Math.min(maxBackoffMs, intervalMs + noticeWithinMs, intervalMs * 2 ** failures), retryAfterMs)
          return {}
        }
        since = 'answer'
        failures = 0
        if (output.kind === 'slowDown') intervalMs += 5_000
        waitDue = intervalMs
        return {}
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

const pollAnswers = ({ context }: AnyMachineSnapshot) => {
  const at = context.now + context.waitMs
  // with the cap below the interval only the answers that touch the backoff are worth trying
  if (context.maxBackoffMs !== 60_000) {
    return [
      { kind: 'pending', at },
      ...(context.failures < 2 ? [{ kind: 'unavailable', status: 503, retryAfterMs: null, at }] : []),
      { kind: 'granted', tokens: tokenSet(at), at },
    ]
  }
  return [
    { kind: 'pending', at },
    // slow_down grows the interval for good: two of them are enough to show it
    ...(context.intervalMs < 15_000 ? [{ kind: 'slowDown', at }] : []),
    { kind: 'denied', at },
    { kind: 'expired', at },
    { kind: 'invalidGrant', at },
    { kind: 'granted', tokens: tokenSet(at), at },
    ...(context.failures < 2
      ? [
          { kind: 'unavailable', status: 503, retryAfterMs: null, at },
          { kind: 'unavailable', status: 429, retryAfterMs: 45_000, at },
        ]
      : []),
    { kind: 'pending', at: context.deadline },
    // an answer stamped later than the clock: the next wait would end past the deadline
    { kind: 'pending', at: context.deadline - 1_000 },
  ]
}

const deviceInput = (overrides: Partial<DeviceGrantInput> = {}): DeviceGrantInput => ({
  server: 'https://auth.omicos.cn',
  name: 'omics',
  hostname: 'hpc-login-1',
  ...overrides,
})

const deviceModel: Model = {
  name: 'device-grant',
  // Run alone it has no parent to tell; what a login's grant tells its parent, the login's specs see.
  machine: deviceGrantMachine.provide({ actions: { tellParent: () => {} } }),
  inputs: [
    deviceInput(),
    // a backoff cap below the interval: the interval must still win
    deviceInput({ maxBackoffMs: 3_000 }),
    // a login's own grant, which tells its parent after every answer
    deviceInput({ reportsToParent: true }),
  ],
  outputs: {
    requestCode: () => [deviceAuthorization(EPOCH)],
    pollToken: pollAnswers,
  },
  errors: {
    requestCode: () => [unreachable()],
    // connection failures back off; two in a row are enough to show the growth
    pollToken: ({ context }) => [...(context.failures < 2 ? [unreachable()] : []), badResponse],
  },
  userEvents: (snapshot) => [
    ...cancel(),
    ...(snapshot.matches('awaitingApproval') && snapshot.context.maxBackoffMs === 60_000
      ? [
          { type: 'app.resume', now: snapshot.context.now + 1_000 },
          { type: 'app.resume', now: snapshot.context.deadline },
        ]
      : []),
  ],
  project: ({ context }) => ({
    intervalMs: context.intervalMs,
    failures: context.failures,
    error: context.error?.kind,
    // a wait that would end at or past the deadline is a state of its own
    late: context.deadline !== null && context.now + context.waitMs >= context.deadline,
  }),
  oracle: deviceOracle,
}

// --- logout and status --------------------------------------------------------------------

/**
 * Logout: nobody logged in -> notLoggedIn; a login on another server than the expected one ->
 * `usage`, nothing revoked or deleted; otherwise revoke that account's tokens at its server, and
 * whether the server confirms, fails, or says nothing within revokeTimeoutMs (3 s), delete that
 * account's files (and only that account's) -> loggedOut, `revoked` only when confirmed. A cancel
 * ends it at once, except while deleting. No token is left in context.
 */
const logoutOracle: Oracle = (observed) => {
  const input = observed.input as { revokeTimeoutMs?: number; expectedServer?: string | null }
  const revokeTimeoutMs = input.revokeTimeoutMs ?? 3_000
  let current: { accountId: string; email: string; server: string; tokens: string[] } | null = null
  let revokeFrom = 0
  let revoked = false
  let phase: 'resolve' | 'revoke' | 'delete' = 'resolve'
  const deleting = (step: StepView): Expectation => {
    phase = 'delete'
    expectInput(step, 'deleteFiles', { accountId: current!.accountId })
    return { calls: ['deleteFiles'] }
  }
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) return { calls: ['resolveAccount'] }
    if (event.type === 'user.cancel') return phase === 'delete' ? {} : ending(step, failed('cancelled'))
    if (isTimer(event)) {
      if (step.at - revokeFrom !== revokeTimeoutMs) step.problem(`gave up revoking after ${step.at - revokeFrom} ms, not ${revokeTimeoutMs}`)
      revoked = false
      return deleting(step)
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'resolveAccount': {
        if (isError(event)) return ending(step, failed(errorKind(event)))
        if (output == null) return ending(step, { end: { kind: 'notLoggedIn' } })
        if (input.expectedServer && output.server !== input.expectedServer) return ending(step, failed('usage'))
        current = output
        revokeFrom = step.at
        phase = 'revoke'
        expectInput(step, 'revokeTokens', { batches: [{ server: current!.server, tokens: current!.tokens }] })
        return { calls: ['revokeTokens'] }
      }
      case 'revokeTokens':
        revoked = !isError(event)
        return deleting(step)
      case 'deleteFiles':
        if (isError(event)) return ending(step, failed(errorKind(event)))
        return ending(step, { end: { kind: 'loggedOut', fields: { email: current!.email, server: current!.server, removed: output.removed, revoked } } })
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

/** Status: read the files; verify online only when asked to and someone is logged in, on the expected server; a cancel ends it. */
const statusOracle: Oracle = (observed) => {
  const { online, expectedServer } = observed.input as { online: boolean; expectedServer?: string | null }
  let report: StatusReport | null = null
  let renewed = false
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) return { calls: ['readStatus'] }
    if (event.type === 'user.cancel') return failed('cancelled')
    const output = outputOf(event)
    switch (step.answered) {
      case 'readStatus':
        if (isError(event)) return failed(errorKind(event))
        report = output
        if (report!.loggedIn && expectedServer && report!.server !== expectedServer) return failed('usage')
        if (online && report!.loggedIn) {
          expectInput(step, 'verifyOnline', { server: report!.server, path: report!.activePath ?? report!.configPath })
          return { calls: ['verifyOnline'] }
        }
        return { end: { kind: 'reported', fields: { report, verified: null, renewed: false } } }
      case 'verifyOnline': {
        if (isError(event)) return failed(errorKind(event))
        // The server answers for another account than the file's: a bad response, whatever else.
        if (output.kind === 'valid' && (output.account.accountId !== report!.accountId || output.account.email.toLowerCase() !== report!.email!.toLowerCase())) {
          return failed('bad_response')
        }
        // Rejected, or within a day of its end: renewed once with the refresh token (RFC 6749 section 6).
        const ends = report!.userTokenExpiresAt
        const nearEnd = typeof ends === 'string' && output.at !== undefined && Date.parse(ends) - output.at <= 86_400_000
        if (!renewed && (output.kind === 'invalid' || nearEnd)) {
          expectInput(step, 'renewLogin', { server: report!.server, path: report!.activePath ?? report!.configPath })
          return { calls: ['renewLogin'] }
        }
        return { end: { kind: 'reported', fields: { report, verified: output, renewed } } }
      }
      case 'renewLogin':
        if (isError(event)) return failed(errorKind(event))
        if (output.kind !== 'renewed') return failed('refused')
        renewed = true
        report = { ...report!, userTokenExpiresAt: output.userTokenExpiresAt === null ? null : new Date(output.userTokenExpiresAt).toISOString() }
        expectInput(step, 'verifyOnline', { server: report!.server, path: report!.activePath ?? report!.configPath })
        return { calls: ['verifyOnline'] }
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

const current = { accountId: 'acct_42', email: 'you@example.com', server: 'https://auth.omicos.cn', tokens: [secrets.userToken, secrets.processToken] }

const logoutModel: Model = {
  name: 'logout',
  machine: logoutMachine,
  inputs: [{}, { expectedServer: 'http://127.0.0.1:4000', revokeTimeoutMs: 500 }],
  outputs: {
    resolveAccount: () => [null, current, { ...current, server: 'http://127.0.0.1:4000' }],
    revokeTokens: () => [undefined],
    deleteFiles: () => [{ removed: files }],
  },
  errors: {
    resolveAccount: () => [localFiles],
    revokeTokens: () => [unreachable()],
    deleteFiles: () => [localFiles],
  },
  userEvents: cancel,
  project: ({ context }) => ({ revoked: context.revoked, error: context.error?.kind }),
  oracle: logoutOracle,
}

const report: StatusReport = {
  loggedIn: true,
  configPath: '/home/you/.omicos/cloud_login.json',
  activePath: '/work/ws1/.omicos/cloud_login.json',
  activeSource: 'workspace',
  email: 'you@example.com',
  accountId: 'acct_42',
  server: 'https://auth.omicos.cn',
  userTokenExpiresAt: new Date(EPOCH + 30 * 86_400_000).toISOString(),
  logins: [],
  sweptTemps: [],
  twinsDiffer: false,
}

const statusModel: Model = {
  name: 'status',
  machine: statusMachine,
  inputs: [{ online: false }, { online: true }, { online: true, expectedServer: 'http://127.0.0.1:4000' }],
  outputs: {
    readStatus: () => [
      report,
      { ...report, activePath: null, activeSource: null },
      { ...report, server: 'http://127.0.0.1:4000' },
      { loggedIn: false, configPath: report.configPath, activePath: null, activeSource: null },
    ],
    verifyOnline: () => [
      { kind: 'valid', account, at: EPOCH },
      { kind: 'valid', account, at: EPOCH + 30 * 86_400_000 - 3_600_000 },
      { kind: 'invalid', failure: failure('loginRejected', { host: 'auth.omicos.cn', status: 401 }), at: EPOCH },
      { kind: 'valid', account: { ...account, accountId: 'acct_eve', email: 'eve@example.com' }, at: EPOCH },
    ],
    renewLogin: () => [{ kind: 'renewed', userTokenExpiresAt: EPOCH + 60 * 86_400_000 }, { kind: 'rejected' }, { kind: 'noRefreshToken' }],
  },
  errors: {
    readStatus: () => [localFiles],
    verifyOnline: () => [unreachable()],
    renewLogin: () => [unreachable()],
  },
  userEvents: cancel,
  project: ({ context }) => ({ online: context.online, error: context.error?.kind }),
  oracle: statusOracle,
}

for (const model of [loginModel, passwordModel, deviceModel, logoutModel, statusModel]) {
  test(`${model.name}: generated paths reach every state and take every transition, each judged by the oracle`, async () => {
    const started = Date.now()
    const result = await cover(model)
    console.log(`${result.line} (${Date.now() - started} ms)`)
    if (result.missingStates.length || result.missingTransitions.length) console.log([...result.missingStates, ...result.missingTransitions].join('\n'))
    if (result.failures.length) console.log(result.failures.slice(0, 3).join('\n'))
    assert.equal(result.failures.slice(0, 3), [], `${result.failures.length} replays went astray or broke a requirement`)
    assert.equal(result.missingStates, [], 'states never reached')
    assert.equal(result.missingTransitions, [], 'transitions never taken')
    assert.ok(result.paths > 0)
  })
}

test.run()
