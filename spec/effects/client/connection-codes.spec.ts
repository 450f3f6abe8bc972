// A browser bundle takes connection-codes.browser.ts in place of connection-codes.ts (package.json
// `browser`): it must answer what the Node module answers for every error a browser's fetch
// can give, which carries no code. The Node module's answers for Node's codes stay its own.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connectionKind as browserKind } from '../../../effects/client/connection-codes.browser.js'
import { connectionKind } from '../../../effects/client/connection-codes.js'
import { connectionFailure, errorCode } from '../../../effects/client/request-failures.js'

// What Chromium, Firefox and Safari reject a fetch with when the connection fails, and the same
// wrapped once more, as a fetch wrapper may.
const browserErrors = (): unknown[] => [
  new TypeError('Failed to fetch'),
  new TypeError('NetworkError when attempting to fetch resource.'),
  new TypeError('Load failed'),
  new TypeError('fetch failed', { cause: new Error('network error') }),
  Object.assign(new TypeError('Failed to fetch'), { code: undefined }),
]

test('for every error a browser fetch gives, the browser module answers as the Node module does', () => {
  for (const error of browserErrors()) {
    for (const sent of [false, true]) {
      assert.equal(browserKind(errorCode(error), error, sent), connectionKind(errorCode(error), error, sent), `${String(error)}, sent ${sent}`)
    }
  }
})

test('a browser fetch error is a network failure: reached the server only if sent by a request that acts', () => {
  for (const error of browserErrors()) {
    for (const sent of [false, true]) {
      for (const acts of [false, true]) {
        const failure = connectionFailure('https://auth.omicos.cn/token', error, sent, acts).failure
        assert.equal(failure, { kind: 'unreachable', reason: 'network', details: { host: 'auth.omicos.cn', code: null, status: null, mayHaveReachedServer: acts } })
      }
    }
  }
})

test("Node's codes stay the Node module's: TLS before sending, DNS, refused, and what came before the request was written", () => {
  const coded = (code: string, message = 'failed') => Object.assign(new Error(message), { code })
  const tls = coded('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number')
  assert.equal(connectionKind(errorCode(tls), tls, false), { reason: 'tls', code: 'ERR_SSL_WRONG_VERSION_NUMBER', plainHttp: true })
  assert.equal(connectionKind(errorCode(tls), tls, true), { reason: 'network', beforeSending: false })
  const dns = new TypeError('fetch failed', { cause: coded('EAI_AGAIN') })
  assert.equal(connectionKind(errorCode(dns), dns, false), { reason: 'dns', beforeSending: true })
  assert.equal(connectionKind('ECONNREFUSED', coded('ECONNREFUSED'), false), { reason: 'connectionRefused', beforeSending: true })
  assert.equal(connectionKind('ECONNRESET', coded('ECONNRESET'), false), { reason: 'network', beforeSending: false })
  assert.equal(connectionKind('CERT_HAS_EXPIRED', coded('CERT_HAS_EXPIRED'), false), { reason: 'tls', code: 'CERT_HAS_EXPIRED', plainHttp: false })
})

test.run()
