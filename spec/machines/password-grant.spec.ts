// The password grant alone, on a simulated clock that starts at a real epoch time: what it asks
// for and when, three tries at most (asked again only on a terminal), Retry-After waited out when
// short, a doubling backoff after connection failures, TLS never retried, and no password left.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { described, failure, passwordGrantMachine, passwordGrantDefaults, type Failure, type PasswordGrantInput } from '../../machines/index.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { checkSnapshot, EPOCH, line, run, scripted, secrets, settle, StubEffectError, TestClock, unreachable, type Answer } from '../support/machine-harness.js'

const tokens = { userToken: secrets.userToken, refreshToken: secrets.refreshToken, userTokenExpiresAt: EPOCH + 3_600_000, receivedAt: EPOCH }
const granted: Answer = { ok: { kind: 'granted', tokens } }
const wrong: Answer = { ok: { kind: 'invalid', serverText: null } }
const rateLimited = (retryAfterMs: number): Answer => ({ ok: { kind: 'rateLimited', retryAfterMs, host: 'auth.omicos.cn' } })
const reached: Answer = { ok: undefined }
const typed = (password: string = secrets.password, email = 'you@example.com'): Answer => ({ ok: { email, password } })
const tls = new EngineError(failure('tls', { host: 'auth.omicos.cn', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', plainHttp: false, mayHaveReachedServer: false }))

const input = (overrides: Partial<PasswordGrantInput> = {}): PasswordGrantInput => ({
  server: 'https://auth.omicos.cn',
  email: 'you@example.com',
  password: secrets.password,
  canPrompt: false,
  ...overrides,
})

const start = (script: Record<string, Answer[]>, overrides: Partial<PasswordGrantInput> = {}) => {
  const clock = new TestClock(EPOCH)
  const fx = scripted({ reachServer: [reached, reached], promptCredentials: [], authenticate: [granted], ...script }, clock)
  return { ...run(passwordGrantMachine, fx.actors, { input: input(overrides), clock }), fx }
}
type Grant = ReturnType<typeof start>

const failureOf = async (grant: Grant) => ((await grant.done()) as { failure: Failure }).failure
const passwords = (grant: Grant) => (grant.fx.calls.authenticate as { password: string }[]).map((call) => call.password)
const noPasswordLeft = (grant: Grant) => {
  const text = JSON.stringify(grant.snapshot().context)
  for (const secret of [secrets.password, secrets.wrongPassword]) assert.not.ok(text.includes(secret), 'no password in context at the end')
}

test('email and password given: one request, no prompt, the tokens as output', async () => {
  const grant = start({})
  assert.equal(await grant.done(), { kind: 'granted', tokens })
  assert.equal(grant.states, ['authenticating', 'granted'])
  assert.equal(grant.fx.calls.authenticate, [{ server: 'https://auth.omicos.cn', email: 'you@example.com', password: secrets.password }])
  assert.equal(grant.fx.calls.promptCredentials, [])
  const context = grant.snapshot().context
  assert.equal([context.attempts, context.retries, context.lastError, context.error], [1, 0, null, null])
  noPasswordLeft(grant)
})

test('nothing given on a terminal: asks (try 1, no reason), then sends what was typed', async () => {
  const grant = start({ promptCredentials: [typed()] }, { email: null, password: null, canPrompt: true })
  assert.equal(await grant.done(), { kind: 'granted', tokens })
  assert.equal(grant.states, ['reachingServer', 'prompting', 'authenticating', 'granted'])
  assert.equal(grant.fx.calls.promptCredentials, [{ email: null, attempt: 1, lastError: null }])
  const known = start({ promptCredentials: [typed()] }, { password: null, canPrompt: true })
  await known.done()
  assert.equal(known.fx.calls.promptCredentials, [{ email: 'you@example.com', attempt: 1, lastError: null }])
})

test('something missing and no terminal: usage (needsTerminal), nothing sent, no password kept', async () => {
  for (const overrides of [{ password: null }, { email: null }, { email: null, password: null }] as Partial<PasswordGrantInput>[]) {
    const grant = start({}, overrides)
    const failure = await failureOf(grant)
    assert.equal([failure.kind, failure.reason], ['usage', 'needsTerminal'])
    assert.equal(grant.fx.calls.authenticate, [])
    assert.equal(grant.states, ['failed'])
    noPasswordLeft(grant)
  }
})

test('a wrong password is forgotten while the terminal asks again', async () => {
  const grant = start({ authenticate: [wrong], promptCredentials: ['hang'] }, { password: secrets.wrongPassword, canPrompt: true })
  await settle()
  assert.is(grant.states.at(-1), 'invalidCredentials')
  assert.equal([grant.snapshot().context.password, grant.snapshot().context.retries], [null, 0])
  grant.actor.stop()
})

test('a wrong password on a terminal: asked again as try 2 with the reason; the counter survives the answer', async () => {
  const grant = start({ authenticate: [wrong, granted], promptCredentials: [typed()] }, { password: secrets.wrongPassword, canPrompt: true })
  assert.equal(await grant.done(), { kind: 'granted', tokens })
  assert.equal(grant.states, ['authenticating', 'invalidCredentials', 'authenticating', 'granted'])
  // The server does not say which of the two was wrong: the email is asked again, the last one offered.
  assert.equal(grant.fx.calls.promptCredentials, [
    { email: null, emailDefault: 'you@example.com', attempt: 2, lastError: failure('wrongCredentials', { serverText: null, attempts: 1 }) },
  ])
  assert.equal(passwords(grant), [secrets.wrongPassword, secrets.password])
  assert.equal([grant.snapshot().context.attempts, grant.snapshot().context.lastError], [2, null])
  noPasswordLeft(grant)
})

test('a wrong email corrected at the second try: the new one is sent, and offered at the third', async () => {
  const grant = start(
    {
      authenticate: [wrong, wrong, granted],
      promptCredentials: [typed(secrets.password, 'typo@example.com'), typed(secrets.password, 'you@example.com'), typed(secrets.password, 'you@example.com')],
    },
    { email: null, password: null, canPrompt: true },
  )
  assert.equal(await grant.done(), { kind: 'granted', tokens })
  assert.equal(
    (grant.fx.calls.authenticate as { email: string }[]).map((c) => c.email),
    ['typo@example.com', 'you@example.com', 'you@example.com'],
  )
  assert.equal(grant.fx.calls.promptCredentials, [
    { email: null, attempt: 1, lastError: null },
    { email: null, emailDefault: 'typo@example.com', attempt: 2, lastError: failure('wrongCredentials', { serverText: null, attempts: 1 }) },
    { email: null, emailDefault: 'you@example.com', attempt: 3, lastError: failure('wrongCredentials', { serverText: null, attempts: 2 }) },
  ])
  noPasswordLeft(grant)
})

test('three wrong passwords: refused (wrongCredentials) after the third, "3 tries", no fourth', async () => {
  const grant = start(
    { authenticate: [wrong, wrong, wrong, granted], promptCredentials: [typed('a'), typed('b'), typed('c')] },
    { email: null, password: null, canPrompt: true },
  )
  const failure = await failureOf(grant)
  assert.equal(failure, { kind: 'refused', reason: 'wrongCredentials', details: { serverText: null, attempts: 3 } })
  assert.is(line(failure), 'wrong email or password (3 tries); run the login again')
  assert.equal(grant.states, [
    'reachingServer',
    'prompting',
    'authenticating',
    'invalidCredentials',
    'authenticating',
    'invalidCredentials',
    'authenticating',
    'failed',
  ])
  assert.equal(passwords(grant), ['a', 'b', 'c'])
  assert.equal(
    (grant.fx.calls.promptCredentials as { attempt: number }[]).map((c) => c.attempt),
    [1, 2, 3],
  )
  assert.is(grant.snapshot().context.attempts, 3)
  assert.is(checkSnapshot('password grant: three wrong passwords', { states: grant.states, context: grant.snapshot().context, output: await grant.done() }), null)
})

test('maxAttempts is honoured (2 tries)', async () => {
  const grant = start({ authenticate: [wrong, wrong], promptCredentials: [typed('b')] }, { canPrompt: true, maxAttempts: 2 })
  assert.is(line(await failureOf(grant)), 'wrong email or password (2 tries); run the login again')
  assert.is(grant.fx.calls.authenticate.length, 2)
})

test('a wrong password without a terminal: refused at once, the message says no count', async () => {
  const grant = start({ authenticate: [wrong] })
  const once = await failureOf(grant)
  assert.equal(once, { kind: 'refused', reason: 'wrongCredentials', details: { serverText: null, attempts: 1 } })
  assert.is(line(once), 'wrong email or password')
  assert.equal(grant.fx.calls.promptCredentials, [])
  noPasswordLeft(grant)
})

test('rate limited with a short Retry-After: waited out to the millisecond, then the same password again', async () => {
  const grant = start({ authenticate: [rateLimited(2_000), granted] })
  await settle()
  assert.is(grant.snapshot().context.rateLimitWaitMs, 2_000)
  assert.equal(grant.snapshot().context.lastError, failure('rateLimited', { host: 'auth.omicos.cn', retryAfterMs: 2_000 }))
  await grant.advance(1_999)
  assert.is(grant.fx.calls.authenticate.length, 1, 'not a millisecond sooner')
  await grant.advance(1)
  assert.equal(await grant.done(), { kind: 'granted', tokens })
  assert.equal(grant.fx.times.authenticate, [EPOCH, EPOCH + 2_000])
  assert.equal(passwords(grant), [secrets.password, secrets.password])
  assert.equal(grant.states, ['authenticating', 'rateLimited', 'authenticating', 'granted'])
  assert.is(grant.snapshot().context.attempts, 2)
})

test('rate limited exactly at maxRateLimitWaitMs: waited; a millisecond longer: refused (rateLimited)', async () => {
  const waited = start({ authenticate: [rateLimited(passwordGrantDefaults.maxRateLimitWaitMs), granted] })
  await settle()
  await waited.advance(15_000)
  assert.is(((await waited.done()) as { kind: string }).kind, 'granted')
  const refused = start({ authenticate: [rateLimited(15_001)] })
  const limited = await failureOf(refused)
  assert.equal([limited.kind, limited.reason], ['refused', 'rateLimited'])
  assert.is(line(limited), 'too many login attempts: try again in 16 s')
  noPasswordLeft(refused)
  const minutes = start({ authenticate: [rateLimited(600_000)] }, { maxRateLimitWaitMs: 1_000 })
  assert.is(line(await failureOf(minutes)), 'too many login attempts: try again in 10 min')
  const twoMinutes = start({ authenticate: [rateLimited(119_000)] })
  assert.is(line(await failureOf(twoMinutes)), 'too many login attempts: try again in 119 s')
  assert.is(twoMinutes.snapshot().context.attempts, 1, 'the refused try counts')
  const atTwo = start({ authenticate: [rateLimited(120_000)] })
  assert.is(line(await failureOf(atTwo)), 'too many login attempts: try again in 2 min')
  const past = start({ authenticate: [rateLimited(121_000)] })
  assert.is(line(await failureOf(past)), 'too many login attempts: try again in 3 min')
  const custom = start({ authenticate: [rateLimited(20_000), granted] }, { maxRateLimitWaitMs: 20_000 })
  await settle()
  await custom.advance(20_000)
  assert.is(((await custom.done()) as { kind: string }).kind, 'granted')
})

test('rate limited on the last try: refused, not waited', async () => {
  const grant = start({ authenticate: [wrong, wrong, rateLimited(1_000)], promptCredentials: [typed(), typed()] }, { canPrompt: true })
  assert.is((await failureOf(grant)).reason, 'rateLimited')
  assert.is(grant.fx.calls.authenticate.length, 3)
})

test('connection failures: retried after 500 then 1000 ms, then unreachable; counters reset after an answer', async () => {
  const down = start({ authenticate: [{ fail: unreachable() }, { fail: unreachable() }, { fail: unreachable() }, granted] })
  await settle()
  await down.advance(499)
  assert.is(down.fx.calls.authenticate.length, 1)
  await down.advance(1)
  assert.is(down.fx.calls.authenticate.length, 2)
  await down.advance(999)
  assert.is(down.fx.calls.authenticate.length, 2)
  await down.advance(1)
  const failure = await failureOf(down)
  assert.is(failure.kind, 'unreachable')
  assert.equal(down.fx.times.authenticate, [EPOCH, EPOCH + 500, EPOCH + 1_500])
  assert.equal(down.states, ['authenticating', 'unreachable', 'authenticating', 'unreachable', 'authenticating', 'failed'])
  noPasswordLeft(down)

  // one failure, a wrong password, then two failures again: the retries start afresh
  const mixed = start(
    { authenticate: [{ fail: unreachable() }, wrong, { fail: unreachable() }, { fail: unreachable() }, granted], promptCredentials: [typed()] },
    { canPrompt: true },
  )
  await settle()
  await mixed.advance(500)
  // the wrong answer reset the count: the failure after it is the first again (500 ms, not 1000)
  assert.equal([mixed.snapshot().context.retries, mixed.snapshot().context.attempts, mixed.snapshot().context.retryDelayMs], [1, 1, 500])
  await mixed.advance(500)
  await mixed.advance(1_000)
  assert.equal(await mixed.done(), { kind: 'granted', tokens })
  assert.equal(mixed.fx.times.authenticate, [EPOCH, EPOCH + 500, EPOCH + 500, EPOCH + 1_000, EPOCH + 2_000])
  assert.is(mixed.snapshot().context.retries, 0, 'an answer ends the run of failures')

  // a Retry-After answer also starts the count afresh
  const limited = start({ authenticate: [{ fail: unreachable() }, rateLimited(1_000), { fail: unreachable() }, granted] })
  await settle()
  await limited.advance(500 + 1_000 + 500)
  assert.equal(limited.fx.times.authenticate, [EPOCH, EPOCH + 500, EPOCH + 1_500, EPOCH + 2_000])
  assert.is(((await limited.done()) as { kind: string }).kind, 'granted')
})

test('maxRetries and retryBaseMs are honoured', async () => {
  const grant = start(
    { authenticate: [{ fail: unreachable() }, { fail: unreachable() }, { fail: unreachable() }, { fail: unreachable() }] },
    { maxRetries: 3, retryBaseMs: 100 },
  )
  await settle()
  await grant.advance(10_000)
  assert.equal(grant.fx.times.authenticate, [EPOCH, EPOCH + 100, EPOCH + 300, EPOCH + 700])
  assert.is((await failureOf(grant)).kind, 'unreachable')
  const none = start({ authenticate: [{ fail: unreachable() }] }, { maxRetries: 0 })
  assert.is((await failureOf(none)).kind, 'unreachable')
})

test('a password POST that may have reached the server (a cut answer) is never sent again', async () => {
  const cut = new StubEffectError('unreachable', 'connection reset', { mayHaveReachedServer: true })
  const grant = start({ authenticate: [{ fail: cut }, granted] })
  await settle()
  await grant.advance(10_000)
  assert.is(grant.fx.calls.authenticate.length, 1)
  assert.equal(await failureOf(grant), failure('network', { host: 'auth.omicos.cn', code: null, status: null, mayHaveReachedServer: true }))
  // Refused before anything was sent: tried again as before.
  const refused = start({ authenticate: [{ fail: new StubEffectError('unreachable', 'connection refused', { mayHaveReachedServer: false }) }, granted] })
  await settle()
  await refused.advance(500)
  assert.is(((await refused.done()) as { kind: string }).kind, 'granted')
})

test('a TLS failure is never retried; other failures end with their own kind', async () => {
  const grant = start({ authenticate: [{ fail: tls }, granted] })
  assert.equal(await failureOf(grant), tls.failure)
  assert.is(grant.fx.calls.authenticate.length, 1)
  const bad = start({ authenticate: [{ fail: new StubEffectError('bad_response', 'the token endpoint sent HTML') }] })
  assert.equal(await failureOf(bad), described('bad_response', 'the token endpoint sent HTML'))
  noPasswordLeft(bad)
  const buggy = start({ authenticate: [{ fail: new Error('boom') }] })
  assert.equal(await failureOf(buggy), failure('effectException', { effect: 'authenticate', message: 'boom' }))
})

test('the prompt fails or is cancelled: ends with its kind, first prompt or a later one', async () => {
  const first = start({ promptCredentials: [{ fail: new StubEffectError('cancelled', 'login cancelled') }] }, { password: null, canPrompt: true })
  assert.is((await failureOf(first)).kind, 'cancelled')
  assert.equal(first.fx.calls.authenticate, [])
  const again = start({ authenticate: [wrong], promptCredentials: [{ fail: new StubEffectError('usage', 'stdin closed') }] }, { canPrompt: true })
  assert.equal(await failureOf(again), described('usage', 'stdin closed'))
  assert.equal(again.states, ['authenticating', 'invalidCredentials', 'failed'])
  noPasswordLeft(again)
})

test('on a terminal the server is reached before anything is asked; given both, the password itself reaches it', async () => {
  const asked = start({ promptCredentials: [typed()] }, { email: null, password: null, canPrompt: true })
  await asked.done()
  assert.equal(asked.fx.calls.reachServer, [{ server: 'https://auth.omicos.cn' }])
  assert.ok(asked.fx.times.reachServer[0]! <= asked.fx.times.promptCredentials[0]!)
  const given = start({})
  await given.done()
  assert.equal(given.fx.calls.reachServer, [])
})

test('a server that cannot be reached before the prompt: tried again after 500 ms and 1 s, then unreachable, nothing asked', async () => {
  const grant = start({ reachServer: [{ fail: unreachable() }, { fail: unreachable() }, { fail: unreachable() }] }, { email: null, password: null, canPrompt: true })
  await settle()
  await grant.advance(500)
  await grant.advance(1_000)
  const failure = await failureOf(grant)
  assert.is(failure.kind, 'unreachable')
  assert.equal(
    grant.fx.times.reachServer.map((t) => t - EPOCH),
    [0, 500, 1_500],
  )
  assert.equal(grant.fx.calls.promptCredentials, [])
  assert.equal(grant.fx.calls.authenticate, [])
  assert.equal(grant.states, ['reachingServer', 'waitingToReach', 'reachingServer', 'waitingToReach', 'reachingServer', 'failed'])
})

test('reached on the second try: asked then; a TLS failure is not tried again, and nothing is asked', async () => {
  const later = start({ reachServer: [{ fail: unreachable() }, reached], promptCredentials: [typed()] }, { email: null, password: null, canPrompt: true })
  await settle()
  await later.advance(500)
  assert.equal(await later.done(), { kind: 'granted', tokens })
  assert.is(later.snapshot().context.retries, 0, 'the retries counted afresh once it answered')
  const tlsGrant = start({ reachServer: [{ fail: tls }] }, { email: null, password: null, canPrompt: true })
  assert.is((await failureOf(tlsGrant)).reason, 'tls')
  assert.equal(tlsGrant.fx.calls.reachServer.length, 1)
  assert.equal(tlsGrant.fx.calls.promptCredentials, [])
})

test('retries spent reaching the server are not taken from the password: the grant gets its own two', async () => {
  const grant = start(
    { reachServer: [{ fail: unreachable() }, reached], promptCredentials: [typed()], authenticate: [{ fail: unreachable() }, { fail: unreachable() }, granted] },
    { email: null, password: null, canPrompt: true },
  )
  await settle()
  await grant.advance(500)
  await grant.advance(500)
  await grant.advance(1_000)
  assert.equal(await grant.done(), { kind: 'granted', tokens })
  assert.equal(
    grant.fx.times.authenticate.map((t) => t - EPOCH),
    [500, 1_000, 2_000],
  )
})

test('the defaults are the documented ones', () => {
  assert.equal(passwordGrantDefaults, { maxAttempts: 3, maxRetries: 2, retryBaseMs: 500, maxRateLimitWaitMs: 15_000 })
})

test.run()
