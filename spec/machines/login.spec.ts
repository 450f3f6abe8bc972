// The login machine with both grants as children, on a simulated clock that starts at a real
// epoch time: the order of effects (nothing online before the files are checked, the lock before
// the registration), what each effect is given, compensation, and what the outcome says.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  account,
  checkSnapshot,
  deviceAuthorization,
  deviceLoginInput,
  EPOCH,
  files,
  loginWith,
  passwordLoginInput,
  registration,
  run,
  scripted,
  secrets,
  settle,
  StubEffectError,
  TimerClock,
  type Answer,
} from '../support/machine-harness.js'
import type { LoginInput } from '../../machines/index.js'

const tokens = (at: number) => ({
  userToken: secrets.userToken,
  refreshToken: secrets.refreshToken,
  userTokenExpiresAt: at + 30 * 86_400_000,
  receivedAt: at,
})

const start = (input: LoginInput, script: Record<string, Answer[]>) => {
  const clock = new TimerClock()
  clock.set(EPOCH)
  const fx = scripted(
    {
      checkExisting: [(now) => ({ ok: { existing: null, at: now } })],
      promptCredentials: [],
      authenticate: [(now) => ({ ok: { kind: 'granted', tokens: tokens(now) } })],
      requestCode: [(now) => ({ ok: deviceAuthorization(now) })],
      pollToken: [],
      identify: [{ ok: account }],
      lockCredentials: [{ ok: undefined }],
      registerProcess: [(now) => ({ ok: registration(now) })],
      persist: [{ ok: { written: files, kept: [], replaced: [] } }],
      revokeTokens: [],
      verifyExisting: [],
      renewLogin: [],
      ...script,
    },
    clock,
  )
  return { ...run(loginWith(fx.actors), {}, { input, clock }), fx }
}

const loggedIn = (authMethod: 'password' | 'device') => ({
  kind: 'loggedIn',
  email: 'you@example.com',
  accountId: 'acct_42',
  processName: 'omics',
  server: 'https://auth.omicos.cn',
  authMethod,
  paths: files,
  kept: [],
  replaced: null,
  replacedRevoked: null,
})

test('password: files checked, grant, account, lock, registration, files; the effects get what the login is', async () => {
  const login = start(passwordLoginInput(), {})
  assert.equal(await login.done(), loggedIn('password'))
  assert.equal(login.states, ['checkingExisting', 'passwordGrant', 'identifying', 'locking', 'registeringProcess', 'persisting', 'loggedIn'])
  assert.equal(login.fx.calls.checkExisting, [{ server: 'https://auth.omicos.cn', method: 'password' }])
  assert.equal(login.fx.calls.authenticate, [{ server: 'https://auth.omicos.cn', email: 'you@example.com', password: secrets.password }])
  assert.equal(login.fx.calls.registerProcess, [
    { server: 'https://auth.omicos.cn', userToken: secrets.userToken, processId: 'local-ws1', name: 'omics' },
  ])
  const persisted = login.fx.calls.persist[0] as { loggedInAt: number; process: { name: string; processToken: string }; session: { refreshToken: string } }
  assert.is(persisted.loggedInAt, EPOCH, 'stamped with the time the registration answered')
  assert.is(persisted.process.name, 'omics')
  assert.is(persisted.session.refreshToken, secrets.refreshToken)
  const context = login.snapshot().context
  assert.is(context.tokens, null, 'no token stays in context')
  assert.is(context.process, null)
  assert.is(context.password, null)
  assert.is(checkSnapshot('login: password ok', { states: login.states, context }), null)
})

test('device: the pairing reaches the login context; approved after slow_down; the wait grows by 5 s', async () => {
  const login = start(deviceLoginInput(), {
    pollToken: [(now) => ({ ok: { kind: 'pending', at: now } }), (now) => ({ ok: { kind: 'slowDown', at: now } }), (now) => ({ ok: { kind: 'granted', tokens: tokens(now), at: now } })],
  })
  await settle()
  assert.equal(login.snapshot().context.pairing, {
    userCode: 'BCDF-GHJK',
    verificationUri: 'https://auth.omicos.cn/device',
    verificationUriComplete: 'https://auth.omicos.cn/device?user_code=BCDFGHJK',
    deadline: EPOCH + 600_000,
    intervalMs: 5_000,
  })
  await login.advance(5_000 + 5_000 + 10_000)
  assert.equal(await login.done(), loggedIn('device'))
  assert.equal(login.fx.times.pollToken, [EPOCH + 5_000, EPOCH + 10_000, EPOCH + 20_000])
  // The pairing arriving, and its interval growing, are snapshots of their own, in the same state.
  assert.equal(login.states, ['checkingExisting', 'deviceGrant', 'deviceGrant', 'deviceGrant', 'identifying', 'locking', 'registeringProcess', 'persisting', 'loggedIn'])
  assert.is(login.snapshot().context.pairing, null)
  assert.is(checkSnapshot('login: device slow down approved', { states: login.states, context: login.snapshot().context }), null)
})

test('device: cancelled while waiting for approval: failed, resumable until the code dies, no poll after', async () => {
  const login = start(deviceLoginInput(), { pollToken: [(now) => ({ ok: { kind: 'pending', at: now } })] })
  await login.advance(5_000)
  login.actor.send({ type: 'user.cancel' })
  const output = (await login.done()) as { kind: string; failure: { kind: string }; resumableUntil: number | null }
  assert.is(output.failure.kind, 'cancelled')
  assert.is(output.resumableUntil, EPOCH + 600_000)
  await login.advance(60_000)
  assert.is(login.fx.calls.pollToken.length, 1)
  assert.is(checkSnapshot('login: device cancelled while waiting', { states: login.states, context: login.snapshot().context }), null)
})

test('the lock is held elsewhere after the grant: the issued tokens are revoked, nothing registered', async () => {
  const problem = new StubEffectError('local_files', 'cloud_login.json is locked by process 4242')
  const login = start(passwordLoginInput(), { lockCredentials: [{ fail: problem }], revokeTokens: [{ ok: undefined }] })
  const output = (await login.done()) as { kind: string; failure: { kind: string }; issuedRevoked: boolean | null }
  assert.is(output.failure.kind, 'local_files')
  assert.is(output.issuedRevoked, true)
  assert.equal(login.fx.calls.registerProcess, [])
  assert.equal(login.fx.calls.revokeTokens, [{ batches: [{ server: 'https://auth.omicos.cn', tokens: [secrets.refreshToken, secrets.userToken] }] }])
  assert.equal(login.states, ['checkingExisting', 'passwordGrant', 'identifying', 'locking', 'revokingIssued', 'failed'])
})

test('a file it cannot write fails the login before anything goes online', async () => {
  const problem = new StubEffectError('local_files', '/home/you/.omicos is read-only')
  const login = start(passwordLoginInput(), { checkExisting: [{ fail: problem }] })
  const output = (await login.done()) as { failure: { kind: string }; issuedRevoked: boolean | null }
  assert.is(output.failure.kind, 'local_files')
  assert.is(output.issuedRevoked, null)
  assert.equal(login.fx.calls.authenticate, [])
  assert.equal(login.states, ['checkingExisting', 'failed'])
})

const existing = (overrides: Record<string, unknown> = {}) => ({
  email: 'You@Example.com',
  accountId: 'acct_42',
  server: 'https://auth.omicos.cn',
  processName: 'omics',
  authMethod: 'password',
  userTokenExpiresAt: EPOCH + 30 * 86_400_000,
  hasRefreshToken: true,
  path: files[0],
  ...overrides,
})
const found = (login: Record<string, unknown> | null): Answer => (now) => ({ ok: { existing: login, at: now } })

test('the same account on the same server (email case aside): asked online, works, not near its end -> alreadyLoggedIn, confirmed', async () => {
  const login = start(passwordLoginInput(), { checkExisting: [found(existing())], verifyExisting: [(now) => ({ ok: { kind: 'valid', account, at: now } })] })
  const output = (await login.done()) as { kind: string; confirmed: boolean; renewed: boolean }
  assert.equal([output.kind, output.confirmed, output.renewed], ['alreadyLoggedIn', true, false])
  assert.equal(login.states, ['checkingExisting', 'verifyingExisting', 'alreadyLoggedIn'])
  assert.equal(login.fx.calls.verifyExisting, [{ server: 'https://auth.omicos.cn', path: files[0] }])
  assert.equal(login.fx.calls.authenticate, [])
})

test('rejected at the server (or within a day of its end): renewed with the refresh token instead of logging in again', async () => {
  const login = start(passwordLoginInput(), {
    checkExisting: [found(existing())],
    verifyExisting: [(now) => ({ ok: { kind: 'invalid', message: 'revoked', at: now } })],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH + 86_400_000 } }],
  })
  const output = (await login.done()) as { kind: string; renewed: boolean; existing: { userTokenExpiresAt: number } }
  assert.equal([output.kind, output.renewed], ['alreadyLoggedIn', true])
  assert.is(output.existing.userTokenExpiresAt, EPOCH + 86_400_000)
  assert.equal(login.states, ['checkingExisting', 'verifyingExisting', 'renewingExisting', 'alreadyLoggedIn'])
  const ending = start(passwordLoginInput(), {
    checkExisting: [found(existing({ userTokenExpiresAt: EPOCH + 3_600_000 }))],
    verifyExisting: [(now) => ({ ok: { kind: 'valid', account, at: now } })],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH + 86_400_000 } }],
  })
  assert.is(((await ending.done()) as { renewed: boolean }).renewed, true, 'an hour left: renewed')
})

test('rejected and the refresh token too (or none): logs in again with the grant', async () => {
  const login = start(passwordLoginInput(), {
    checkExisting: [found(existing())],
    verifyExisting: [(now) => ({ ok: { kind: 'invalid', message: 'revoked', at: now } })],
    renewLogin: [{ ok: { kind: 'rejected' } }],
  })
  assert.is(((await login.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(login.states.slice(0, 4), ['checkingExisting', 'verifyingExisting', 'renewingExisting', 'passwordGrant'])
  const none = start(deviceLoginInput(), {
    checkExisting: [found(existing({ hasRefreshToken: false }))],
    verifyExisting: [(now) => ({ ok: { kind: 'invalid', message: 'revoked', at: now } })],
    requestCode: ['hang'],
  })
  await settle()
  assert.equal(none.states, ['checkingExisting', 'verifyingExisting', 'deviceGrant'])
})

test('another account asked (--email), or --force: no check of the existing login, straight to the grant', async () => {
  const other = start(passwordLoginInput({ email: 'bob@example.com' }), { checkExisting: [found(existing())] })
  assert.is(((await other.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(other.fx.calls.verifyExisting, [])
  const forced = start(passwordLoginInput({ force: true }), { checkExisting: [found(existing())] })
  assert.is(((await forced.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(forced.fx.calls.verifyExisting, [])
})

test('the existing login ran out (by its file): logged in again, not renewed, not asked about', async () => {
  const login = start(passwordLoginInput(), { checkExisting: [found(existing({ userTokenExpiresAt: EPOCH }))] })
  assert.is(((await login.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(login.fx.calls.verifyExisting, [])
  assert.equal(login.fx.calls.renewLogin, [])
})

test('the server cannot be asked about the existing login: alreadyLoggedIn, not confirmed', async () => {
  const login = start(passwordLoginInput(), { checkExisting: [found(existing())], verifyExisting: [{ fail: new StubEffectError('unreachable', 'cannot reach') }] })
  const output = (await login.done()) as { kind: string; confirmed: boolean }
  assert.equal([output.kind, output.confirmed], ['alreadyLoggedIn', false])
})

test.run()
