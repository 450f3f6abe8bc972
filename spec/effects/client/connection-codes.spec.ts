// A browser bundle takes connection-codes.browser.ts in place of connection-codes.ts (package.json
// `browser`): it must answer what the Node module answers for every error a browser's fetch
// can give, which carries no code, whether the request was written, can act or ran out of time.
// The Node module's answers for Node's codes stay its own.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { exchangeFailure as browserFailure } from '../../../effects/client/connection-codes.browser.js'
import { connectionKind, exchangeFailure } from '../../../effects/client/connection-codes.js'
import { errorCode } from '../../../effects/client/request-failures.js'

// What Chromium, Firefox and Safari reject a fetch with when the connection fails, and the same
// wrapped once more, as a fetch wrapper may.
const browserErrors = (): unknown[] => [
  new TypeError('Failed to fetch'),
  new TypeError('NetworkError when attempting to fetch resource.'),
  new TypeError('Load failed'),
  new TypeError('fetch failed', { cause: new Error('network error') }),
  Object.assign(new TypeError('Failed to fetch'), { code: undefined }),
]

const exchanges = () =>
  [false, true].flatMap((sent) =>
    [false, true].flatMap((acts) =>
      [false, true].flatMap((expired) =>
        [false, true].map((byDeadline) => ({ url: 'https://auth.omicos.cn/token', sent, acts, expired, timeoutMs: 5_000, byDeadline })),
      ),
    ),
  )

test('for every error a browser fetch gives, the browser module answers as the Node module does', () => {
  for (const error of browserErrors()) {
    for (const exchange of exchanges()) {
      assert.equal(browserFailure(error, exchange).failure, exchangeFailure(error, exchange).failure, `${String(error)}, ${JSON.stringify(exchange)}`)
    }
  }
})

test('a browser fetch error is a network failure, or a time-out when the time limit ended it: reached the server only if the request acts', () => {
  for (const error of browserErrors()) {
    for (const exchange of exchanges()) {
      const { failure } = browserFailure(error, exchange)
      const { sent, acts, byDeadline } = exchange
      if (exchange.expired) {
        const details = { host: 'auth.omicos.cn', afterMs: 5_000, reading: sent, deadline: byDeadline, mayHaveReachedServer: acts }
        assert.equal(failure, { kind: 'unreachable', reason: 'timeout', details })
      } else
        assert.equal(failure, { kind: 'unreachable', reason: 'network', details: { host: 'auth.omicos.cn', code: null, status: null, mayHaveReachedServer: acts } })
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

test("llhttp's and the stream's codes stay the Node module's: a malformed answer, an answer cut short once sent", () => {
  const exchange = { url: 'https://auth.omicos.cn/token', sent: true, acts: true, expired: true, timeoutMs: 5_000, byDeadline: false }
  const parse = Object.assign(new Error('Parse Error'), { code: 'HPE_INVALID_CHUNK_SIZE' })
  assert.equal(exchangeFailure(parse, exchange).failure.reason, 'malformedHttp')
  const cut = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })
  assert.equal(exchangeFailure(cut, exchange).failure, {
    kind: 'bad_response',
    reason: 'answerCutShort',
    details: { host: 'auth.omicos.cn', mayHaveReachedServer: true },
  })
  assert.equal(exchangeFailure(cut, { ...exchange, sent: false }).failure.reason, 'timeout')
})

test.run()
