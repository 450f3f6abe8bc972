// The device grant alone (RFC 8628), on a simulated clock that starts at a real epoch time: the
// pacing of section 3.5 (interval, +5 s per slow_down for every later request, backoff after
// connection errors and 5xx / 429 answers, never below the interval and capped, Retry-After),
// the code's own deadline, resuming a persisted snapshot, and how each answer ends it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { described, failure, deviceGrantMachine, deviceGrantDefaults, type DeviceGrantInput } from '../../machines/index.js'
import {
  checkSnapshot,
  deviceAuthorization,
  EPOCH,
  redact,
  run,
  scripted,
  secrets,
  settle,
  StubEffectError,
  TestClock,
  unreachable,
  type Answer,
} from '../support/machine-harness.js'

const tokens = (at: number) => ({
  userToken: secrets.userToken,
  refreshToken: secrets.refreshToken,
  userTokenExpiresAt: at + 3_600_000,
  receivedAt: at,
})
const answer =
  (kind: 'pending' | 'slowDown' | 'denied' | 'expired' | 'invalidGrant'): Answer =>
  ({ now }) => ({ ok: { kind, at: now } })
const pending = answer('pending')
const slowDown = answer('slowDown')
const approved: Answer = ({ now }) => ({ ok: { kind: 'granted', tokens: tokens(now), at: now } })
const offline: Answer = { fail: unreachable() }
const unavailable =
  (status: number, retryAfterMs: number | null): Answer =>
  ({ now }) => ({ ok: { kind: 'unavailable', status, retryAfterMs, at: now } })

const input = (overrides: Partial<DeviceGrantInput> = {}): DeviceGrantInput => ({
  server: 'https://auth.omicos.cn',
  name: 'omics',
  hostname: 'hpc-login-1',
  ...overrides,
})

const start = (script: Record<string, Answer[]>, options: { input?: Partial<DeviceGrantInput>; snapshot?: unknown; startAt?: number } = {}) => {
  const clock = new TestClock(options.startAt ?? EPOCH)
  const fx = scripted({ requestCode: [({ now }) => ({ ok: deviceAuthorization(now) })], pollToken: [], ...script }, clock)
  return { ...run(deviceGrantMachine, fx.actors, { input: input(options.input), clock, snapshot: options.snapshot }), fx }
}
type Grant = ReturnType<typeof start>

/** Moves the clock to EPOCH + `at`: no poll a millisecond sooner, one poll exactly then. */
const pollsAt = async (grant: Grant, at: number) => {
  const before = grant.fx.calls.pollToken.length
  await grant.advance(EPOCH + at - 1 - grant.clock.now())
  assert.is(grant.fx.calls.pollToken.length, before, `no poll before ${at} ms`)
  await grant.advance(1)
  assert.is(grant.fx.calls.pollToken.length, before + 1, `a poll at ${at} ms`)
}

const since = (grant: Grant) => grant.fx.times.pollToken.map((t) => t - EPOCH)
const gaps = (times: number[]) => times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]))
const failureOf = async (grant: Grant) => ((await grant.done()) as { kind: string; failure: { kind: string; reason?: string; message: string } }).failure

const noSecretLeft = (grant: Grant, allowTokens = false) => {
  const text = JSON.stringify(grant.snapshot().context)
  assert.not.ok(text.includes(secrets.deviceCode), 'the device code is forgotten at the end')
  if (!allowTokens) assert.not.ok(text.includes(secrets.userToken) || text.includes(secrets.refreshToken), 'no token in context')
}

test('the code: asked with the process name and host; pending then approved, polled every interval', async () => {
  const grant = start({ pollToken: [pending, approved] })
  await settle()
  assert.equal(grant.fx.calls.requestCode, [{ server: 'https://auth.omicos.cn', name: 'omics', hostname: 'hpc-login-1' }])
  const context = grant.snapshot().context
  assert.equal(
    [context.userCode, context.verificationUri, context.verificationUriComplete, context.deadline, context.intervalMs, context.waitMs, context.now],
    ['BCDF-GHJK', 'https://auth.omicos.cn/device', 'https://auth.omicos.cn/device?user_code=BCDFGHJK', EPOCH + 600_000, 5_000, 5_000, EPOCH],
  )
  await pollsAt(grant, 5_000)
  await pollsAt(grant, 10_000)
  assert.equal(await grant.done(), { kind: 'granted', tokens: tokens(EPOCH + 10_000) })
  assert.equal(grant.fx.calls.pollToken, [
    { server: 'https://auth.omicos.cn', deviceCode: secrets.deviceCode },
    { server: 'https://auth.omicos.cn', deviceCode: secrets.deviceCode },
  ])
  assert.equal(grant.states, [
    'requestingCode',
    'awaitingApproval.waiting',
    'awaitingApproval.polling',
    'awaitingApproval.waiting',
    'awaitingApproval.polling',
    'granted',
  ])
  const end = grant.snapshot().context
  assert.equal([end.polls, end.now, end.deviceCode, end.error], [2, EPOCH + 10_000, null, null])
  noSecretLeft(grant, true)
  assert.equal(grant.errors, [])
})

test('the interval the server sent is used as it is (2 s), never sooner', async () => {
  const grant = start({ requestCode: [({ now }) => ({ ok: deviceAuthorization(now, { interval: 2 }) })], pollToken: [pending, pending, approved] })
  await settle()
  await pollsAt(grant, 2_000)
  await pollsAt(grant, 4_000)
  await pollsAt(grant, 6_000)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
})

test('slow_down twice: 5 -> 10 -> 15 s for this and every later poll; pending keeps the grown interval', async () => {
  const grant = start({ pollToken: [pending, slowDown, pending, slowDown, pending, approved] })
  await settle()
  await pollsAt(grant, 5_000)
  await pollsAt(grant, 10_000)
  assert.equal([grant.snapshot().context.intervalMs, grant.snapshot().context.waitMs], [10_000, 10_000])
  await pollsAt(grant, 20_000)
  await pollsAt(grant, 30_000)
  assert.is(grant.snapshot().context.intervalMs, 15_000)
  await pollsAt(grant, 45_000)
  await pollsAt(grant, 60_000)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
  assert.equal(gaps(since(grant)), [5_000, 5_000, 10_000, 10_000, 15_000, 15_000])
  assert.is(grant.snapshot().context.polls, 6)
  assert.is(deviceGrantDefaults.slowDownStepMs, 5_000)
  assert.is(checkSnapshot('device grant: slow down twice, approved', { states: grant.states, context: grant.snapshot().context, output: await grant.done() }), null)
})

test('connection failures: 10, 15, 15 s from a 5 s interval (never more than the interval + 10 s), then one answer brings back the interval', async () => {
  const grant = start({ pollToken: [offline, offline, offline, pending, approved] })
  await settle()
  await pollsAt(grant, 5_000)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs, grant.snapshot().context.now], [1, 10_000, EPOCH + 5_000])
  assert.is(grant.snapshot().context.retrying, 'unreachable')
  await pollsAt(grant, 15_000)
  await pollsAt(grant, 30_000)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs], [3, 15_000])
  await pollsAt(grant, 45_000)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs, grant.snapshot().context.polls], [0, 5_000, 4])
  assert.is(grant.snapshot().context.retrying, null)
  await pollsAt(grant, 50_000)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
  assert.is(deviceGrantDefaults.noticeWithinMs, 10_000)
})

test('a server back after a long outage is polled within the interval + 10 s, whenever it came back', async () => {
  // 30 failures in a row: the wait stays at 15 s (5 s interval + 10 s), not the 60 s cap.
  const grant = start({ pollToken: [...Array(30).fill(offline), approved] })
  await settle()
  let at = 5_000
  await pollsAt(grant, at)
  for (let i = 1; i <= 30; i++) {
    at += i === 1 ? 10_000 : 15_000
    await pollsAt(grant, at)
  }
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
  assert.ok(
    gaps(since(grant)).every((gap) => gap <= 15_000),
    String(gaps(since(grant))),
  )
})

test('the backoff is capped at maxBackoffMs (default 60 s) and at the interval + noticeWithinMs, and never below the interval', async () => {
  const grant = start({ pollToken: [offline, offline, offline, offline, offline, approved] }, { input: { noticeWithinMs: 120_000 } })
  await settle()
  for (const at of [5_000, 15_000, 35_000, 75_000, 135_000, 195_000]) await pollsAt(grant, at)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')

  const capped = start({ pollToken: [offline, offline, offline, approved] }, { input: { maxBackoffMs: 12_000 } })
  await settle()
  for (const at of [5_000, 15_000, 27_000, 39_000]) await pollsAt(capped, at)
  assert.is(((await capped.done()) as { kind: string }).kind, 'granted')

  const tight = start({ pollToken: [offline, offline, approved] }, { input: { maxBackoffMs: 1_000 } })
  await settle()
  for (const at of [5_000, 10_000, 15_000]) await pollsAt(tight, at)
  assert.is(((await tight.done()) as { kind: string }).kind, 'granted')

  const noMargin = start({ pollToken: [offline, offline, approved] }, { input: { noticeWithinMs: 0 } })
  await settle()
  for (const at of [5_000, 10_000, 15_000]) await pollsAt(noMargin, at)
  assert.is(((await noMargin.done()) as { kind: string }).kind, 'granted')
})

test('a failure after slow_down backs off from the grown interval', async () => {
  const grant = start({ pollToken: [slowDown, offline, approved] })
  await settle()
  await pollsAt(grant, 5_000)
  await pollsAt(grant, 15_000)
  await pollsAt(grant, 35_000)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
})

test('5xx and 429 (unavailable): the same backoff, counted with connection failures, Retry-After honoured', async () => {
  const grant = start({ pollToken: [unavailable(503, null), offline, unavailable(429, 90_000), unavailable(500, 1_000), pending, approved] })
  await settle()
  await pollsAt(grant, 5_000)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs], [1, 10_000])
  await pollsAt(grant, 15_000)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs], [2, 15_000])
  assert.is(grant.snapshot().context.retrying, 'unreachable')
  await pollsAt(grant, 30_000)
  // a Retry-After longer than the backoff (and the cap) wins
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs], [3, 90_000])
  assert.is(grant.snapshot().context.retrying, 'unavailable')
  await pollsAt(grant, 120_000)
  // a shorter one does not shorten the backoff (4 failures: 80 s, under the interval + 10 s: 15 s)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs], [4, 15_000])
  await pollsAt(grant, 135_000)
  assert.equal([grant.snapshot().context.failures, grant.snapshot().context.waitMs, grant.snapshot().context.polls], [0, 5_000, 5])
  await pollsAt(grant, 140_000)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
})

test('unavailable with a short Retry-After and a long interval: never sooner than the interval', async () => {
  const grant = start(
    {
      requestCode: [({ now }) => ({ ok: deviceAuthorization(now, { interval: 30 }) })],
      pollToken: [unavailable(503, 2_000), approved],
    },
    { input: { maxBackoffMs: 10_000 } },
  )
  await settle()
  await pollsAt(grant, 30_000)
  await pollsAt(grant, 60_000)
  assert.is(((await grant.done()) as { kind: string }).kind, 'granted')
})

test('the unavailable answer time is taken as now', async () => {
  const late: Answer = ({ now }) => ({ ok: { kind: 'unavailable', status: 502, retryAfterMs: null, at: now + 3_000 } })
  const grant = start({ pollToken: [late] })
  await settle()
  await grant.advance(5_000)
  assert.is(grant.snapshot().context.now, EPOCH + 8_000)
})

test('access_denied: refused (pairingDenied), the device code forgotten', async () => {
  const grant = start({ pollToken: [pending, answer('denied')] })
  await settle()
  await grant.advance(10_000)
  const failure = await failureOf(grant)
  assert.equal([failure.kind, failure.reason], ['refused', 'pairingDenied'])
  assert.equal(grant.snapshot().context.polls, 2)
  assert.is(grant.snapshot().context.now, EPOCH + 10_000)
  noSecretLeft(grant)
})

test('invalid_grant after pending: refused (pairingCodeUnusable), no further poll', async () => {
  const grant = start({ pollToken: [pending, answer('invalidGrant'), pending] })
  await settle()
  await grant.advance(60_000)
  const failure = await failureOf(grant)
  assert.equal([failure.kind, failure.reason], ['refused', 'pairingCodeUnusable'])
  assert.is(grant.fx.calls.pollToken.length, 2)
  noSecretLeft(grant)
})

test('expired_token: expired (pairingExpired)', async () => {
  const grant = start({ pollToken: [answer('expired')] })
  await settle()
  await grant.advance(5_000)
  const failure = await failureOf(grant)
  assert.equal([failure.kind, failure.reason], ['expired', 'pairingExpired'])
  assert.equal(grant.states, ['requestingCode', 'awaitingApproval.waiting', 'awaitingApproval.polling', 'failed'])
  noSecretLeft(grant)
})

test('local deadline while a poll hangs: expired exactly at receivedAt + expires_in, no timer left', async () => {
  const grant = start({ requestCode: [({ now }) => ({ ok: deviceAuthorization(now, { expiresIn: 12 }) })], pollToken: ['hang'] })
  await settle()
  await grant.advance(5_000)
  assert.is(grant.fx.calls.pollToken.length, 1)
  await grant.advance(6_999)
  assert.is(grant.snapshot().status, 'active')
  await grant.advance(1)
  const failure = await failureOf(grant)
  assert.equal([failure.kind, failure.reason], ['expired', 'pairingExpired'])
  assert.equal(grant.clock.timers(), [])
  noSecretLeft(grant)
})

test('nothing is sent at or after expires_in: a wait that ends at the deadline ends the grant', async () => {
  // 15 s code, 5 s interval: polls at 5 and 10 s; the next would be at 15 s, the deadline itself
  const grant = start({ requestCode: [({ now }) => ({ ok: deviceAuthorization(now, { expiresIn: 15 }) })], pollToken: [pending, pending, pending] })
  await settle()
  await grant.advance(60_000)
  assert.equal(since(grant), [5_000, 10_000])
  const failure = await failureOf(grant)
  assert.is(failure.kind, 'expired')
  assert.is(grant.snapshot().context.polls, 2)
  // one millisecond more and the third poll goes out, just before the deadline
  const roomy = start({ requestCode: [({ now }) => ({ ok: deviceAuthorization(now, { expiresIn: 15.001 }) })], pollToken: [pending, pending, pending] })
  await settle()
  await roomy.advance(14_999)
  await roomy.advance(2)
  assert.equal(since(roomy), [5_000, 10_000, 15_000])
})

test('a backoff that would end past the deadline: no poll, expired at the deadline', async () => {
  const grant = start({ requestCode: [({ now }) => ({ ok: deviceAuthorization(now, { expiresIn: 60 }) })], pollToken: Array(10).fill(offline) })
  await settle()
  await grant.advance(120_000)
  assert.equal(since(grant), [5_000, 15_000, 30_000, 45_000])
  assert.is(grant.clock.now(), EPOCH + 120_000)
  assert.is((await failureOf(grant)).kind, 'expired')
})

test('a pending answer that arrives at the deadline ends the grant as expired', async () => {
  const late: Answer = ({ now }) => ({ ok: { kind: 'pending', at: now + 595_000 } })
  const grant = start({ pollToken: [late] })
  await settle()
  await grant.advance(5_000)
  const failure = await failureOf(grant)
  assert.equal([failure.kind, failure.reason], ['expired', 'pairingExpired'])
  assert.is(grant.snapshot().context.now, EPOCH + 600_000)
  assert.is(grant.snapshot().context.polls, 1)
  const justBefore: Answer = ({ now }) => ({ ok: { kind: 'pending', at: now + 594_999 } })
  const alive = start({ pollToken: [justBefore] })
  await settle()
  await alive.advance(5_000)
  assert.is(alive.snapshot().status, 'active')
})

test('effect failures: the code request or a poll that fails otherwise ends the grant with its own kind', async () => {
  const requestFails = start({ requestCode: [{ fail: unreachable('could not reach https://auth.omicos.cn') }] })
  assert.equal(await requestFails.done(), { kind: 'failed', failure: described('unreachable', 'could not reach https://auth.omicos.cn') })
  assert.equal(requestFails.fx.calls.pollToken, [])
  const pollBad = start({ pollToken: [{ fail: new StubEffectError('bad_response', 'the token endpoint sent HTML') }, pending] })
  await settle()
  await pollBad.advance(60_000)
  assert.equal(await pollBad.done(), { kind: 'failed', failure: described('bad_response', 'the token endpoint sent HTML') })
  assert.is(pollBad.fx.calls.pollToken.length, 1, 'not retried')
  noSecretLeft(pollBad)
})

test('user.cancel: cancelled at once, no timer left, no poll after it, the device code forgotten', async () => {
  const grant = start({ pollToken: [pending, pending] })
  await settle()
  await grant.advance(5_000)
  grant.actor.send({ type: 'user.cancel' })
  assert.equal(await grant.done(), { kind: 'failed', failure: failure('cancelled', { flow: 'pairing' }) })
  assert.equal(grant.clock.timers(), [])
  await grant.advance(600_000)
  assert.is(grant.fx.calls.pollToken.length, 1)
  noSecretLeft(grant)
  const early = start({ requestCode: ['hang'] })
  await settle()
  early.actor.send({ type: 'user.cancel' })
  assert.is((await failureOf(early)).kind, 'cancelled')
})

/** A grant run to its first pending answer (at EPOCH + 5 s), persisted through JSON. */
const persistedAfterFirstPoll = async () => {
  const first = start({ pollToken: [pending] })
  await settle()
  await first.advance(5_000)
  const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
  first.actor.stop()
  return persisted
}

test('resume before the deadline, long after the poll that was due: the same code, the deadline kept, polled at once, then every interval', async () => {
  const persisted = await persistedAfterFirstPoll()
  const resumed = start({ requestCode: [], pollToken: [pending, approved] }, { snapshot: persisted, startAt: EPOCH + 300_000 })
  await settle()
  assert.equal(resumed.clock.timers(), [], 'a restored snapshot has no timers until app.resume')
  resumed.actor.send({ type: 'app.resume', now: EPOCH + 300_000 })
  const context = resumed.snapshot().context
  assert.equal([context.now, context.deadline, context.polls, context.userCode], [EPOCH + 300_000, EPOCH + 600_000, 1, 'BCDF-GHJK'])
  assert.is(resumed.clock.remaining('xstate.after.untilDeadline.deviceGrant.awaitingApproval'), 300_000)
  await resumed.advance(0)
  assert.equal(since(resumed), [300_000], 'the poll due at 10 s goes at once')
  await pollsAt(resumed, 305_000)
  assert.is(((await resumed.done()) as { kind: string }).kind, 'granted')
  assert.equal(resumed.fx.calls.requestCode, [], 'no new code')
  assert.equal(resumed.fx.calls.pollToken[0], { server: 'https://auth.omicos.cn', deviceCode: secrets.deviceCode })
})

test('resume before the deadline, then the deadline passes: expired at the same epoch time', async () => {
  const persisted = await persistedAfterFirstPoll()
  const resumed = start({ requestCode: [], pollToken: ['hang'] }, { snapshot: persisted, startAt: EPOCH + 590_000 })
  await settle()
  resumed.actor.send({ type: 'app.resume', now: EPOCH + 590_000 })
  await resumed.advance(9_999)
  assert.is(resumed.snapshot().status, 'active')
  await resumed.advance(1)
  assert.is((await failureOf(resumed)).kind, 'expired')
  assert.is(resumed.fx.calls.pollToken.length, 1)
})

test('resume at or after the deadline: expired at once, no poll', async () => {
  for (const at of [EPOCH + 600_000, EPOCH + 900_000]) {
    const persisted = await persistedAfterFirstPoll()
    const resumed = start({ requestCode: [], pollToken: [] }, { snapshot: persisted, startAt: at })
    await settle()
    resumed.actor.send({ type: 'app.resume', now: at })
    const failure = await failureOf(resumed)
    assert.equal([failure.kind, failure.reason], ['expired', 'pairingExpired'])
    assert.equal(resumed.fx.calls.pollToken, [])
    assert.is(resumed.snapshot().context.now, at)
    noSecretLeft(resumed)
  }
  const persisted = await persistedAfterFirstPoll()
  const justBefore = start({ requestCode: [], pollToken: [] }, { snapshot: persisted, startAt: EPOCH + 599_999 })
  await settle()
  justBefore.actor.send({ type: 'app.resume', now: EPOCH + 599_999 })
  assert.is(justBefore.snapshot().status, 'active')
})

test('a persisted snapshot shows no secret once redacted', async () => {
  const persisted = await persistedAfterFirstPoll()
  assert.ok(JSON.stringify(persisted).includes(secrets.deviceCode), 'the device code is kept so the grant can resume')
  assert.not.ok(JSON.stringify(redact(persisted)).includes(secrets.deviceCode))
})

test.run()
