// Every state and every transition of every machine, reached by paths that xstate/graph
// generates and replayed on real actors (see spec/support/machine-paths.ts), and every path
// judged by an oracle written here from the requirements (docs DESIGN brief, RFC 8628 section
// 3.5, the defaults documented in machines/contracts.ts), never from the machines: the rules
// read the scripted answers along a path and say which effect must be called next, how long
// the simulated clock must have waited, and how the login must end.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { AnyMachineSnapshot, EventObject } from 'xstate'
import {
  deviceLogin,
  logout,
  passwordLogin,
  status,
  type DeviceLoginInput,
  type PasswordLoginInput,
  type StatusReport,
} from '../../machines/index.js'
import {
  account,
  deviceAuthorization,
  deviceLoginInput,
  existingLogin,
  files,
  passwordLoginInput,
  registration,
  secrets,
  session,
  StubEffectError,
  unreachable,
} from '../support/machine-harness.js'
import { cover, judge, type Expectation, type Model, type Oracle, type StepView } from '../support/machine-paths.js'

const localFiles = new StubEffectError('local_files', 'cloud_login.json is a symlink: remove it and try again')
const badResponse = new StubEffectError('bad_response', 'the server answered with HTML')
const cancelled = new StubEffectError('cancelled', 'login cancelled')
const cancel = () => [{ type: 'user.cancel' }]

const passwordInput = (overrides: Partial<PasswordLoginInput>) => passwordLoginInput({ canPrompt: true, ...overrides })

// --- the oracles: what the requirements say, step by step ---------------------------------

/* eslint-disable @typescript-eslint/no-explicit-any */
const outputOf = (event: EventObject) => (event as { output?: any }).output
const errorKind = (event: EventObject) => String((event as { error?: { kind?: string } }).error?.kind)
const isError = (event: EventObject) => event.type.startsWith('xstate.error.actor.')
const isTimer = (event: EventObject) => event.type.startsWith('xstate.after.')
const failed = (failure: string): Expectation => ({ end: { kind: 'failed', failure } })
const inputOfCall = (step: StepView, effect: string) => step.calls.find((call) => call.effect === effect)?.input as any

/**
 * Password login: at most 3 tries in all (a wrong password on a terminal asks again while tries
 * remain; without a terminal, or on the 3rd, it is refused); a connection failure is retried
 * `maxRetries` (2) times after retryBaseMs (500) x 2^n, then `unreachable`; a Retry-After is
 * waited out when it is at most maxRateLimitWaitMs (15 s), else `refused`; Ctrl-C `cancelled`;
 * input needed and no terminal `usage`; any other effect error ends with its own kind.
 */
const passwordOracle: Oracle = (observed) => {
  const input = observed.input as PasswordLoginInput
  const maxTries = 3
  const maxRetries = input.maxRetries ?? 2
  const retryBaseMs = input.retryBaseMs ?? 500
  const maxRateLimitWaitMs = input.maxRateLimitWaitMs ?? 15_000
  let tries = 0
  let retries = 0
  let email: string | null = null
  let wait: { from: number; ms: number; exact: boolean } | null = null
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) return { calls: ['checkExisting'] }
    if (event.type === 'user.cancel') return failed('cancelled')
    if (isTimer(event)) {
      if (!wait) {
        step.problem('a timer fired while no retry or Retry-After wait was due')
        return {}
      }
      const waited = step.at - wait.from
      if (wait.exact ? waited !== wait.ms : waited < wait.ms) {
        step.problem(`tried again ${waited} ms after the answer, the wait due was ${wait.exact ? '' : 'at least '}${wait.ms} ms`)
      }
      wait = null
      return { calls: ['authenticate'] }
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'checkExisting':
        if (isError(event)) return failed(errorKind(event))
        if (output && !input.force) return { end: { kind: 'alreadyLoggedIn', fields: { existing: output } } }
        if (input.email !== null && input.password !== null) return { calls: ['authenticate'] }
        if (!input.canPrompt) return failed('usage')
        if (inputOfCall(step, 'promptCredentials')?.attempt !== 1) step.problem('the first prompt is not try 1')
        return { calls: ['promptCredentials'] }
      case 'promptCredentials':
        if (isError(event)) return failed(errorKind(event))
        return { calls: ['authenticate'] }
      case 'authenticate': {
        if (isError(event)) {
          if (errorKind(event) !== 'unreachable') return failed(errorKind(event))
          retries += 1
          if (retries > maxRetries) return failed('unreachable')
          wait = { from: step.at, ms: retryBaseMs * 2 ** (retries - 1), exact: true }
          return {}
        }
        retries = 0
        tries += 1
        if (tries > maxTries) step.problem(`try ${tries} was sent: at most ${maxTries}`)
        if (output.kind === 'granted') {
          email = output.session.account.email
          return { calls: ['registerProcess'] }
        }
        if (output.kind === 'invalid') {
          if (tries >= maxTries || !input.canPrompt) return failed('refused')
          const prompt = inputOfCall(step, 'promptCredentials')
          if (prompt && (prompt.attempt !== tries + 1 || prompt.lastError !== output.message)) {
            step.problem(`asked again as try ${prompt.attempt} with ${JSON.stringify(prompt.lastError)}, expected try ${tries + 1} saying why`)
          }
          return { calls: ['promptCredentials'] }
        }
        if (output.retryAfterMs > maxRateLimitWaitMs || tries >= maxTries) return failed('refused')
        wait = { from: step.at, ms: output.retryAfterMs, exact: false }
        return {}
      }
      case 'registerProcess':
        if (isError(event)) return failed(errorKind(event))
        return { calls: ['persist'] }
      case 'persist':
        if (isError(event)) return failed(errorKind(event))
        return { end: { kind: 'loggedIn', fields: { email, paths: output.paths } } }
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

/**
 * Device login, RFC 8628: poll every `interval`, never sooner; `slow_down` adds exactly 5 s for
 * that and every later poll; a connection failure backs off exponentially (at least doubling,
 * up to maxBackoffMs, 60 s), never faster than the interval; `access_denied` -> refused,
 * `expired_token` or an answer or a resume at or after receivedAt + expires_in -> expired, and
 * the deadline passing while waiting -> expired with no poll; approval -> register, persist,
 * loggedIn; Ctrl-C -> cancelled. Time on the machine's side is what the effects report; the
 * waits are measured on the simulated clock.
 */
const deviceOracle: Oracle = (observed) => {
  const input = observed.input as DeviceLoginInput
  const slowDownStepMs = 5_000
  const maxBackoffMs = input.maxBackoffMs ?? 60_000
  let intervalMs = 0
  let deadline = 0
  // the latest time the effects reported, and the simulated time at which it was reported
  let reported = 0
  let reportedAt = 0
  let since: 'answer' | 'failure' | 'resume' = 'answer'
  let previousWait = 0
  let email: string | null = null
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) return { calls: ['checkExisting'] }
    if (event.type === 'user.cancel') return failed('cancelled')
    if (event.type === 'app.resume') {
      const now = (event as { now?: number }).now!
      if (now >= deadline) return failed('expired')
      reported = now
      reportedAt = step.at
      since = 'resume'
      return {}
    }
    if (isTimer(event)) {
      const waited = step.at - reportedAt
      const now = reported + waited
      if (now >= deadline) return failed('expired')
      if (waited < intervalMs) step.problem(`polled ${waited} ms after the last answer, sooner than the interval ${intervalMs} ms`)
      if (since === 'answer' && waited !== intervalMs) step.problem(`polled ${waited} ms after an answer, the interval in force is ${intervalMs} ms`)
      if (since === 'failure') {
        if (waited < Math.min(maxBackoffMs, 2 * previousWait)) step.problem(`backed off ${waited} ms after ${previousWait} ms: not exponential`)
        if (waited > Math.max(intervalMs, maxBackoffMs)) step.problem(`backed off ${waited} ms, over the cap ${maxBackoffMs} ms`)
      }
      previousWait = waited
      reported = now
      reportedAt = step.at
      return { calls: ['pollToken'] }
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'checkExisting':
        if (isError(event)) return failed(errorKind(event))
        if (output && !input.force) return { end: { kind: 'alreadyLoggedIn', fields: { existing: output } } }
        return { calls: ['requestCode'] }
      case 'requestCode':
        if (isError(event)) return failed(errorKind(event))
        intervalMs = output.interval * 1000
        deadline = output.receivedAt + output.expiresIn * 1000
        reported = output.receivedAt
        reportedAt = step.at
        since = 'answer'
        return {}
      case 'pollToken':
        if (isError(event)) {
          if (errorKind(event) !== 'unreachable') return failed(errorKind(event))
          reported += step.at - reportedAt
          reportedAt = step.at
          since = 'failure'
          return {}
        }
        reported = output.at
        reportedAt = step.at
        since = 'answer'
        if (output.kind === 'granted') {
          email = output.session.account.email
          return { calls: ['registerProcess'] }
        }
        if (output.kind === 'denied') return failed('refused')
        if (output.kind === 'expired' || output.at >= deadline) return failed('expired')
        if (output.kind === 'slowDown') intervalMs += slowDownStepMs
        return {}
      case 'registerProcess':
        if (isError(event)) return failed(errorKind(event))
        return { calls: ['persist'] }
      case 'persist':
        if (isError(event)) return failed(errorKind(event))
        return { end: { kind: 'loggedIn', fields: { email, paths: output.paths } } }
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

/**
 * Logout: nobody logged in -> notLoggedIn; otherwise revoke that account's tokens, and whether
 * the server confirms, fails, or says nothing within revokeTimeoutMs (3 s), delete that
 * account's files (and only that account's) -> loggedOut, `revoked` only when confirmed.
 */
const logoutOracle: Oracle = (observed) => {
  const revokeTimeoutMs = (observed.input as { revokeTimeoutMs?: number }).revokeTimeoutMs ?? 3_000
  let account: { accountId: string; email: string; server: string; tokens: string[] } | null = null
  let revokeFrom = 0
  let revoked = false
  const deleting = (step: StepView): Expectation => {
    const call = inputOfCall(step, 'deleteFiles')
    if (call && call.accountId !== account!.accountId) step.problem(`deletes the files of ${call.accountId}, not ${account!.accountId}`)
    return { calls: ['deleteFiles'] }
  }
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) return { calls: ['resolveAccount'] }
    if (isTimer(event)) {
      if (step.at - revokeFrom !== revokeTimeoutMs) step.problem(`gave up revoking after ${step.at - revokeFrom} ms, not ${revokeTimeoutMs}`)
      revoked = false
      return deleting(step)
    }
    const output = outputOf(event)
    switch (step.answered) {
      case 'resolveAccount': {
        if (isError(event)) return failed(errorKind(event))
        if (output == null) return { end: { kind: 'notLoggedIn' } }
        account = output
        revokeFrom = step.at
        const call = inputOfCall(step, 'revokeTokens')
        if (call && JSON.stringify(call) !== JSON.stringify({ server: account!.server, tokens: account!.tokens })) {
          step.problem(`revokes ${JSON.stringify(call)}`)
        }
        return { calls: ['revokeTokens'] }
      }
      case 'revokeTokens':
        revoked = !isError(event)
        return deleting(step)
      case 'deleteFiles':
        if (isError(event)) return failed(errorKind(event))
        return { end: { kind: 'loggedOut', fields: { email: account!.email, removed: output.removed, revoked } } }
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

/** Status: read the files; verify online only when asked to and someone is logged in. */
const statusOracle: Oracle = (observed) => {
  const { online } = observed.input as { online: boolean }
  let report: StatusReport | null = null
  return judge(observed, (step) => {
    const { event } = step
    if (step.index < 0) return { calls: ['readStatus'] }
    const output = outputOf(event)
    switch (step.answered) {
      case 'readStatus':
        if (isError(event)) return failed(errorKind(event))
        report = output
        if (online && report!.loggedIn) return { calls: ['verifyOnline'] }
        return { end: { kind: 'reported', fields: { report, verified: null } } }
      case 'verifyOnline':
        if (isError(event)) return failed(errorKind(event))
        return { end: { kind: 'reported', fields: { report, verified: output } } }
    }
    step.problem(`no rule for ${event.type}`)
    return {}
  })
}

const password: Model = {
  name: 'password-login',
  machine: passwordLogin,
  inputs: [
    passwordInput({}),
    passwordInput({ email: null, password: null }),
    passwordInput({ canPrompt: false }),
    passwordInput({ canPrompt: false, password: null }),
    passwordInput({ canPrompt: false, force: true }),
  ],
  outputs: {
    checkExisting: () => [null, existingLogin],
    promptCredentials: () => [{ email: 'you@example.com', password: secrets.password }],
    authenticate: () => [
      { kind: 'granted', session },
      { kind: 'invalid', message: 'wrong email or password' },
      { kind: 'rateLimited', retryAfterMs: 2_000, message: 'too many failed logins' },
      { kind: 'rateLimited', retryAfterMs: 60_000, message: 'too many failed logins' },
    ],
    registerProcess: () => [registration(0)],
    persist: () => [{ paths: files }],
  },
  errors: {
    checkExisting: () => [localFiles],
    promptCredentials: () => [cancelled],
    authenticate: () => [unreachable(), badResponse],
    registerProcess: () => [badResponse],
    persist: () => [localFiles],
  },
  userEvents: cancel,
  project: ({ context }) => ({ attempts: context.attempts, retries: context.retries, error: context.error?.kind }),
  oracle: passwordOracle,
}

const pollAnswers = ({ context }: AnyMachineSnapshot) => {
  const at = context.now + context.waitMs
  return [
    { kind: 'pending', at },
    // slow_down grows the interval for good: two of them are enough to show it
    ...(context.intervalMs < 15_000 ? [{ kind: 'slowDown', at }] : []),
    { kind: 'denied', at },
    { kind: 'expired', at },
    { kind: 'granted', session, at },
    { kind: 'pending', at: context.deadline },
  ]
}

const device: Model = {
  name: 'device-login',
  machine: deviceLogin,
  inputs: [
    deviceLoginInput(),
    deviceLoginInput({ force: true }),
    // a backoff cap below the interval: the interval must still win
    deviceLoginInput({ maxBackoffMs: 3_000 }),
  ],
  outputs: {
    checkExisting: () => [null, existingLogin],
    requestCode: () => [deviceAuthorization(1_000)],
    pollToken: pollAnswers,
    registerProcess: ({ context }) => [registration(context.now)],
    persist: () => [{ paths: files }],
  },
  errors: {
    checkExisting: () => [localFiles],
    requestCode: () => [unreachable()],
    // connection failures back off; two in a row are enough to show the growth
    pollToken: ({ context }) => [...(context.failures < 2 ? [unreachable()] : []), badResponse],
    registerProcess: () => [unreachable()],
    persist: () => [localFiles],
  },
  userEvents: (snapshot) => [
    ...cancel(),
    ...(snapshot.matches('awaitingApproval')
      ? [
          { type: 'app.resume', now: snapshot.context.now + 1_000 },
          { type: 'app.resume', now: snapshot.context.deadline },
        ]
      : []),
  ],
  project: ({ context }) => ({ intervalMs: context.intervalMs, failures: context.failures, error: context.error?.kind }),
  oracle: deviceOracle,
}

const current = { accountId: 'acct_42', email: 'you@example.com', server: 'https://auth.omicos.cn', tokens: [secrets.userToken] }

const logoutModel: Model = {
  name: 'logout',
  machine: logout,
  inputs: [{}],
  outputs: {
    resolveAccount: () => [null, current],
    revokeTokens: () => [undefined],
    deleteFiles: () => [{ removed: files }],
  },
  errors: {
    resolveAccount: () => [localFiles],
    revokeTokens: () => [unreachable()],
    deleteFiles: () => [localFiles],
  },
  userEvents: () => [],
  project: ({ context }) => ({ revoked: context.revoked, error: context.error?.kind }),
  oracle: logoutOracle,
}

const report: StatusReport = {
  loggedIn: true,
  configPath: '/home/you/.omicos/cloud_login.json',
  activePath: '/home/you/.omicos/cloud_login.json',
  activeSource: 'global',
  email: 'you@example.com',
  server: 'https://auth.omicos.cn',
}

const statusModel: Model = {
  name: 'status',
  machine: status,
  inputs: [{ online: false }, { online: true }],
  outputs: {
    readStatus: () => [report, { ...report, loggedIn: false, activePath: null, activeSource: null }],
    verifyOnline: () => [{ kind: 'valid', account }, { kind: 'invalid', message: 'the login was revoked' }],
  },
  errors: {
    readStatus: () => [localFiles],
    verifyOnline: () => [unreachable()],
  },
  userEvents: () => [],
  project: ({ context }) => ({ online: context.online, error: context.error?.kind }),
  oracle: statusOracle,
}

for (const model of [password, device, logoutModel, statusModel]) {
  test(`${model.name}: generated paths reach every state and take every transition`, async () => {
    const result = await cover(model)
    console.log(result.line)
    if (result.failures.length) console.log(result.failures.slice(0, 3).join('\n'))
    assert.equal(result.failures.slice(0, 3), [], `${result.failures.length} replays went astray or broke a requirement`)
    assert.equal(result.missingStates, [], 'states never reached')
    assert.equal(result.missingTransitions, [], 'transitions never taken')
    assert.ok(result.paths > 0)
  })
}

test.run()
