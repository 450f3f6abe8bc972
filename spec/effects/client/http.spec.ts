import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer as createHttpsServer } from 'node:https'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { discover } from '../../../effects/client/discovery.js'
import { pollDeviceToken, requestDeviceAuthorization } from '../../../effects/client/device-grant.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { requestJson } from '../../../effects/client/http.js'
import { parseRetryAfter, retryAfterMs } from '../../../effects/client/retry-after.js'
import { nodeFetch } from '../../../effects/node/node-fetch.js'
import { passwordGrant } from '../../../effects/client/password-grant.js'
import { cloudBase, DEFAULT_SERVER, namesScheme, parseServerUrl, withScheme } from '../../../effects/client/server-url.js'
import { sendJson, startHttp, type Handler } from '../../support/effects.js'
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../../support/hostile-server.js'
import { timeout } from '../../support/wait.js'
import { wordsOf } from '../../support/failure-words.js'

const rejectsWith = async (promise: Promise<unknown>, kind: string, pattern?: RegExp) => {
  try {
    await timeout(promise, 15_000, 'request')
  } catch (error) {
    if (!(error instanceof EngineError)) throw error
    assert.is(error.kind, kind, wordsOf(error))
    if (pattern) assert.match(wordsOf(error), pattern)
    assert.not.match(wordsOf(error), /[\u0000-\u001f]/)
    return error
  }
  assert.unreachable('expected a rejection')
}

/** A server with RFC 8414 metadata pointing at itself, the rest answered by `routes`. */
const withServer = async (routes: Record<string, Handler>, fn: (url: string) => Promise<void>, metadata: (url: string) => object = () => ({})) => {
  let base = ''
  const server = await startHttp((req, res, body) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/.well-known/oauth-authorization-server' && !routes[path]) {
      return sendJson(res, 200, {
        issuer: base,
        token_endpoint: `${base}/token`,
        device_authorization_endpoint: `${base}/device/auth`,
        ...metadata(base),
      })
    }
    const route = routes[path]
    if (route) return route(req, res, body)
    sendJson(res, 404, { error: 'not_found' })
  })
  base = server.url
  try {
    await fn(base)
  } finally {
    await server.close()
  }
}

const deviceAnswer = (base: string, extra: object = {}) => ({
  device_code: 'dc-1',
  user_code: 'BCDF-GHJK',
  verification_uri: `${base}/device`,
  expires_in: 600,
  ...extra,
})

test('server URLs: https anywhere, http only on loopback, normalized', () => {
  assert.is(parseServerUrl('https://auth.omicos.cn/'), 'https://auth.omicos.cn')
  assert.is(parseServerUrl('HTTPS://Auth.Omicos.CN:8443/base/'), 'https://auth.omicos.cn:8443/base')
  for (const ok of ['http://127.0.0.1:4000', 'http://localhost:4000/', 'http://[::1]:4000']) parseServerUrl(ok)
  for (const bad of [
    'http://auth.omicos.cn',
    'ftp://x',
    'https://u:p@x.cn',
    'u:p@x.cn',
    'auth omicos',
    'https://x.cn/?a=1',
    'http://127.0.0.2',
    'https://x\u001b[31m.cn',
  ]) {
    assert.throws(
      () => parseServerUrl(bad),
      (e: EngineError) => e.kind === 'usage' && !/\u001b/.test(wordsOf(e)),
      bad,
    )
  }
  assert.is(cloudBase(DEFAULT_SERVER), 'auth.omicos.cn')
})

test('server addresses as people type them: a bare host is https, a loopback HOST:PORT http', () => {
  assert.is(parseServerUrl('auth.omicos.cn'), 'https://auth.omicos.cn')
  assert.is(parseServerUrl(' Auth.Omicos.CN:8443/ '), 'https://auth.omicos.cn:8443')
  assert.is(parseServerUrl('127.0.0.1:4000'), 'http://127.0.0.1:4000')
  assert.is(parseServerUrl('localhost:4000'), 'http://localhost:4000')
  assert.is(parseServerUrl('[::1]:4000'), 'http://[::1]:4000')
  assert.is(parseServerUrl('https://localhost:4000'), 'https://localhost:4000', 'a scheme given is kept')
  assert.is(withScheme('auth.omicos.cn'), 'https://auth.omicos.cn')
  assert.ok(namesScheme('http://x') && !namesScheme('localhost:4000'))
  // A user name or password is refused without being repeated, under the name it came by.
  for (const [value, option] of [
    ['https://ada:s3cret@auth.omicos.cn', '--server'],
    ['ada:s3cret@auth.omicos.cn', 'OMICOS_SERVER'],
  ] as const) {
    assert.throws(
      () => parseServerUrl(value, option),
      (e: EngineError) => e.kind === 'usage' && wordsOf(e).startsWith(`${option}: `) && !/s3cret|ada/.test(JSON.stringify([wordsOf(e), e.details])),
    )
  }
  assert.is(cloudBase('http://127.0.0.1:4000'), '127.0.0.1:4000')
})

test('Retry-After: seconds or an HTTP date, null when unreadable, bad_response beyond a day', () => {
  assert.is(retryAfterMs('7', 0), 7_000)
  assert.is(retryAfterMs(new Date(60_000).toUTCString(), 0), 60_000)
  assert.is(retryAfterMs(null, 0, 1234), 1234)
  assert.is(retryAfterMs('soon', 0, 99), 99)
  assert.is(parseRetryAfter(null, 0), null)
  assert.is(parseRetryAfter('-5', 0), null)
  assert.is(parseRetryAfter('1e3', 0), null)
  assert.is(parseRetryAfter(new Date(0).toUTCString(), 60_000), 0, 'a date in the past: no wait')
  assert.is(parseRetryAfter('86400', 0), 86_400_000)
  for (const huge of ['86401', '1'.repeat(15), new Date(Date.UTC(2100, 0)).toUTCString()]) {
    assert.throws(
      () => parseRetryAfter(huge, 0, 'auth.example'),
      (e: EngineError) => e.kind === 'bad_response' && /more than a day/.test(wordsOf(e)),
      huge,
    )
  }
})

test('the default server https://auth.omicos.cn fails fast as unreachable', async () => {
  const started = Date.now()
  const error = await rejectsWith(discover({}, DEFAULT_SERVER), 'unreachable', /^cannot reach auth\.omicos\.cn: /)
  const ms = Date.now() - started
  console.log(`    (https://auth.omicos.cn failed in ${ms} ms: ${wordsOf(error!)})`)
  assert.ok(ms < 10_000, `took ${ms} ms`)
})

test('a closed port is unreachable, with the host in the message', async () => {
  const probe = createServer()
  await timeout(new Promise<void>((r) => probe.listen(0, '127.0.0.1', r)), 5_000, 'listen')
  const { port } = probe.address() as AddressInfo
  await timeout(new Promise((r) => probe.close(r)), 5_000, 'close')
  await rejectsWith(
    discover({}, `http://127.0.0.1:${port}`),
    'unreachable',
    new RegExp(`^cannot reach 127\\.0\\.0\\.1:${port}: connection refused: check that the server runs at that address and port$`),
  )
})

test('a server that never answers times out as unreachable', async () => {
  await withServer({ '/slow': () => {} }, async (url) => {
    const started = Date.now()
    await rejectsWith(requestJson({ timeoutMs: 300 }, `${url}/slow`), 'unreachable', /timed out after 0\.3 s/)
    assert.ok(Date.now() - started < 3_000)
  })
})

test("a request cut short by the command's deadline: said as the time allowed, not as seconds of what was left", async () => {
  await withServer({ '/slow': () => {} }, async (url) => {
    const error = await rejectsWith(
      requestJson({ timeoutMs: 5_000, deadline: Date.now() + 300 }, `${url}/slow`),
      'unreachable',
      /timed out \(no answer in the time allowed\)/,
    )
    assert.is(error?.reason, 'timeout')
    assert.is((error?.details as { deadline?: boolean } | undefined)?.deadline, true)
    assert.not.match(wordsOf(error!), /after \d/)
  })
})

test('a server that accepts but never completes the TLS handshake hits the connect timeout', async () => {
  const sockets = new Set<import('node:net').Socket>()
  const silent = createServer((socket) => void sockets.add(socket))
  await timeout(new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)), 5_000, 'listen')
  const { port } = silent.address() as AddressInfo
  try {
    const started = Date.now()
    await rejectsWith(
      requestJson({ fetch: nodeFetch(300), timeoutMs: 5_000 }, `https://127.0.0.1:${port}/x`),
      'unreachable',
      /: connection timed out: check the network, then try again$/,
    )
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`)
  } finally {
    for (const socket of sockets) socket.destroy()
    await timeout(new Promise((r) => silent.close(r)), 5_000, 'close')
  }
})

test('an aborted signal cancels a request', async () => {
  await withServer({ '/slow': () => {} }, async (url) => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await rejectsWith(requestJson({ timeoutMs: 5_000 }, `${url}/slow`, {}, controller.signal), 'cancelled')
  })
})

test('malformed JSON and non-object answers are bad_response', async () => {
  await withServer(
    {
      '/.well-known/oauth-authorization-server': (_q, res) => sendJson(res, 200, '{"issuer": '),
      '/array': (_q, res) => sendJson(res, 200, '[1,2]'),
    },
    async (url) => {
      await rejectsWith(discover({}, url), 'bad_response', /not a JSON object/)
      await rejectsWith(requestJson({}, `${url}/array`), 'bad_response', /not an object/)
    },
  )
})

test('discovery falls back to openid-configuration and rejects unsafe endpoints', async () => {
  let base = ''
  await withServer(
    {
      '/.well-known/oauth-authorization-server': (_q, res) => {
        res.writeHead(404, { 'content-type': 'text/html' })
        res.end('<h1>no</h1>')
      },
      '/.well-known/openid-configuration': (_q, res) => sendJson(res, 200, { issuer: base, token_endpoint: `${base}/token` }),
    },
    async (url) => {
      base = url
      const metadata = await discover({}, url)
      assert.is(metadata.token_endpoint, `${url}/token`)
      assert.is(metadata.device_authorization_endpoint, null)
    },
  )
  for (const [endpoint, why] of [
    ['http://evil.example/token', /plain http is only allowed/],
    ['javascript:alert(1)', /scheme must be https/],
    ['https://x.example/\u001b]8;;', /control characters/],
  ] as const) {
    await withServer(
      {},
      async (url) => {
        await rejectsWith(discover({}, url), 'bad_response', why)
      },
      () => ({ token_endpoint: endpoint }),
    )
  }
})

test('device authorization: escape sequences, unsafe addresses and absurd numbers are bad_response', async () => {
  const cases: Array<[object, RegExp]> = [
    [{ user_code: 'ABCD\u001b[2J-WXYZ' }, /user_code containing control characters/],
    [{ user_code: 'AB\u202eCD' }, /user_code containing control characters/],
    [{ verification_uri: 'http://phish.example/device' }, /unsafe verification_uri/],
    [{ verification_uri_complete: 'https://x.example/\u0007' }, /unsafe verification_uri_complete/],
    [{ interval: 0 }, /interval 0, outside 1\.\.300/],
    [{ interval: 100000 }, /interval 100000/],
    [{ expires_in: 999999 }, /expires_in 999999/],
    [{ expires_in: 'soon' }, /no usable expires_in/],
    [{ device_code: undefined }, /no usable device_code/],
  ]
  for (const [extra, why] of cases) {
    await withServer({ '/device/auth': (q, res) => sendJson(res, 200, deviceAnswer(`http://${q.headers.host}`, extra)) }, async (url) => {
      const error = await rejectsWith(requestDeviceAuthorization({ server: url, clientId: 'c' }), 'bad_response', why)
      assert.not.match(wordsOf(error!), /\u001b|\u202e|\u0007/)
    })
  }
})

test('device authorization: absent interval means 5 s; the form carries client, scope and extras', async () => {
  let form = new URLSearchParams()
  await withServer(
    {
      '/device/auth': (q, res, body) => {
        form = new URLSearchParams(body)
        const base = `http://${q.headers.host}`
        sendJson(res, 200, deviceAnswer(base, { verification_uri_complete: `${base}/device?user_code=BCDF-GHJK` }))
      },
    },
    async (url) => {
      const auth = await requestDeviceAuthorization({ server: url, clientId: 'omicos-cli', scope: 'openid', extraParams: { hostname: 'h' }, now: () => 42 })
      assert.equal(auth, {
        deviceCode: 'dc-1',
        userCode: 'BCDF-GHJK',
        verificationUri: `${url}/device`,
        verificationUriComplete: `${url}/device?user_code=BCDF-GHJK`,
        expiresIn: 600,
        interval: 5,
        receivedAt: 42,
      })
      assert.is(form.get('client_id'), 'omicos-cli')
      assert.is(form.get('scope'), 'openid')
      assert.is(form.get('hostname'), 'h')
    },
  )
})

test('device token polling maps the RFC 8628 errors to values', async () => {
  const answers: Array<[number, object]> = [
    [400, { error: 'authorization_pending' }],
    [400, { error: 'slow_down' }],
    [429, { error: 'too_many' }],
    [400, { error: 'access_denied' }],
    [400, { error: 'expired_token' }],
    [200, { access_token: 'at', token_type: 'Bearer', expires_in: 60 }],
    [400, { error: 'invalid_client' }],
    [200, { token_type: 'Bearer' }],
  ]
  let i = 0
  await withServer({ '/token': (_q, res) => sendJson(res, answers[i][0], answers[i++][1]) }, async (url) => {
    const poll = () => pollDeviceToken({ server: url, clientId: 'c', deviceCode: 'dc', now: () => 7 })
    assert.equal(await poll(), { kind: 'pending', at: 7 })
    assert.equal(await poll(), { kind: 'slowDown', at: 7 })
    assert.equal(await poll(), { kind: 'unavailable', status: 429, retryAfterMs: null, at: 7 })
    assert.equal(await poll(), { kind: 'denied', at: 7 })
    assert.equal(await poll(), { kind: 'expired', at: 7 })
    assert.equal(await poll(), { kind: 'granted', tokens: { access_token: 'at', token_type: 'Bearer', expires_in: 60 }, at: 7 })
    await rejectsWith(poll(), 'bad_response', /invalid_client/)
    await rejectsWith(poll(), 'bad_response', /without a usable access_token/)
  })
})

test('password grant: invalid_grant is invalid, 429 is rateLimited with Retry-After', async () => {
  const answers: Array<[number, object, Record<string, string>]> = [
    [400, { error: 'invalid_grant', error_description: 'wrong email or password' }, {}],
    [429, { error: 'invalid_request' }, { 'retry-after': '12' }],
    [400, { error: 'unsupported_grant_type' }, {}],
  ]
  let i = 0
  let sent = new URLSearchParams()
  await withServer(
    {
      '/token': (_q, res, body) => {
        sent = new URLSearchParams(body)
        const [status, json, headers] = answers[i++]
        sendJson(res, status, json, headers)
      },
    },
    async (url) => {
      const grant = () => passwordGrant({}, { server: url, clientId: 'omicos-cli', scope: 's', email: 'a@b.c', password: 'pw' })
      assert.equal(await grant(), { kind: 'invalid', serverText: 'wrong email or password' })
      assert.is(sent.get('grant_type'), 'password')
      assert.is(sent.get('username'), 'a@b.c')
      const limited = await grant()
      assert.is(limited.kind, 'rateLimited')
      assert.is((limited as { retryAfterMs: number }).retryAfterMs, 12_000)
      const error = await rejectsWith(grant(), 'bad_response', /does not offer email\/password login/)
      assert.not.match(wordsOf(error!), /pw/)
    },
  )
})

test('a gateway error is unreachable unless the caller takes 5xx; no request is redirected, GET included', async () => {
  await withServer(
    {
      '/busy': (_q, res) => sendJson(res, 503, '<html>'),
      '/moved': (_q, res) => {
        res.writeHead(307, { location: 'http://127.0.0.1:1/' })
        res.end()
      },
    },
    async (url) => {
      await rejectsWith(requestJson({}, `${url}/busy`), 'unreachable', /answered 503/)
      const busy = await requestJson({}, `${url}/busy`, { serverErrors: true })
      assert.is(busy.status, 503)
      assert.is(busy.body, null, 'an error page that is not a JSON object is no body')
      for (const fetch of [undefined, nodeFetch()]) {
        await rejectsWith(requestJson({ fetch }, `${url}/moved`, { form: { a: 'b' } }), 'bad_response', /redirect \(HTTP 307\)/)
        await rejectsWith(requestJson({ fetch }, `${url}/moved`, { headers: { authorization: 'Bearer t' } }), 'bad_response', /redirect \(HTTP 307\)/)
      }
    },
  )
})

test('a TLS failure is unreachable with reason tls, naming the host, the cause and the CA options', async () => {
  const server = createHttpsServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_req, res) => sendJson(res, 200, {}))
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'starting the https server')
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    for (const fetch of [undefined, nodeFetch()]) {
      const error = await rejectsWith(requestJson({ fetch }, `${url}/x`), 'unreachable', /self-signed certificate/)
      assert.is(error!.reason, 'tls')
      assert.ok(wordsOf(error!).startsWith(`cannot reach ${url.slice(8)}: TLS error`), wordsOf(error!))
      assert.match(wordsOf(error!), /OMICOS_CA_BUNDLE, SSL_CERT_FILE or NODE_EXTRA_CA_CERTS/)
    }
  } finally {
    server.closeAllConnections()
    await timeout(new Promise<void>((resolve) => server.close(() => resolve())), 5_000, 'stopping the https server')
  }
})

test.run()
