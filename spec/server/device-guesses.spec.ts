// RFC 8628 §5.1 on the /device page, over plain HTTP: wrong codes are counted and paused at
// /device/verify and /device/decide alike, per account and per address (so a new session does
// not reset them), and /device/decide acts only on the code its session verified.
// Every test starts its own server: the requests all come from 127.0.0.1, one address.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { addressKey, createCodeGuesses, guessKeys, PAUSE_MS, WINDOW_MS, WRONG_CODES_BEFORE_PAUSE } from '../../server/device-page/code-guesses.js'
import { openDatabase, sqliteSql } from '../../server/storage/database.js'
import { rmSync } from 'node:fs'
import { makeDataDir, PageClient, pollDeviceCode, requestDeviceCode, withReferenceServer, type ReferenceServer } from '../support/server.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const BOB = { email: 'bob@example.com', password: 'another long password' }
const WRONG = 'BCDF-GHJK'

async function withServer(job: (ref: ReferenceServer) => Promise<void>): Promise<void> {
  const ref = await withReferenceServer({ users: [ADA, BOB], interval: 1 })
  try {
    await job(ref)
  } finally {
    await ref.stop()
  }
}

async function signedIn(ref: ReferenceServer, user = ADA): Promise<PageClient> {
  const client = new PageClient(ref.server)
  await client.signIn(user)
  return client
}

async function pauseWithWrongCodes(client: PageClient): Promise<void> {
  for (let i = 1; i < WRONG_CODES_BEFORE_PAUSE; i++) {
    const answer = await client.verify(WRONG)
    assert.is(answer.status, 400, `wrong code ${i}`)
    assert.is(answer.reason, 'wrong_code', `wrong code ${i}`)
  }
  const fifth = await client.verify(WRONG)
  assert.is(fifth.status, 429)
  assert.is(fifth.reason, 'paused')
}

test('while paused, /device/decide refuses wrong and real codes alike, and approves nothing', () =>
  withServer(async (ref) => {
    const { body: device } = await requestDeviceCode(ref.server)
    const client = await signedIn(ref)
    await pauseWithWrongCodes(client)
    for (let i = 1; i <= 8; i++) {
      const guess = await client.decide(WRONG, 'approve')
      assert.is(guess.status, 429, `guess ${i} at /device/decide`)
      assert.is(guess.reason, 'paused', `guess ${i} at /device/decide`)
    }
    const real = await client.decide(device.user_code, 'approve')
    assert.is(real.status, 429)
    assert.is(real.reason, 'paused')
    const poll = await pollDeviceCode(ref.server, device.device_code)
    assert.is(poll.body.error, 'authorization_pending', 'the code was not approved')
  }))

test('wrong codes sent to /device/decide count toward the pause too', () =>
  withServer(async (ref) => {
    const client = await signedIn(ref)
    for (let i = 1; i < WRONG_CODES_BEFORE_PAUSE; i++) {
      const answer = await client.decide(WRONG, 'approve')
      assert.is(answer.status, 400, `wrong code ${i}`)
      assert.is(answer.reason, 'wrong_code')
    }
    const fifth = await client.decide(WRONG, 'deny')
    assert.is(fifth.status, 429)
    assert.is(fifth.reason, 'paused')
    const verify = await client.verify(WRONG)
    assert.is(verify.reason, 'paused', '/device/verify sees the same pause')
  }))

test('/device/decide acts only on the code this session verified', () =>
  withServer(async (ref) => {
    const { body: first } = await requestDeviceCode(ref.server)
    const { body: second } = await requestDeviceCode(ref.server)
    const client = await signedIn(ref)

    const unverified = await client.decide(first.user_code, 'approve')
    assert.is(unverified.status, 400)
    assert.is(unverified.reason, 'not_verified')

    const shown = await client.verify(first.user_code)
    assert.is(shown.status, 200)
    assert.match(shown.text, /id="confirm-code"/)

    const other = await client.decide(second.user_code, 'approve')
    assert.is(other.reason, 'not_verified', 'a code other than the one shown is refused')
    assert.is((await pollDeviceCode(ref.server, second.device_code)).body.error, 'authorization_pending')

    // Another session of the same account has verified nothing.
    const otherSession = await signedIn(ref)
    assert.is((await otherSession.decide(first.user_code, 'approve')).reason, 'not_verified')

    const approved = await client.decide(first.user_code.toLowerCase().replace('-', ''), 'approve')
    assert.is(approved.status, 200)
    assert.match(approved.text, /data-outcome="approved"/)
    const granted = await pollDeviceCode(ref.server, first.device_code)
    assert.is(granted.status, 200)
    assert.type(granted.body.access_token, 'string')

    const again = await client.decide(first.user_code, 'deny')
    assert.is(again.reason, 'used')

    // Right codes do not count as wrong ones: none of the above paused anything.
    assert.is((await client.verify(second.user_code)).status, 200)
    assert.match((await client.decide(second.user_code, 'deny')).text, /data-outcome="denied"/)
    assert.is((await pollDeviceCode(ref.server, second.device_code)).body.error, 'access_denied')
  }))

test('signing in again with a new cookie jar does not lift the pause; nor does another account from the same address', () =>
  withServer(async (ref) => {
    const { body: device } = await requestDeviceCode(ref.server)
    await pauseWithWrongCodes(await signedIn(ref))

    const fresh = await signedIn(ref)
    const start = await fresh.send('/device')
    assert.is(start.reason, 'paused', 'the page says so as soon as it opens')
    const real = await fresh.verify(device.user_code)
    assert.is(real.status, 429)
    assert.is(real.reason, 'paused')
    assert.is((await fresh.decide(device.user_code, 'approve')).reason, 'paused')

    const bob = await signedIn(ref, BOB)
    assert.is((await bob.verify(device.user_code)).reason, 'paused', 'the address is paused too')
    assert.is((await pollDeviceCode(ref.server, device.device_code)).body.error, 'authorization_pending')
  }))

test("the library's own code entry, POST /device, is closed: codes are typed only where they are counted", () =>
  withServer(async (ref) => {
    const { body: device } = await requestDeviceCode(ref.server)
    const client = await signedIn(ref)
    for (const path of ['/device', '/device/']) {
      const answer = await client.send(path, { user_code: device.user_code, xsrf: 'x', confirm: 'yes' })
      assert.is(answer.status, 405, path)
    }
    assert.is((await pollDeviceCode(ref.server, device.device_code)).body.error, 'authorization_pending')
  }))

test('the guess counter: per account and per address, a window, a pause, no reset by a right code, bursts bounded', async () => {
  const dir = makeDataDir()
  const db = openDatabase(dir)
  const sql = sqliteSql(db)
  try {
    let clock = 1_000_000
    const guesses = createCodeGuesses(sql, () => clock)
    const wrong = async (keys: string[]) => {
      const start = await guesses.begin(keys)
      return start.ok ? guesses.miss(keys) : -start.waitMs
    }
    const adaHome = guessKeys('acc-ada', '10.0.0.1')
    for (let i = 1; i < WRONG_CODES_BEFORE_PAUSE; i++) assert.is(await wrong(adaHome), 0)
    assert.is(await wrong(adaHome), PAUSE_MS)
    assert.is(await guesses.pausedFor(guessKeys('acc-ada', '10.9.9.9')), PAUSE_MS, 'the account is paused from any address')
    assert.is(await guesses.pausedFor(guessKeys('acc-bob', '10.0.0.1')), PAUSE_MS, 'the address is paused for any account')
    assert.is(await guesses.pausedFor(guessKeys('acc-bob', '10.0.0.2')), 0)
    assert.not.ok((await guesses.begin(guessKeys('acc-ada', '10.9.9.9'))).ok)
    clock += PAUSE_MS
    assert.is(await guesses.pausedFor(adaHome), 0, 'the pause ends')

    // A right code in between does not reset the count of wrong ones.
    const bob = guessKeys('acc-bob', '10.0.0.3')
    for (let i = 1; i < WRONG_CODES_BEFORE_PAUSE; i++) {
      assert.is(await wrong(bob), 0)
      assert.ok((await guesses.begin(bob)).ok)
      await guesses.hit(bob)
    }
    assert.is(await wrong(bob), PAUSE_MS)

    // Wrong codes older than the window are forgotten.
    const cy = guessKeys('acc-cy', '10.0.0.4')
    for (let i = 1; i < WRONG_CODES_BEFORE_PAUSE; i++) assert.is(await wrong(cy), 0)
    clock += WINDOW_MS
    assert.is(await wrong(cy), 0)

    // Attempts started at once, before any answer: no more than the limit get through.
    const dee = guessKeys('acc-dee', '10.0.0.5')
    const started = (await Promise.all(Array.from({ length: 20 }, () => guesses.begin(dee)))).filter((start) => start.ok).length
    assert.is(started, WRONG_CODES_BEFORE_PAUSE)
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

test('an IPv6 client counts by its /64, an IPv4-mapped one by its IPv4 address', () => {
  assert.is(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
  assert.is(addressKey('2001:0db8:0001:0002:ffff:1:2:3'), '2001:db8:1:2::/64')
  assert.is(addressKey('2001:db8::1'), '2001:db8:0:0::/64')
  assert.is(addressKey('::1'), '0:0:0:0::/64')
  assert.is(addressKey('::ffff:127.0.0.1'), '127.0.0.1')
  assert.is(addressKey('192.0.2.7'), '192.0.2.7')
})

test.run()
