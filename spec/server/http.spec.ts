import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decidePairing, startServer } from '../../server/index.js'
import { CLIENT_ID, DEFAULT_USERS, passwordLogin, pollDeviceCode, request, requestDeviceCode, withReferenceServer } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

test('discovery answers on both well-known paths with the same metadata', async () => {
  const ref = await withReferenceServer()
  try {
    const oauth = await request(ref.server, '/.well-known/oauth-authorization-server')
    const oidc = await request(ref.server, '/.well-known/openid-configuration')
    assert.is(oauth.status, 200)
    assert.equal(oauth.body, oidc.body)
    const url = ref.server.url
    assert.is(oauth.body.issuer, url)
    assert.is(oauth.body.token_endpoint, `${url}/token`)
    assert.is(oauth.body.device_authorization_endpoint, `${url}/device/auth`)
    assert.is(oauth.body.revocation_endpoint, `${url}/token/revocation`)
    assert.is(oauth.body.omicos_account_endpoint, `${url}/omicos/account`)
    assert.is(oauth.body.omicos_process_endpoint, `${url}/omicos/processes`)
    assert.ok(oauth.body.grant_types_supported.includes('password'))
  } finally {
    await ref.stop()
  }
})

test('password grant: right, wrong and unknown credentials', async () => {
  const ref = await withReferenceServer()
  try {
    const ok = await passwordLogin(ref.server, ada.email, ada.password)
    assert.is(ok.status, 200)
    assert.is(ok.body.token_type, 'Bearer')
    assert.type(ok.body.access_token, 'string')
    assert.type(ok.body.refresh_token, 'string')
    assert.ok(ok.body.expires_in >= 7 * 86400)
    assert.is(ok.body.scope, 'openid email offline_access')

    const wrong = await passwordLogin(ref.server, ada.email, 'not it')
    assert.is(wrong.status, 400)
    assert.equal(wrong.body, { error: 'invalid_grant', error_description: 'wrong email or password' })
    const unknown = await passwordLogin(ref.server, 'nobody@example.com', 'whatever')
    assert.equal(unknown.body, wrong.body)

    const upper = await passwordLogin(ref.server, ada.email.toUpperCase(), ada.password)
    assert.is(upper.status, 200)

    const refreshed = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: ok.body.refresh_token, client_id: CLIENT_ID } })
    assert.is(refreshed.status, 200)
    assert.type(refreshed.body.access_token, 'string')
  } finally {
    await ref.stop()
  }
})

test('more than 5 failures for one email within a minute answer 429 with Retry-After', async () => {
  const ref = await withReferenceServer()
  try {
    for (let i = 1; i <= 5; i++) {
      const r = await passwordLogin(ref.server, ada.email, `wrong ${i}`)
      assert.is(r.status, 400, `failure ${i}`)
    }
    const sixth = await passwordLogin(ref.server, ada.email, 'wrong 6')
    assert.is(sixth.status, 429)
    assert.is(sixth.body.error, 'invalid_request')
    const retryAfter = Number(sixth.headers.get('retry-after'))
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`)
    const right = await passwordLogin(ref.server, ada.email, ada.password)
    assert.is(right.status, 429, 'the right password is refused too while blocked')
    const other = await passwordLogin(ref.server, 'someone-else@example.com', 'x')
    assert.is(other.status, 400, 'another email is not blocked')
  } finally {
    await ref.stop()
  }
})

test('the failure limit survives a restart and is shared by a second process on the same data', async () => {
  const ref = await withReferenceServer()
  let second: Awaited<ReturnType<typeof startServer>> | undefined
  let third: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    for (let i = 1; i <= 3; i++) assert.is((await passwordLogin(ref.server, ada.email, `wrong ${i}`)).status, 400)
    // A second server on the same data directory counts the first one's failures.
    second = await timeout(startServer({ dataDir: ref.dataDir }), 15_000, 'starting a second server')
    for (let i = 4; i <= 5; i++) assert.is((await passwordLogin(second, ada.email, `wrong ${i}`)).status, 400)
    assert.is((await passwordLogin(ref.server, ada.email, 'wrong 6')).status, 429, 'the sixth failure counts all five before it')

    await timeout(ref.server.close(), 10_000, 'closing')
    await timeout(second.close(), 10_000, 'closing')
    third = await timeout(startServer({ dataDir: ref.dataDir }), 15_000, 'restarting')
    const afterRestart = await passwordLogin(third, ada.email, ada.password)
    assert.is(afterRestart.status, 429, 'a restart does not forgive the failures')
    assert.ok(Number(afterRestart.headers.get('retry-after')) > 0)
  } finally {
    if (second) await timeout(second.close(), 10_000, 'closing')
    if (third) await timeout(third.close(), 10_000, 'closing')
    await ref.stop()
  }
})

test('device flow: pending, slow_down, approval, tokens, and a code redeems once', async () => {
  const ref = await withReferenceServer({ interval: 1 })
  try {
    const started = await requestDeviceCode(ref.server)
    assert.is(started.status, 200)
    const { device_code, user_code, verification_uri, verification_uri_complete, expires_in, interval } = started.body
    assert.match(user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
    assert.is(verification_uri, `${ref.server.url}/device`)
    assert.is(verification_uri_complete, `${ref.server.url}/device?user_code=${user_code}`)
    assert.is(expires_in, 600)
    assert.is(interval, 1)

    const first = await pollDeviceCode(ref.server, device_code)
    assert.is(first.body.error, 'authorization_pending')
    const tooSoon = await pollDeviceCode(ref.server, device_code)
    assert.is(tooSoon.status, 400)
    assert.is(tooSoon.body.error, 'slow_down')
    // The interval in force is now 6 s: a poll 1.2 s later is still too soon.
    await sleep(1200)
    const stillTooSoon = await pollDeviceCode(ref.server, device_code)
    assert.is(stillTooSoon.body.error, 'slow_down')
    assert.is(stillTooSoon.body.interval, 11)

    const seen = await timeout(decidePairing(ref.dataDir, user_code.toLowerCase().replace('-', ''), { approve: true, email: ada.email }), 10_000, 'approving')
    assert.equal(seen, { processName: 'jupyter-lab', hostname: 'lab-box' })

    // Approved: tokens come back however soon the client polls.
    const granted = await pollDeviceCode(ref.server, device_code)
    assert.is(granted.status, 200)
    assert.type(granted.body.access_token, 'string')
    assert.type(granted.body.refresh_token, 'string')
    const account = await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${granted.body.access_token}` } })
    assert.is(account.body.email, ada.email)

    const again = await pollDeviceCode(ref.server, device_code)
    assert.is(again.status, 400)
    assert.is(again.body.error, 'invalid_grant')

    const entries = ref.server.requests.filter((e) => e.grantType === 'urn:ietf:params:oauth:grant-type:device_code')
    assert.equal(
      entries.map((e) => e.error ?? e.status),
      ['authorization_pending', 'slow_down', 'slow_down', 200, 'invalid_grant'],
    )
    assert.ok(entries.every((e) => e.deviceCodeId && e.deviceCodeId.length === 12 && !device_code.includes(e.deviceCodeId)))

    try {
      await decidePairing(ref.dataDir, user_code, { approve: true, email: ada.email })
      assert.unreachable('a used code cannot be approved again')
    } catch (error) {
      assert.match((error as Error).message, /already been used|not valid/)
    }
  } finally {
    await ref.stop()
  }
})

test('device flow: a denied code answers access_denied', async () => {
  const ref = await withReferenceServer({ interval: 1 })
  try {
    const { body } = await requestDeviceCode(ref.server)
    await timeout(decidePairing(ref.dataDir, body.user_code, { approve: false }), 10_000, 'denying')
    const denied = await pollDeviceCode(ref.server, body.device_code)
    assert.is(denied.status, 400)
    assert.is(denied.body.error, 'access_denied')
  } finally {
    await ref.stop()
  }
})

test('device flow: an expired code answers expired_token and cannot be approved', async () => {
  const ref = await withReferenceServer({ interval: 1, deviceTtl: 1 })
  try {
    const { body } = await requestDeviceCode(ref.server)
    assert.is(body.expires_in, 1)
    await sleep(2100)
    const expired = await pollDeviceCode(ref.server, body.device_code)
    assert.is(expired.body.error, 'expired_token')
    try {
      await decidePairing(ref.dataDir, body.user_code, { approve: true, email: ada.email })
      assert.unreachable('an expired code cannot be approved')
    } catch (error) {
      assert.match((error as Error).message, /expired/)
    }
    try {
      await decidePairing(ref.dataDir, 'BCDF-GHJK', { approve: false })
      assert.unreachable('an unknown code cannot be denied')
    } catch (error) {
      assert.match((error as Error).message, /not valid/)
    }
  } finally {
    await ref.stop()
  }
})

test('account info and process registration with rotation', async () => {
  const ref = await withReferenceServer()
  try {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const auth = { authorization: `Bearer ${login.body.access_token}` }
    const account = await request(ref.server, '/omicos/account', { headers: auth })
    assert.is(account.status, 200)
    assert.equal(account.body, { account_id: ref.users[0]!.accountId, email: ada.email, tier: 'pro' })
    assert.match(account.body.account_id, /^acct_/)

    const noToken = await request(ref.server, '/omicos/account')
    assert.is(noToken.status, 401)
    assert.is(noToken.body.error, 'invalid_token')
    const badToken = await request(ref.server, '/omicos/account', { headers: { authorization: 'Bearer nope' } })
    assert.is(badToken.status, 401)

    const first = await request(ref.server, '/omicos/processes', { headers: auth, json: { process_id: 'local-ws1', name: 'jupyter-lab' } })
    assert.is(first.status, 200)
    assert.is(first.body.process_id, 'local-ws1')
    assert.is(first.body.name, 'jupyter-lab')
    assert.is(first.body.expires_in, 3600)
    assert.ok(Math.abs(Date.parse(first.body.expires_at) - Date.now() - 3_600_000) < 10_000)

    const current = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${first.body.process_token}` } })
    assert.equal(current.body, { process_id: 'local-ws1', account_id: account.body.account_id, name: 'jupyter-lab', expires_at: first.body.expires_at })

    const second = await request(ref.server, '/omicos/processes', { headers: auth, json: { process_id: 'local-ws1', name: 'jupyter-lab' } })
    assert.is.not(second.body.process_token, first.body.process_token)
    const old = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${first.body.process_token}` } })
    assert.is(old.status, 401)
    const fresh = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${second.body.process_token}` } })
    assert.is(fresh.status, 200)

    const asUser = await request(ref.server, '/omicos/processes/current', { headers: auth })
    assert.is(asUser.status, 401, 'a user token is not a process token')
    const asProcess = await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${second.body.process_token}` } })
    assert.is(asProcess.status, 401, 'a process token is not a user token')

    for (const bad of [
      {},
      { process_id: 'local-ws1' },
      { name: 'x' },
      { process_id: 'has space', name: 'x' },
      { process_id: 'ok', name: '' },
      { process_id: 7, name: 'x' },
    ]) {
      const r = await request(ref.server, '/omicos/processes', { headers: auth, json: bad })
      assert.is(r.status, 400, JSON.stringify(bad))
      assert.is(r.body.error, 'invalid_request')
    }
    const unauth = await request(ref.server, '/omicos/processes', { json: { process_id: 'local-ws1', name: 'x' } })
    assert.is(unauth.status, 401)
  } finally {
    await ref.stop()
  }
})

test('process tokens expire after processTokenTtl', async () => {
  const ref = await withReferenceServer({ processTokenTtl: 1 })
  try {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const reg = await request(ref.server, '/omicos/processes', {
      headers: { authorization: `Bearer ${login.body.access_token}` },
      json: { process_id: 'local-ws1', name: 'n' },
    })
    assert.is(reg.body.expires_in, 1)
    await sleep(1100)
    const current = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${reg.body.process_token}` } })
    assert.is(current.status, 401)
  } finally {
    await ref.stop()
  }
})

test('revocation: user, refresh and process tokens; unknown tokens answer 200', async () => {
  const ref = await withReferenceServer()
  try {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const auth = { authorization: `Bearer ${login.body.access_token}` }
    const reg = await request(ref.server, '/omicos/processes', { headers: auth, json: { process_id: 'local-ws1', name: 'n' } })
    const processAuth = { authorization: `Bearer ${reg.body.process_token}` }

    const revokeProcess = await request(ref.server, '/token/revocation', { form: { token: reg.body.process_token, client_id: CLIENT_ID } })
    assert.is(revokeProcess.status, 200)
    assert.is((await request(ref.server, '/omicos/processes/current', { headers: processAuth })).status, 401)
    assert.is((await request(ref.server, '/omicos/account', { headers: auth })).status, 200, 'the user token still works')

    const revokeUser = await request(ref.server, '/token/revocation', {
      form: { token: login.body.access_token, token_type_hint: 'access_token', client_id: CLIENT_ID },
    })
    assert.is(revokeUser.status, 200)
    assert.is((await request(ref.server, '/omicos/account', { headers: auth })).status, 401)
    const refresh = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token, client_id: CLIENT_ID } })
    assert.is(refresh.body.error, 'invalid_grant', 'revoking the access token revokes its grant')

    const second = await passwordLogin(ref.server, ada.email, ada.password)
    const revokeRefresh = await request(ref.server, '/token/revocation', { form: { token: second.body.refresh_token, client_id: CLIENT_ID } })
    assert.is(revokeRefresh.status, 200)
    assert.is((await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${second.body.access_token}` } })).status, 401)

    const unknown = await request(ref.server, '/token/revocation', { form: { token: 'never-issued', client_id: CLIENT_ID } })
    assert.is(unknown.status, 200)
  } finally {
    await ref.stop()
  }
})

test('a pending device code and an issued user token survive a restart', async () => {
  const ref = await withReferenceServer({ interval: 1 })
  let second: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const { body: device } = await requestDeviceCode(ref.server)
    await pollDeviceCode(ref.server, device.device_code)
    await timeout(ref.server.close(), 10_000, 'closing')

    second = await timeout(startServer({ dataDir: ref.dataDir, interval: 1 }), 15_000, 'restarting')
    const account = await request(second, '/omicos/account', { headers: { authorization: `Bearer ${login.body.access_token}` } })
    assert.is(account.status, 200)
    assert.is(account.body.email, ada.email)
    const refreshed = await request(second, '/token', { form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token, client_id: CLIENT_ID } })
    assert.is(refreshed.status, 200)

    const tooSoon = await pollDeviceCode(second, device.device_code)
    assert.is(tooSoon.body.error, 'slow_down', 'the pacing of a code survives the restart')
    await timeout(decidePairing(ref.dataDir, device.user_code, { approve: true, email: ada.email }), 10_000, 'approving')
    const granted = await pollDeviceCode(second, device.device_code)
    assert.is(granted.status, 200)
    assert.type(granted.body.access_token, 'string')
  } finally {
    if (second) await timeout(second.close(), 10_000, 'closing')
    await ref.stop()
  }
})

test('malformed requests get OAuth JSON errors and the server stays up', async () => {
  const ref = await withReferenceServer()
  try {
    const missingGrant = await request(ref.server, '/token', { form: { client_id: CLIENT_ID } })
    assert.is(missingGrant.status, 400)
    assert.is(missingGrant.body.error, 'invalid_request')
    const missingPassword = await request(ref.server, '/token', { form: { grant_type: 'password', username: ada.email, client_id: CLIENT_ID } })
    assert.is(missingPassword.body.error, 'invalid_request')
    const missingDeviceCode = await request(ref.server, '/token', { form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: CLIENT_ID } })
    assert.is(missingDeviceCode.body.error, 'invalid_request')
    const jsonToken = await request(ref.server, '/token', { json: { grant_type: 'password', username: ada.email, password: ada.password, client_id: CLIENT_ID } })
    assert.is(jsonToken.status, 400)
    assert.is(jsonToken.body.error, 'invalid_request')
    const textDevice = await request(ref.server, '/device/auth', { body: 'client_id=omicos-cli', headers: { 'content-type': 'text/plain' } })
    assert.is(textDevice.body.error, 'invalid_request')
    const huge = 'x'.repeat(100 * 1024)
    const bigToken = await request(ref.server, '/token', { form: { grant_type: 'password', username: ada.email, password: huge, client_id: CLIENT_ID } })
    assert.is(bigToken.status, 400)
    assert.is(bigToken.body.error, 'invalid_request')

    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const auth = { authorization: `Bearer ${login.body.access_token}` }
    const bigProcess = await request(ref.server, '/omicos/processes', { headers: auth, json: { process_id: 'local-x', name: huge } })
    assert.is(bigProcess.status, 413)
    assert.is(bigProcess.body.error, 'invalid_request')
    const badJson = await request(ref.server, '/omicos/processes', { headers: { ...auth, 'content-type': 'application/json' }, body: '{nope' })
    assert.is(badJson.status, 400)
    assert.is(badJson.body.error, 'invalid_request')
    const textProcess = await request(ref.server, '/omicos/processes', { headers: { ...auth, 'content-type': 'text/plain' }, body: 'hi' })
    assert.is(textProcess.body.error, 'invalid_request')
    const arrayJson = await request(ref.server, '/omicos/processes', { headers: auth, json: [1, 2] })
    assert.is(arrayJson.body.error, 'invalid_request')
    const wrongMethod = await request(ref.server, '/omicos/account', { method: 'DELETE', headers: auth })
    assert.is(wrongMethod.status, 405)
    const nothing = await request(ref.server, '/no/such/path')
    assert.is(nothing.status, 404)
    assert.is(nothing.body.error, 'not_found')
    const badClient = await request(ref.server, '/token', { form: { grant_type: 'password', username: ada.email, password: ada.password, client_id: 'who' } })
    assert.is(badClient.body.error, 'invalid_client')
    const longName = await request(ref.server, '/device/auth', { form: { client_id: CLIENT_ID, scope: 'openid', process_name: 'n'.repeat(500) } })
    assert.is(longName.body.error, 'invalid_request')
    // Device codes no store could hold answer as unknown codes do, not as a store failure.
    for (const deviceCode of ['nul\u0000code', 'd'.repeat(4000), 'naïve-code']) {
      const odd = await request(ref.server, '/token', {
        form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceCode, client_id: CLIENT_ID },
      })
      assert.is(odd.status, 400, JSON.stringify(deviceCode.slice(0, 12)))
      assert.is(odd.body.error, 'invalid_grant', JSON.stringify(deviceCode.slice(0, 12)))
    }
    // A NUL, which PostgreSQL text cannot hold, in every value the server looks up.
    const nulUser = await request(ref.server, '/token', {
      form: { grant_type: 'password', username: 'ada\u0000@example.com', password: ada.password, client_id: CLIENT_ID },
    })
    assert.is(nulUser.status, 400, 'a NUL in the email')
    assert.is(nulUser.body.error, 'invalid_grant')
    const nulRefresh = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: 'r\u0000t', client_id: CLIENT_ID } })
    assert.is(nulRefresh.status, 400, 'a NUL in the refresh token')
    assert.is(nulRefresh.body.error, 'invalid_grant')
    const nulRevoke = await request(ref.server, '/token/revocation', { form: { token: 'r\u0000t', client_id: CLIENT_ID } })
    assert.is(nulRevoke.status, 200, 'a NUL in a token to revoke')

    const stillUp = await request(ref.server, '/.well-known/openid-configuration')
    assert.is(stillUp.status, 200)
    assert.not.match(JSON.stringify(ref.server.requests), /\bat .*\.js:\d+/)
  } finally {
    await ref.stop()
  }
})

test('CORS: a configured origin may call discovery, the token and device endpoints and the omicOS routes', async () => {
  const origin = 'http://pair.example.test'
  const ref = await withReferenceServer({ corsOrigins: [origin] })
  try {
    const withOrigin = { origin }
    const discovery = await request(ref.server, '/.well-known/oauth-authorization-server', { headers: withOrigin })
    assert.ok(discovery.headers.get('access-control-allow-origin'))
    const device = await request(ref.server, '/device/auth', { form: { client_id: CLIENT_ID, scope: 'openid' }, headers: withOrigin })
    assert.is(device.status, 200)
    assert.is(device.headers.get('access-control-allow-origin'), origin)
    const login = await request(ref.server, '/token', {
      form: { grant_type: 'password', username: ada.email, password: ada.password, client_id: CLIENT_ID },
      headers: withOrigin,
    })
    assert.is(login.status, 200)
    assert.is(login.headers.get('access-control-allow-origin'), origin)
    const preflight = await request(ref.server, '/omicos/account', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    })
    assert.is(preflight.status, 204)
    assert.is(preflight.headers.get('access-control-allow-origin'), origin)
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i)
    const account = await request(ref.server, '/omicos/account', { headers: { origin, authorization: `Bearer ${login.body.access_token}` } })
    assert.is(account.headers.get('access-control-allow-origin'), origin)

    const stranger = await request(ref.server, '/device/auth', { form: { client_id: CLIENT_ID, scope: 'openid' }, headers: { origin: 'http://evil.test' } })
    assert.is(stranger.body.error, 'invalid_request')
    assert.is(stranger.headers.get('access-control-allow-origin'), null)
    const strangerAccount = await request(ref.server, '/omicos/account', {
      headers: { origin: 'http://evil.test', authorization: `Bearer ${login.body.access_token}` },
    })
    assert.is(strangerAccount.headers.get('access-control-allow-origin'), null)
  } finally {
    await ref.stop()
  }
})

test.run()
