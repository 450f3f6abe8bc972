import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { deviceLogin, type DeviceLoginInput } from '../../machines/index.js'
import {
  checkSnapshot,
  deviceAuthorization,
  deviceLoginInput,
  existingLogin,
  files,
  registration,
  run,
  scripted,
  secrets,
  session,
  settle,
  StubEffectError,
  TimerClock,
  unreachable,
  type Answer,
} from '../support/machine-harness.js'

// Poll answers carry the simulated time they arrive at, as the real effect does.
const answer =
  (kind: 'pending' | 'slowDown' | 'denied' | 'expired'): Answer =>
  (now) => ({ ok: { kind, at: now } })
const approved: Answer = (now) => ({ ok: { kind: 'granted', session, at: now } })
const pending = answer('pending')
const slowDown = answer('slowDown')
const offline: Answer = { fail: unreachable() }

const start = (
  script: Record<string, Answer[]>,
  options: { input?: Partial<DeviceLoginInput>; snapshot?: unknown; startAt?: number } = {},
) => {
  const clock = new TimerClock()
  if (options.startAt) clock.set(options.startAt)
  const fx = scripted(
    {
      checkExisting: [{ ok: null }],
      requestCode: [(now) => ({ ok: deviceAuthorization(now) })],
      pollToken: [],
      registerProcess: [(now) => ({ ok: registration(now) })],
      persist: [{ ok: { paths: files } }],
      ...script,
    },
    clock,
  )
  const login = run(deviceLogin, fx.actors, { input: deviceLoginInput(options.input), clock, snapshot: options.snapshot })
  return { ...login, fx }
}

const loggedIn = { kind: 'loggedIn', email: 'you@example.com', accountId: 'acct_42', processName: 'omics', paths: files }
const head = ['checkingExisting', 'requestingCode', 'awaitingApproval.waiting']
const poll = ['awaitingApproval.polling', 'awaitingApproval.waiting']
const tail = ['awaitingApproval.polling', 'registeringProcess', 'persisting', 'loggedIn']

/** Moves the clock to `at`, checking that the next poll does not go out a millisecond early. */
const pollsAt = async (login: ReturnType<typeof start>, at: number) => {
  const before = login.fx.calls.pollToken.length
  await login.advance(at - 1 - login.clock.now())
  assert.is(login.fx.calls.pollToken.length, before, `no poll before ${at} ms`)
  await login.advance(1)
  assert.is(login.fx.calls.pollToken.length, before + 1, `a poll at ${at} ms`)
}

test('pending, then approved: polls every interval, registers, persists', async () => {
  const login = start({ pollToken: [pending, approved] })
  await settle()
  const context = login.snapshot().context
  assert.is(context.userCode, 'BCDF-GHJK')
  assert.is(context.verificationUri, 'https://auth.omicos.cn/device')
  assert.is(context.verificationUriComplete, 'https://auth.omicos.cn/device?user_code=BCDFGHJK')
  assert.is(context.deadline, 600_000)
  assert.is(context.intervalMs, 5_000)
  await pollsAt(login, 5_000)
  await pollsAt(login, 10_000)
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, [...head, ...poll, ...tail])
  assert.equal(login.fx.calls.pollToken, [
    { server: 'https://auth.omicos.cn', deviceCode: secrets.deviceCode },
    { server: 'https://auth.omicos.cn', deviceCode: secrets.deviceCode },
  ])
  assert.equal(login.fx.calls.requestCode, [{ server: 'https://auth.omicos.cn', name: 'omics', hostname: 'hpc-login-1' }])
  const persisted = login.fx.calls.persist[0] as { authMethod: string; loggedInAt: number }
  assert.is(persisted.authMethod, 'device')
  assert.is(persisted.loggedInAt, 10_000)
  const end = login.snapshot().context
  assert.is(end.polls, 2)
  assert.is(end.deviceCode, null, 'the device code is dropped once redeemed')
  assert.is(end.session, null)
  assert.equal(login.errors, [])
})

test('slow_down twice: the interval goes 5 -> 10 -> 15 s for every later poll', async () => {
  const login = start({ pollToken: [pending, slowDown, slowDown, approved] })
  await settle()
  await pollsAt(login, 5_000)
  assert.is(login.snapshot().context.intervalMs, 5_000)
  await pollsAt(login, 10_000)
  assert.is(login.snapshot().context.intervalMs, 10_000)
  await pollsAt(login, 20_000)
  assert.is(login.snapshot().context.intervalMs, 15_000)
  await pollsAt(login, 35_000)
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.fx.times.pollToken, [5_000, 10_000, 20_000, 35_000])
  assert.equal(login.states, [...head, ...poll, ...poll, ...poll, ...tail])
  assert.is(
    checkSnapshot('device: pending, slow_down, approved', {
      states: login.states,
      context: login.snapshot().context,
      output: await login.done(),
    }),
    null,
  )
})

test('connection failures: exponential backoff, never faster than the interval, then approved', async () => {
  const login = start({ pollToken: [offline, offline, offline, pending, approved] })
  await settle()
  await pollsAt(login, 5_000)
  assert.equal([login.snapshot().context.failures, login.snapshot().context.waitMs], [1, 10_000])
  await pollsAt(login, 15_000)
  await pollsAt(login, 35_000)
  assert.equal([login.snapshot().context.failures, login.snapshot().context.waitMs], [3, 40_000])
  await pollsAt(login, 75_000)
  assert.equal([login.snapshot().context.failures, login.snapshot().context.waitMs], [0, 5_000])
  await pollsAt(login, 80_000)
  assert.equal(await login.done(), loggedIn)
  const gaps = login.fx.times.pollToken.slice(1).map((t, i) => t - login.fx.times.pollToken[i])
  assert.equal(gaps, [10_000, 20_000, 40_000, 5_000])
  assert.ok(gaps.every((gap) => gap >= 5_000))
})

test('connection failures: the backoff is capped at maxBackoffMs but never below the interval', async () => {
  const login = start({ pollToken: [offline, offline, offline, approved] }, { input: { maxBackoffMs: 12_000 } })
  await settle()
  await pollsAt(login, 5_000)
  await pollsAt(login, 15_000)
  await pollsAt(login, 27_000)
  await pollsAt(login, 39_000)
  assert.equal(await login.done(), loggedIn)

  const tight = start({ pollToken: [offline, offline, approved] }, { input: { maxBackoffMs: 1_000 } })
  await settle()
  await pollsAt(tight, 5_000)
  await pollsAt(tight, 10_000)
  await pollsAt(tight, 15_000)
  assert.equal(await tight.done(), loggedIn)
})

test('expired_token from the server: expired, saying to run the login again', async () => {
  const login = start({ pollToken: [pending, answer('expired')] })
  await settle()
  await login.advance(10_000)
  const output = (await login.done()) as { failure: { kind: string; message: string } }
  assert.is(output.failure.kind, 'expired')
  assert.match(output.failure.message, 'run `omicos cli login` again')
  assert.equal(login.states, [...head, ...poll, 'awaitingApproval.polling', 'failed'])
})

test('local deadline: no answer ever arrives, expired at receivedAt + expires_in', async () => {
  const login = start({
    requestCode: [(now) => ({ ok: deviceAuthorization(now, { expiresIn: 12 }) })],
    pollToken: ['hang'],
  })
  await settle()
  await login.advance(5_000)
  assert.is(login.fx.calls.pollToken.length, 1)
  await login.advance(6_999)
  assert.is(login.snapshot().status, 'active')
  await login.advance(1)
  const output = (await login.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'expired')
  assert.is(login.clock.now(), 12_000)
  assert.equal(login.states, [...head, 'awaitingApproval.polling', 'failed'])
  assert.equal(login.clock.scheduled(), [])
  assert.is(
    checkSnapshot('device: expired by local deadline', { states: login.states, context: login.snapshot().context }),
    null,
  )
})

test('local deadline while waiting between polls: no poll after the deadline', async () => {
  const login = start({
    requestCode: [(now) => ({ ok: deviceAuthorization(now, { expiresIn: 12 }) })],
    pollToken: [pending, pending, pending],
  })
  await settle()
  await login.advance(60_000)
  const output = (await login.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'expired')
  assert.equal(login.fx.times.pollToken, [5_000, 10_000])
})

test('a pending answer that arrives after the deadline ends the login as expired', async () => {
  const late: Answer = (now) => ({ ok: { kind: 'pending', at: now + 700_000 } })
  const login = start({ pollToken: [late] })
  await settle()
  await login.advance(5_000)
  const output = (await login.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'expired')
  assert.is(login.snapshot().context.now, 705_000)
})

test('access_denied: refused, pairing was declined', async () => {
  const login = start({ pollToken: [answer('denied')] })
  await settle()
  await login.advance(5_000)
  const output = (await login.done()) as { failure: { kind: string; message: string } }
  assert.is(output.failure.kind, 'refused')
  assert.match(output.failure.message, 'pairing was declined')
})

test('user.cancel: cancelled at once, and no poll ever goes out after it', async () => {
  const login = start({ pollToken: [pending, pending, pending] })
  await settle()
  await login.advance(5_000)
  assert.is(login.fx.calls.pollToken.length, 1)
  login.actor.send({ type: 'user.cancel' })
  const output = (await login.done()) as { failure: unknown }
  assert.equal(output.failure, { kind: 'cancelled', message: 'login cancelled' })
  assert.equal(login.clock.scheduled(), [], 'no timer left')
  await login.advance(600_000)
  assert.is(login.fx.calls.pollToken.length, 1)
  assert.equal(login.states, [...head, ...poll, 'failed'])
})

test('user.cancel while a poll is in flight: its answer is ignored', async () => {
  const login = start({ pollToken: ['hang'] })
  await settle()
  await login.advance(5_000)
  login.actor.send({ type: 'user.cancel' })
  const output = (await login.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'cancelled')
  assert.equal(login.states, [...head, 'awaitingApproval.polling', 'failed'])
})

/** Runs a login to its first pending answer and returns the JSON of its persisted snapshot. */
const persistedAfterFirstPoll = async () => {
  const first = start({ pollToken: [pending] })
  await settle()
  await first.advance(5_000)
  assert.is(first.snapshot().context.now, 5_000)
  const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
  first.actor.stop()
  return persisted
}

test('resume from a persisted snapshot (JSON round trip) mid-wait, then approved', async () => {
  const persisted = await persistedAfterFirstPoll()
  const resumed = start({ checkExisting: [], requestCode: [], pollToken: [pending, approved] }, { snapshot: persisted, startAt: 7_000 })
  await settle()
  assert.is(resumed.snapshot().value.awaitingApproval, 'waiting')
  assert.equal(resumed.clock.scheduled(), [], 'a restored snapshot has no timers until app.resume')
  resumed.actor.send({ type: 'app.resume', now: 7_000 })
  const context = resumed.snapshot().context
  assert.equal([context.now, context.deadline, context.polls, context.userCode], [7_000, 600_000, 1, 'BCDF-GHJK'])
  assert.is(resumed.clock.remaining('xstate.after.untilDeadline.deviceLogin.awaitingApproval'), 593_000)
  await pollsAt(resumed, 12_000)
  await pollsAt(resumed, 17_000)
  assert.equal(await resumed.done(), loggedIn)
  assert.equal(resumed.states, ['awaitingApproval.waiting', 'awaitingApproval.waiting', ...poll, ...tail])
  assert.equal(resumed.fx.calls.checkExisting, [])
  assert.equal(resumed.fx.calls.requestCode, [], 'the same code is polled, no new one requested')
  assert.is(
    checkSnapshot('device: resumed mid-wait, approved', { states: resumed.states, context: resumed.snapshot().context }),
    null,
  )
})

test('resume from a snapshot taken while a poll was in flight: waits the interval again', async () => {
  const first = start({ pollToken: ['hang'] })
  await settle()
  await first.advance(5_000)
  const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
  first.actor.stop()
  assert.is(persisted.value.awaitingApproval, 'polling')
  // The restored poll starts again on its own (an XState restore restarts running promises);
  // app.resume then puts the login back into a wait that schedules its own timers.
  const resumed = start({ checkExisting: [], requestCode: [], pollToken: ['hang', approved] }, { snapshot: persisted, startAt: 9_000 })
  await settle()
  resumed.actor.send({ type: 'app.resume', now: 9_000 })
  assert.is(resumed.snapshot().value.awaitingApproval, 'waiting')
  await pollsAt(resumed, 14_000)
  assert.equal(await resumed.done(), loggedIn)
})

test('resume after the deadline: expired, no poll', async () => {
  const persisted = await persistedAfterFirstPoll()
  const resumed = start({ checkExisting: [], requestCode: [], pollToken: [] }, { snapshot: persisted, startAt: 600_000 })
  await settle()
  resumed.actor.send({ type: 'app.resume', now: 600_000 })
  const output = (await resumed.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'expired')
  assert.equal(resumed.fx.calls.pollToken, [])
  assert.is(resumed.snapshot().context.now, 600_000)
})

test('already logged in: no code is requested; --force requests one anyway', async () => {
  const login = start({ checkExisting: [{ ok: existingLogin }] })
  assert.equal(await login.done(), { kind: 'alreadyLoggedIn', existing: existingLogin })
  assert.equal(login.fx.calls.requestCode, [])
  const forced = start({ checkExisting: [{ ok: existingLogin }], pollToken: [approved] }, { input: { force: true } })
  await settle()
  await forced.advance(5_000)
  assert.equal(await forced.done(), loggedIn)
})

test('effect failures end the login with their own kind and message', async () => {
  const requestFails = start({ requestCode: [{ fail: unreachable('could not reach https://auth.omicos.cn') }] })
  assert.equal(((await requestFails.done()) as { failure: unknown }).failure, {
    kind: 'unreachable',
    message: 'could not reach https://auth.omicos.cn',
  })
  const pollBad = start({ pollToken: [{ fail: new StubEffectError('bad_response', 'the token endpoint sent HTML') }] })
  await settle()
  await pollBad.advance(5_000)
  assert.equal(((await pollBad.done()) as { failure: { kind: string } }).failure.kind, 'bad_response')
  const registerFails = start({ pollToken: [approved], registerProcess: [{ fail: unreachable() }] })
  await settle()
  await registerFails.advance(5_000)
  assert.equal(((await registerFails.done()) as { failure: { kind: string } }).failure.kind, 'unreachable')
  const persistFails = start({ pollToken: [approved], persist: [{ fail: new StubEffectError('local_files', 'disk full') }] })
  await settle()
  await persistFails.advance(5_000)
  assert.equal(((await persistFails.done()) as { failure: unknown }).failure, { kind: 'local_files', message: 'disk full' })
})

test.run()
