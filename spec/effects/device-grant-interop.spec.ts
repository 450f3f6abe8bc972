// The device grant client against a STOCK node-oidc-provider: only `features.deviceFlow`
// enabled, one public client, the default in-memory adapter, none of the reference server's
// additions (no `interval`, no `slow_down`, no omicOS routes). Codes are approved and denied
// through the library's own models, the way its device confirmation page saves them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import { pollDeviceToken, requestDeviceAuthorization, type DeviceAuthorizationResponse } from '../../effects/device-grant.js'
import { timeout } from '../support/wait.js'

const CLIENT = 'stock-cli'
const SCOPE = 'openid email'

let server: Server
let provider: Provider
let issuer = ''

test.before(async () => {
  server = createServer()
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'listen')
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: { deviceFlow: { enabled: true } },
  })
  server.on('request', provider.callback())
})

test.after(async () => {
  server.closeAllConnections()
  await timeout(new Promise((resolve) => server.close(resolve)), 5_000, 'close')
})

const userCodeKey = (userCode: string) => userCode.toUpperCase().replace(/\W/g, '')

/** What the library's confirmation page does on "confirm": an account and a grant on the code. */
const approve = async (auth: DeviceAuthorizationResponse, accountId: string) => {
  const code = await provider.DeviceCode.findByUserCode(userCodeKey(auth.userCode), { ignoreExpiration: true })
  assert.ok(code, 'device code found by user code')
  const grant = new provider.Grant({ accountId, clientId: CLIENT })
  grant.addOIDCScope(SCOPE)
  const grantId = await grant.save()
  Object.assign(code!, { accountId, grantId, scope: SCOPE, authTime: Math.floor(Date.now() / 1000) })
  await code!.save()
}

/** What it does on "abort". */
const deny = async (auth: DeviceAuthorizationResponse) => {
  const code = await provider.DeviceCode.findByUserCode(userCodeKey(auth.userCode), { ignoreExpiration: true })
  Object.assign(code!, { error: 'access_denied', errorDescription: 'End-User aborted interaction' })
  await code!.save()
}

const options = () => ({ server: issuer, clientId: CLIENT })

test('discovers, requests a code (no interval sent -> 5 s), polls pending, then granted', async () => {
  const auth = await timeout(requestDeviceAuthorization({ ...options(), scope: SCOPE }), 10_000, 'device authorization')
  assert.is(auth.interval, 5)
  assert.match(auth.userCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
  assert.is(auth.verificationUri, `${issuer}/device`)
  assert.ok(auth.expiresIn > 0)
  const first = await timeout(pollDeviceToken({ ...options(), deviceCode: auth.deviceCode }), 10_000, 'poll')
  assert.is(first.kind, 'pending')
  await approve(auth, 'acct-interop')
  // Honour the interval, as a client must.
  await new Promise((resolve) => setTimeout(resolve, auth.interval * 1000))
  const second = await timeout(pollDeviceToken({ ...options(), deviceCode: auth.deviceCode }), 10_000, 'poll')
  assert.is(second.kind, 'granted')
  if (second.kind === 'granted') {
    assert.type(second.tokens.access_token, 'string')
    assert.is(second.tokens.token_type, 'Bearer')
    assert.type(second.tokens.id_token, 'string')
  }
  // A device code redeems once; the library then answers invalid_grant.
  const third = await timeout(pollDeviceToken({ ...options(), deviceCode: auth.deviceCode }), 10_000, 'poll')
  assert.is(third.kind, 'expired')
})

test('a denied code polls as denied', async () => {
  const auth = await timeout(requestDeviceAuthorization({ ...options(), scope: SCOPE }), 10_000, 'device authorization')
  await deny(auth)
  const result = await timeout(pollDeviceToken({ ...options(), deviceCode: auth.deviceCode }), 10_000, 'poll')
  assert.is(result.kind, 'denied')
})

test('explicit endpoints work without discovery', async () => {
  const metadata = { device_authorization_endpoint: `${issuer}/device/auth`, token_endpoint: `${issuer}/token` }
  const auth = await timeout(requestDeviceAuthorization({ metadata, clientId: CLIENT, scope: SCOPE }), 10_000, 'device authorization')
  const result = await timeout(pollDeviceToken({ metadata, clientId: CLIENT, deviceCode: auth.deviceCode }), 10_000, 'poll')
  assert.is(result.kind, 'pending')
})

test.run()
