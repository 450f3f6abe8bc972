import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { passwordLogin, type PasswordLoginInput } from '../../machines/index.js'
import {
  checkSnapshot,
  existingLogin,
  files,
  passwordLoginInput,
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

const granted: Answer = { ok: { kind: 'granted', session } }
const wrong: Answer = { ok: { kind: 'invalid', message: 'wrong email or password' } }
const rateLimited = (retryAfterMs: number): Answer => ({
  ok: { kind: 'rateLimited', retryAfterMs, message: 'too many failed logins for this email' },
})
const typed = (password: string = secrets.password): Answer => ({ ok: { email: 'you@example.com', password } })

/** Starts a password login whose effects answer from `script` (missing effects answer the happy path). */
const start = (script: Record<string, Answer[]>, overrides: Partial<PasswordLoginInput> = {}) => {
  const clock = new TimerClock()
  const fx = scripted(
    {
      checkExisting: [{ ok: null }],
      promptCredentials: [],
      authenticate: [granted],
      registerProcess: [(now) => ({ ok: registration(now) })],
      persist: [{ ok: { paths: files } }],
      ...script,
    },
    clock,
  )
  const login = run(passwordLogin, fx.actors, { input: passwordLoginInput(overrides), clock })
  return { ...login, fx }
}

const happyTail = ['registeringProcess', 'persisting', 'loggedIn']
const loggedIn = { kind: 'loggedIn', email: 'you@example.com', accountId: 'acct_42', processName: 'omics', paths: files }

test('email and password given: no prompt, logged in', async () => {
  const login = start({})
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, ['checkingExisting', 'authenticating', ...happyTail])
  assert.equal(login.fx.calls.promptCredentials, [])
  assert.equal(login.fx.calls.authenticate, [
    { server: 'https://auth.omicos.cn', email: 'you@example.com', password: secrets.password },
  ])
  assert.equal(login.fx.calls.registerProcess, [
    { server: 'https://auth.omicos.cn', userToken: secrets.userToken, processId: 'local-ws1', name: 'omics' },
  ])
  const persisted = login.fx.calls.persist[0] as { authMethod: string; loggedInAt: number; process: { name: string } }
  assert.is(persisted.authMethod, 'password')
  assert.is(persisted.process.name, 'omics')
  assert.is(persisted.loggedInAt, 0)
  const context = login.snapshot().context
  assert.is(context.password, null)
  assert.is(context.session, null)
  assert.is(context.attempts, 1)
  assert.is(context.error, null)
  assert.equal(login.errors, [])
})

test('nothing given, on a terminal: prompts once, then logs in', async () => {
  const login = start({ promptCredentials: [typed()] }, { email: null, password: null, canPrompt: true })
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, ['checkingExisting', 'prompting', 'authenticating', ...happyTail])
  assert.equal(login.fx.calls.promptCredentials, [{ email: null, attempt: 1, lastError: null }])
})

test('password missing and no terminal: usage failure, nothing sent', async () => {
  const login = start({}, { password: null })
  const output = (await login.done()) as { kind: string; failure: { kind: string } }
  assert.is(output.failure.kind, 'usage')
  assert.equal(login.states, ['checkingExisting', 'failed'])
  assert.equal(login.fx.calls.authenticate, [])
})

test('already logged in: ends at once with the existing login', async () => {
  const login = start({ checkExisting: [{ ok: existingLogin }] })
  assert.equal(await login.done(), { kind: 'alreadyLoggedIn', existing: existingLogin })
  assert.equal(login.states, ['checkingExisting', 'alreadyLoggedIn'])
  assert.equal(login.fx.calls.authenticate, [])
})

test('--force: logs in again over an existing login', async () => {
  const login = start({ checkExisting: [{ ok: existingLogin }] }, { force: true })
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, ['checkingExisting', 'authenticating', ...happyTail])
  assert.equal(login.snapshot().context.existing, existingLogin)
})

test('wrong password then right one: asks again with the reason, logs in', async () => {
  const login = start(
    { authenticate: [wrong, granted], promptCredentials: [typed()] },
    { password: secrets.wrongPassword, canPrompt: true },
  )
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, [
    'checkingExisting',
    'authenticating',
    'invalidCredentials',
    'authenticating',
    ...happyTail,
  ])
  assert.equal(login.fx.calls.promptCredentials, [
    { email: 'you@example.com', attempt: 2, lastError: 'wrong email or password' },
  ])
  assert.equal(
    (login.fx.calls.authenticate as { password: string }[]).map((c) => c.password),
    [secrets.wrongPassword, secrets.password],
  )
  const context = login.snapshot().context
  assert.is(context.attempts, 2)
  assert.is(context.password, null)
  assert.is(
    checkSnapshot('password: wrong then right', { states: login.states, context, output: await login.done() }),
    null,
  )
})

test('three wrong passwords: refused after the third, no fourth try', async () => {
  const login = start(
    { authenticate: [wrong, wrong, wrong], promptCredentials: [typed('a'), typed('b'), typed('c')] },
    { email: null, password: null, canPrompt: true },
  )
  const output = (await login.done()) as { kind: string; failure: { kind: string; message: string } }
  assert.is(output.kind, 'failed')
  assert.is(output.failure.kind, 'refused')
  assert.match(output.failure.message, 'wrong email or password')
  assert.match(output.failure.message, '3 tries')
  assert.equal(login.states, [
    'checkingExisting',
    'prompting',
    'authenticating',
    'invalidCredentials',
    'authenticating',
    'invalidCredentials',
    'authenticating',
    'failed',
  ])
  assert.is(login.fx.calls.authenticate.length, 3)
  assert.equal(
    (login.fx.calls.promptCredentials as { attempt: number }[]).map((c) => c.attempt),
    [1, 2, 3],
  )
  assert.is(login.snapshot().context.attempts, 3)
  assert.is(
    checkSnapshot('password: three wrong tries refused', {
      states: login.states,
      context: login.snapshot().context,
      output,
    }),
    null,
  )
})

test('password by flag and no terminal: refused after the first wrong try', async () => {
  const login = start({ authenticate: [wrong] }, { password: secrets.wrongPassword })
  const output = (await login.done()) as { failure: { kind: string; message: string } }
  assert.equal(output.failure, { kind: 'refused', message: 'wrong email or password' })
  assert.equal(login.states, ['checkingExisting', 'authenticating', 'failed'])
  assert.is(login.fx.calls.authenticate.length, 1)
  assert.equal(login.fx.calls.promptCredentials, [])
})

test('rate limited: waits out Retry-After on the clock, then logs in', async () => {
  const login = start({ authenticate: [rateLimited(10_000), granted] })
  await settle()
  assert.equal(login.states, ['checkingExisting', 'authenticating', 'rateLimited'])
  assert.is(login.snapshot().context.rateLimitWaitMs, 10_000)
  await login.advance(9_999)
  assert.is(login.fx.calls.authenticate.length, 1, 'no second try before Retry-After')
  await login.advance(1)
  assert.equal(login.fx.times.authenticate, [0, 10_000])
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, ['checkingExisting', 'authenticating', 'rateLimited', 'authenticating', ...happyTail])
  assert.is(
    checkSnapshot('password: rate limited then ok', { states: login.states, context: login.snapshot().context }),
    null,
  )
})

test('rate limited for longer than it waits: refused, saying when to try again', async () => {
  const login = start({ authenticate: [rateLimited(60_000)] })
  const output = (await login.done()) as { failure: { kind: string; message: string } }
  assert.equal(output.failure, { kind: 'refused', message: 'too many login attempts: try again in 60 s' })
  assert.equal(login.states, ['checkingExisting', 'authenticating', 'failed'])
})

test('unreachable: retries with doubling backoff on the clock, then logs in', async () => {
  const login = start({ authenticate: [{ fail: unreachable() }, { fail: unreachable() }, granted] })
  await settle()
  assert.is(login.snapshot().context.retryDelayMs, 500)
  await login.advance(499)
  assert.is(login.fx.calls.authenticate.length, 1)
  await login.advance(1)
  assert.is(login.snapshot().context.retryDelayMs, 1_000)
  await login.advance(999)
  assert.is(login.fx.calls.authenticate.length, 2)
  await login.advance(1)
  assert.equal(login.fx.times.authenticate, [0, 500, 1_500])
  assert.equal(await login.done(), loggedIn)
  assert.equal(login.states, [
    'checkingExisting',
    'authenticating',
    'unreachable',
    'authenticating',
    'unreachable',
    'authenticating',
    ...happyTail,
  ])
  assert.is(login.snapshot().context.retries, 0)
})

test('unreachable every time: gives up after maxRetries with the effect message', async () => {
  const message = 'could not reach https://auth.omicos.cn (DNS lookup failed): check --server and the network'
  const login = start({
    authenticate: [{ fail: unreachable(message) }, { fail: unreachable(message) }, { fail: unreachable(message) }],
  })
  await settle()
  await login.advance(500)
  await login.advance(1_000)
  const output = (await login.done()) as { failure: unknown }
  assert.equal(output.failure, { kind: 'unreachable', message })
  assert.equal(login.fx.times.authenticate, [0, 500, 1_500])
  assert.is(login.snapshot().context.retries, 2)
})

test('process registration fails: the effect failure ends the login', async () => {
  const login = start({ registerProcess: [{ fail: new StubEffectError('bad_response', 'the server sent no process_token') }] })
  const output = (await login.done()) as { failure: unknown }
  assert.equal(output.failure, { kind: 'bad_response', message: 'the server sent no process_token' })
  assert.equal(login.states, ['checkingExisting', 'authenticating', 'registeringProcess', 'failed'])
  assert.equal(login.fx.calls.persist, [])
})

test('writing the files fails: local_files', async () => {
  const problem = new StubEffectError('local_files', '~/.omicos/cloud_login.json is a symlink: remove it and log in again')
  const login = start({ persist: [{ fail: problem }] })
  const output = (await login.done()) as { failure: unknown }
  assert.equal(output.failure, { kind: 'local_files', message: problem.message })
  assert.equal(login.states, ['checkingExisting', 'authenticating', 'registeringProcess', 'persisting', 'failed'])
})

test('the credential store cannot be read: fails before asking anything', async () => {
  const login = start({ checkExisting: [{ fail: new StubEffectError('local_files', 'cloud_login.json is not valid JSON') }] })
  const output = (await login.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'local_files')
  assert.equal(login.states, ['checkingExisting', 'failed'])
})

test('an effect that throws a plain error is reported as a bad response', async () => {
  const login = start({ authenticate: [{ fail: new TypeError('boom') }] })
  const output = (await login.done()) as { failure: unknown }
  assert.equal(output.failure, { kind: 'bad_response', message: 'boom' })
})

test('user.cancel while prompting: cancelled, nothing sent', async () => {
  const login = start({ promptCredentials: ['hang'] }, { email: null, password: null, canPrompt: true })
  await settle()
  login.actor.send({ type: 'user.cancel' })
  const output = (await login.done()) as { failure: unknown }
  assert.equal(output.failure, { kind: 'cancelled', message: 'login cancelled' })
  assert.equal(login.states, ['checkingExisting', 'prompting', 'failed'])
  assert.equal(login.fx.calls.authenticate, [])
})

test('user.cancel during a rate-limit wait: no further try when the wait ends', async () => {
  const login = start({ authenticate: [rateLimited(10_000), granted] })
  await settle()
  login.actor.send({ type: 'user.cancel' })
  await login.advance(60_000)
  const output = (await login.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'cancelled')
  assert.is(login.fx.calls.authenticate.length, 1)
  assert.equal(login.clock.scheduled(), [])
})

test.run()
