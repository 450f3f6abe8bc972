// The login machine and an existing login: asked about online before "already logged in" is
// said, renewed with its refresh token near its end or when rejected, logged in again when it
// ran out, when the refresh token is rejected too, or when another account is asked.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  account,
  deviceLoginInput,
  EPOCH,
  files,
  passwordLoginInput,
  settle,
  StubEffectError,
  loginScenario,
  secrets,
  storedLogin,
  foundExisting,
  rejectedVerdict,
} from '../support/machine-harness.js'

const { start } = loginScenario

const existing = storedLogin
const found = foundExisting
const rejected = rejectedVerdict

test('the same account on the same server (email case aside): asked online, works, not near its end -> alreadyLoggedIn, confirmed', async () => {
  const login = start(passwordLoginInput(), { checkExisting: [found(existing())], verifyExisting: [({ now }) => ({ ok: { kind: 'valid', account, at: now } })] })
  const output = (await login.done()) as { kind: string; confirmed: boolean; renewed: boolean }
  assert.equal([output.kind, output.confirmed, output.renewed], ['alreadyLoggedIn', true, false])
  assert.equal(login.states, ['checkingExisting', 'verifyingExisting', 'alreadyLoggedIn'])
  assert.equal(login.fx.calls.verifyExisting, [{ server: 'https://auth.omicos.cn', path: files[0] }])
  assert.equal(login.fx.calls.authenticate, [])
})

test('rejected at the server (or within a day of its end): renewed with the refresh token instead of logging in again', async () => {
  const login = start(passwordLoginInput(), {
    checkExisting: [found(existing())],
    verifyExisting: [({ now }) => ({ ok: { kind: 'invalid', message: 'revoked', at: now } })],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH + 86_400_000 } }],
  })
  const output = (await login.done()) as { kind: string; renewed: boolean; existing: { userTokenExpiresAt: number } }
  assert.equal([output.kind, output.renewed], ['alreadyLoggedIn', true])
  assert.is(output.existing.userTokenExpiresAt, EPOCH + 86_400_000)
  assert.equal(login.states, ['checkingExisting', 'verifyingExisting', 'renewingExisting', 'alreadyLoggedIn'])
  const ending = start(passwordLoginInput(), {
    checkExisting: [found(existing({ userTokenExpiresAt: EPOCH + 3_600_000 }))],
    verifyExisting: [({ now }) => ({ ok: { kind: 'valid', account, at: now } })],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH + 86_400_000 } }],
  })
  assert.is(((await ending.done()) as { renewed: boolean }).renewed, true, 'an hour left: renewed')
})

test('rejected and the refresh token too (or none): logs in again with the grant', async () => {
  const login = start(passwordLoginInput(), {
    checkExisting: [found(existing())],
    verifyExisting: [({ now }) => ({ ok: { kind: 'invalid', message: 'revoked', at: now } })],
    renewLogin: [{ ok: { kind: 'rejected' } }],
  })
  assert.is(((await login.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(login.states.slice(0, 4), ['checkingExisting', 'verifyingExisting', 'renewingExisting', 'passwordGrant'])
  const none = start(deviceLoginInput(), {
    checkExisting: [found(existing({ hasRefreshToken: false }))],
    verifyExisting: [({ now }) => ({ ok: { kind: 'invalid', message: 'revoked', at: now } })],
    requestCode: ['hang'],
  })
  await settle()
  assert.equal(none.states, ['checkingExisting', 'verifyingExisting', 'deviceGrant'])
})

test('another account asked (--email), or --force: no check of the existing login, straight to the grant', async () => {
  const other = start(passwordLoginInput({ email: 'bob@example.com' }), {
    checkExisting: [found(existing())],
    identify: [{ ok: { accountId: 'acct_bob', email: 'bob@example.com', tier: 'pro' } }],
  })
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

test('a working token: fresh when the verdict has no time, renewed when it ends exactly a day after the verdict', async () => {
  const timeless = start(passwordLoginInput(), {
    checkExisting: [found(existing({ userTokenExpiresAt: EPOCH + 3_600_000 }))],
    verifyExisting: [{ ok: { kind: 'valid', account } }],
  })
  const fresh = (await timeless.done()) as { kind: string; confirmed: boolean; renewed: boolean }
  assert.equal([fresh.kind, fresh.confirmed, fresh.renewed], ['alreadyLoggedIn', true, false])
  assert.equal(timeless.fx.calls.renewLogin, [])
  const boundary = start(passwordLoginInput(), {
    checkExisting: [found(existing({ userTokenExpiresAt: EPOCH + 86_400_000 }))],
    verifyExisting: [{ ok: { kind: 'valid', account, at: EPOCH } }],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH + 30 * 86_400_000 } }],
  })
  const renewed = (await boundary.done()) as { kind: string; confirmed: boolean; renewed: boolean; existing: { userTokenExpiresAt: number } }
  assert.equal([renewed.kind, renewed.confirmed, renewed.renewed], ['alreadyLoggedIn', true, true])
  assert.is(renewed.existing.userTokenExpiresAt, EPOCH + 30 * 86_400_000)
  assert.equal(boundary.fx.calls.renewLogin, [{ server: 'https://auth.omicos.cn', path: files[0] }])
  const dayAndAMinute = start(passwordLoginInput(), {
    checkExisting: [found(existing({ userTokenExpiresAt: EPOCH + 86_460_000 }))],
    verifyExisting: [{ ok: { kind: 'valid', account, at: EPOCH } }],
  })
  assert.is(((await dayAndAMinute.done()) as { renewed: boolean }).renewed, false, 'a day and a minute left: not renewed')
})

test('a device login whose renewal is rejected pairs again; the pairing replaces the existing login it found', async () => {
  const login = start(deviceLoginInput(), {
    checkExisting: [found(existing())],
    verifyExisting: [rejected],
    renewLogin: [{ ok: { kind: 'rejected' } }],
    requestCode: ['hang'],
  })
  await settle()
  assert.equal(login.states, ['checkingExisting', 'verifyingExisting', 'renewingExisting', 'deviceGrant'])
  const elsewhere = existing({ server: 'https://other.example' })
  const pairing = start(deviceLoginInput(), {
    checkExisting: [found(elsewhere)],
    pollToken: [({ now }) => ({ ok: { kind: 'granted', tokens: loginScenario.tokens(now), at: now } })],
  })
  await pairing.advance(5_000)
  const output = (await pairing.done()) as { kind: string; replaced: unknown }
  assert.is(output.kind, 'loggedIn')
  assert.equal(output.replaced, elsewhere)
})

test('the password is forgotten as soon as the grant is over, before the account is asked', async () => {
  const login = start(passwordLoginInput(), { identify: ['hang'] })
  await settle()
  assert.is(login.states.at(-1), 'identifying')
  assert.is(login.snapshot().context.password, null)
  assert.not.ok(JSON.stringify(login.snapshot().context).includes(secrets.password))
})

test.run()
