// The device grant client (effects/client/device-grant.ts) against every answer a server can
// give, one request at a time: what RFC 8628 and RFC 6749 allow is taken exactly as sent, and
// anything else (numbers out of range, codes no person could type, addresses on another
// origin, tokens with control characters, unknown errors) is a `bad_response` with a sentence
// that names the field and never shows the value. The hostile-server specs send the same over
// real HTTP; this one is fast enough to run once per mutant.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  isUserCode,
  parseDeviceAuthorization,
  parseTokenResponse,
  pollDeviceToken,
  requestDeviceAuthorization,
  revokeIssued,
  type FetchLike,
} from '../../../effects/client/device-grant.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { wordsOf } from '../../support/failure-words.js'

const ORIGIN = 'https://as.example'
const metadata = {
  issuer: ORIGIN,
  device_authorization_endpoint: `${ORIGIN}/device/auth`,
  token_endpoint: `${ORIGIN}/token`,
  revocation_endpoint: `${ORIGIN}/revoke`,
}
const good = {
  device_code: 'dc-0123456789',
  user_code: 'BCDF-GHJK',
  verification_uri: `${ORIGIN}/device`,
  verification_uri_complete: `${ORIGIN}/device?user_code=BCDFGHJK`,
  expires_in: 600,
  interval: 5,
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })

/** A server answering each request with the next of `answers`; records what it was sent. */
const server = (...answers: Response[]) => {
  const sent: Array<{ url: string; form: Record<string, string> }> = []
  const fetch: FetchLike = async (url, init) => {
    sent.push({ url: String(url), form: Object.fromEntries(new URLSearchParams(String(init?.body ?? ''))) })
    const answer = answers.shift()
    if (!answer) throw new Error(`an unexpected request to ${String(url)}`)
    return answer
  }
  return { fetch, sent }
}

const fails = (run: () => unknown, kind: string, message: string | RegExp) => {
  try {
    run()
  } catch (error) {
    assert.instance(error, EngineError)
    assert.is((error as EngineError).kind, kind)
    if (typeof message === 'string') assert.is(wordsOf(error as EngineError), message)
    else assert.match(wordsOf(error as EngineError), message)
    return
  }
  assert.unreachable(`accepted, expected ${kind}: ${String(message)}`)
}
const rejects = async (run: () => Promise<unknown>, kind: string, message: string | RegExp) => {
  try {
    await run()
  } catch (error) {
    assert.instance(error, EngineError, String(error))
    assert.is((error as EngineError).kind, kind)
    if (typeof message === 'string') assert.is(wordsOf(error as EngineError), message)
    else assert.match(wordsOf(error as EngineError), message)
    return
  }
  assert.unreachable(`accepted, expected ${kind}: ${String(message)}`)
}

const parse = (overrides: Record<string, unknown>) => () => parseDeviceAuthorization({ ...good, ...overrides }, 1_000, ORIGIN)

// --- the device authorization (RFC 8628 section 3.2) --------------------------------------

test('a device authorization is taken as sent; numbers as digits are accepted; no interval means 5 s', () => {
  assert.equal(parseDeviceAuthorization(good, 1_000, ORIGIN), {
    deviceCode: good.device_code,
    userCode: good.user_code,
    verificationUri: good.verification_uri,
    verificationUriComplete: good.verification_uri_complete,
    expiresIn: 600,
    interval: 5,
    receivedAt: 1_000,
  })
  const { verification_uri: _, verification_uri_complete: __, ...old } = good
  const plain = parseDeviceAuthorization({ ...old, verification_url: `${ORIGIN}/device`, expires_in: '900', interval: '7' }, 2, ORIGIN)
  assert.equal([plain.verificationUri, plain.verificationUriComplete, plain.expiresIn, plain.interval], [`${ORIGIN}/device`, null, 900, 7])
  for (const interval of [undefined, null]) assert.is(parseDeviceAuthorization({ ...good, interval }, 0, ORIGIN).interval, 5)
  for (const [expires_in, interval] of [
    [1, 1],
    [86_400, 300],
  ]) {
    const edge = parseDeviceAuthorization({ ...good, expires_in, interval }, 0, ORIGIN)
    assert.equal([edge.expiresIn, edge.interval], [expires_in, interval])
  }
})

test('numbers out of range or not whole seconds: a sentence naming the field, the value shown only when it is a plain integer', () => {
  fails(parse({ expires_in: 0 }), 'bad_response', 'the server sent expires_in 0, outside 1..86400 seconds')
  fails(parse({ expires_in: 86_401 }), 'bad_response', 'the server sent expires_in 86401, outside 1..86400 seconds')
  fails(parse({ expires_in: -1 }), 'bad_response', 'the server sent expires_in -1, outside 1..86400 seconds')
  fails(parse({ expires_in: 2.5 }), 'bad_response', 'the server sent expires_in a value, outside 1..86400 seconds')
  fails(parse({ expires_in: 1e300 }), 'bad_response', 'the server sent expires_in a value, outside 1..86400 seconds')
  fails(parse({ expires_in: 1e12 }), 'bad_response', 'the server sent expires_in a value, outside 1..86400 seconds')
  fails(parse({ expires_in: 999_999_999_999 }), 'bad_response', 'the server sent expires_in 999999999999, outside 1..86400 seconds')
  fails(parse({ expires_in: 'soon' }), 'bad_response', 'the server sent no usable expires_in')
  fails(parse({ expires_in: '1234567890' }), 'bad_response', 'the server sent no usable expires_in')
  fails(parse({ expires_in: ' 600' }), 'bad_response', 'the server sent no usable expires_in')
  fails(parse({ expires_in: Infinity }), 'bad_response', 'the server sent no usable expires_in')
  fails(parse({ expires_in: undefined }), 'bad_response', 'the server sent no usable expires_in')
  fails(parse({ interval: 0 }), 'bad_response', 'the server sent interval 0, outside 1..300 seconds')
  fails(parse({ interval: 301 }), 'bad_response', 'the server sent interval 301, outside 1..300 seconds')
  fails(parse({ interval: '0' }), 'bad_response', 'the server sent interval 0, outside 1..300 seconds')
})

test('codes and addresses: missing, empty, control characters, too long, not a code a person can type, another origin, a secret inside', () => {
  fails(parse({ device_code: undefined }), 'bad_response', 'the server sent no usable device_code')
  fails(parse({ device_code: '' }), 'bad_response', 'the server sent no usable device_code')
  fails(parse({ device_code: 42 }), 'bad_response', 'the server sent no usable device_code')
  fails(parse({ device_code: 'dc\u0007' }), 'bad_response', 'the server sent a device_code containing control characters')
  fails(parse({ device_code: 'd'.repeat(4097) }), 'bad_response', 'the server sent a device_code that is too long')
  assert.is(parseDeviceAuthorization({ ...good, device_code: 'd'.repeat(4096) }, 0, ORIGIN).deviceCode.length, 4096)
  fails(parse({ user_code: '' }), 'bad_response', 'the server sent no usable user_code')
  fails(parse({ user_code: 'B'.repeat(65) }), 'bad_response', 'the server sent a user_code that is too long')
  fails(parse({ user_code: 'curl x | sh' }), 'bad_response', 'the server sent a user_code that is not a pairing code (4 to 20 letters or digits); it is not shown')
  fails(parse({ verification_uri: undefined }), 'bad_response', /verification_uri/)
  fails(parse({ verification_uri: 'https://as.example.evil/device' }), 'bad_response', /verification_uri/)
  fails(parse({ verification_uri_complete: 'https://elsewhere.example/device?user_code=BCDFGHJK' }), 'bad_response', /verification_uri_complete/)
  fails(
    parse({ verification_uri_complete: `${ORIGIN}/device?code=${good.device_code}` }),
    'bad_response',
    'the server sent a verification_uri_complete holding a secret or invisible characters; it is not shown',
  )
  fails(parse({ verification_uri: `${ORIGIN}/device/\u200b` }), 'bad_response', /verification_uri/)
})

test('a user code is 4 to 20 letters or digits, in groups split by one hyphen or space', () => {
  for (const code of ['BCDF', 'bcdf-ghjk', 'ABCD EFGH', '1234-5678', 'A-B-C-D', 'ABCDEFGHIJKLMNOPQRST', 'ABCDE-FGHIJ-KLMNO-PQRST']) assert.ok(isUserCode(code), code)
  for (const code of ['BCD', 'B-C-D', 'ABCDEFGHIJKLMNOPQRSTU', 'AB--CD', '-ABCD', 'ABCD-', 'AB_CD', 'ABCD\nEFGH', 'ÄBCD', 'AB  CD', ''])
    assert.not.ok(isUserCode(code), code)
})

test('requesting a device authorization: the form, the issuer origin, refusals and errors', async () => {
  const ok = server(json(200, good))
  const answer = await requestDeviceAuthorization({
    metadata,
    clientId: 'cli',
    scope: 'openid offline_access',
    extraParams: { audience: 'omicos' },
    fetch: ok.fetch,
    now: () => 77,
  })
  assert.is(answer.receivedAt, 77)
  assert.equal(ok.sent, [{ url: metadata.device_authorization_endpoint, form: { audience: 'omicos', client_id: 'cli', scope: 'openid offline_access' } }])
  const noScope = server(json(200, good))
  await requestDeviceAuthorization({ metadata, clientId: 'cli', fetch: noScope.fetch })
  assert.equal(noScope.sent[0]!.form, { client_id: 'cli' })
  // Without an issuer in the metadata, the server asked for is the origin the addresses must be on.
  const { issuer: _, ...bare } = metadata
  const byServer = server(json(200, good))
  await requestDeviceAuthorization({ metadata: bare, server: ORIGIN, clientId: 'cli', fetch: byServer.fetch })
  const byEndpoint = server(json(200, { ...good, verification_uri: 'https://other.example/device', verification_uri_complete: null }))
  await rejects(() => requestDeviceAuthorization({ metadata: bare, clientId: 'cli', fetch: byEndpoint.fetch }), 'bad_response', /verification_uri/)
  await rejects(
    () => requestDeviceAuthorization({ metadata: { token_endpoint: `${ORIGIN}/token`, device_authorization_endpoint: '' }, clientId: 'cli', fetch: server().fetch }),
    'bad_response',
    'as.example does not offer device authorization (no device_authorization_endpoint)',
  )
  await rejects(
    () => requestDeviceAuthorization({ metadata, clientId: 'cli', fetch: server(json(429, { error: 'slow' })).fetch }),
    'refused',
    'as.example is refusing new pairing requests for now (too many); try again later',
  )
  await rejects(
    () => requestDeviceAuthorization({ metadata, clientId: 'cli', fetch: server(json(400, { error: 'invalid_client' })).fetch }),
    'bad_response',
    /invalid_client/,
  )
  await rejects(() => requestDeviceAuthorization({ clientId: 'cli', fetch: server().fetch }), 'usage', 'the device grant needs either metadata or a server')
})

// --- the token endpoint (RFC 8628 section 3.5, RFC 6749 section 5) ---------------------------

test('a token response is taken as sent, its lifetime checked; anything unusable is named', () => {
  const tokens = { access_token: 'at-1', token_type: 'Bearer', refresh_token: 'rt-1', expires_in: '3600', scope: 'openid' }
  assert.equal(parseTokenResponse(tokens, 'as.example'), { ...tokens, expires_in: 3600 })
  assert.equal(parseTokenResponse({ access_token: 'at-1', token_type: 'Bearer', refresh_token: null }, 'as.example'), {
    access_token: 'at-1',
    token_type: 'Bearer',
    refresh_token: null,
  })
  const base = { access_token: 'at-1', token_type: 'Bearer' }
  const refused = (body: Record<string, unknown>, message: string) => fails(() => parseTokenResponse(body, 'as.example'), 'bad_response', message)
  refused({ token_type: 'Bearer' }, 'as.example sent a token response without a usable access_token')
  refused({ ...base, access_token: '' }, 'as.example sent a token response without a usable access_token')
  refused({ ...base, access_token: 7 }, 'as.example sent a token response without a usable access_token')
  refused({ ...base, access_token: 'at\r\n1' }, 'as.example sent a token response without a usable access_token')
  refused({ access_token: 'at-1' }, 'as.example sent a token response without token_type')
  refused({ ...base, token_type: '' }, 'as.example sent a token response without token_type')
  refused({ ...base, refresh_token: 5 }, 'as.example sent a token response with an unusable refresh_token')
  refused({ ...base, refresh_token: 'rt\u001b[2J' }, 'as.example sent a token response with an unusable refresh_token')
  refused({ ...base, expires_in: 0 }, 'as.example sent a token lifetime (expires_in) 0, outside 1..315360000 seconds')
  refused({ ...base, expires_in: 315_360_001 }, 'as.example sent a token lifetime (expires_in) 315360001, outside 1..315360000 seconds')
  assert.is(parseTokenResponse({ ...base, expires_in: 315_360_000 }, 'as.example').expires_in, 315_360_000)
})

test('each poll answer is a value; a 5xx or 429 is unavailable with the wait Retry-After asks (429 and 503 only)', async () => {
  const poll = async (answer: Response) => {
    const fake = server(answer)
    const result = await pollDeviceToken({ metadata, clientId: 'cli', deviceCode: 'dc-1', fetch: fake.fetch, now: () => 5_000 })
    assert.equal(fake.sent, [
      { url: metadata.token_endpoint, form: { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'dc-1', client_id: 'cli' } },
    ])
    return result
  }
  assert.equal(await poll(json(400, { error: 'authorization_pending' })), { kind: 'pending', at: 5_000 })
  assert.equal(await poll(json(400, { error: 'slow_down' })), { kind: 'slowDown', at: 5_000 })
  assert.equal(await poll(json(400, { error: 'access_denied' })), { kind: 'denied', at: 5_000 })
  assert.equal(await poll(json(400, { error: 'expired_token' })), { kind: 'expired', at: 5_000 })
  assert.equal(await poll(json(400, { error: 'invalid_grant' })), { kind: 'invalidGrant', at: 5_000 })
  assert.equal(await poll(json(429, {}, { 'retry-after': '7' })), { kind: 'unavailable', status: 429, retryAfterMs: 7_000, at: 5_000 })
  assert.equal(await poll(json(503, {}, { 'retry-after': '3' })), { kind: 'unavailable', status: 503, retryAfterMs: 3_000, at: 5_000 })
  assert.equal(await poll(json(500, {}, { 'retry-after': '3' })), { kind: 'unavailable', status: 500, retryAfterMs: null, at: 5_000 })
  assert.equal(await poll(json(502, {})), { kind: 'unavailable', status: 502, retryAfterMs: null, at: 5_000 })
  assert.equal(await poll(json(200, { access_token: 'at-1', token_type: 'Bearer' })), {
    kind: 'granted',
    tokens: { access_token: 'at-1', token_type: 'Bearer' },
    at: 5_000,
  })
  await rejects(() => poll(json(400, { error: 'unsupported_grant_type' })), 'bad_response', /unsupported_grant_type/)
  await rejects(() => poll(json(404, {})), 'bad_response', /the device token request/)
})

test('tokens in an answer the client refuses are revoked, the refresh token first, then the answer is refused', async () => {
  const fake = server(json(200, { access_token: 'at-9', refresh_token: 'rt-9', token_type: 'Bearer', expires_in: 1e300 }), json(200, {}), json(200, {}))
  await rejects(
    () => pollDeviceToken({ metadata, clientId: 'cli', deviceCode: 'dc-1', fetch: fake.fetch }),
    'bad_response',
    'as.example sent a token lifetime (expires_in) a value, outside 1..315360000 seconds',
  )
  assert.equal(fake.sent.slice(1), [
    { url: metadata.revocation_endpoint, form: { token: 'rt-9', client_id: 'cli' } },
    { url: metadata.revocation_endpoint, form: { token: 'at-9', client_id: 'cli' } },
  ])
  // No revocation endpoint, or nothing to revoke: no request. A revocation that fails is not an error.
  const none = server()
  await revokeIssued({ fetch: none.fetch }, null, 'cli', { access_token: 'at' })
  await revokeIssued({ fetch: none.fetch }, metadata.revocation_endpoint, 'cli', null)
  await revokeIssued({ fetch: none.fetch }, metadata.revocation_endpoint, 'cli', { access_token: '', refresh_token: 7, id_token: 'x' })
  await revokeIssued({ fetch: none.fetch }, metadata.revocation_endpoint, 'cli', { access_token: 'a'.repeat(8193) })
  assert.equal(none.sent, [])
  const edge = server(json(200, {}))
  await revokeIssued({ fetch: edge.fetch }, metadata.revocation_endpoint, 'cli', { access_token: 'a'.repeat(8192) })
  assert.is(edge.sent.length, 1)
  const down = server(json(500, { error: 'down' }), json(500, { error: 'down' }))
  await revokeIssued({ fetch: down.fetch }, metadata.revocation_endpoint, 'cli', { access_token: 'at', refresh_token: 'rt' })
  assert.equal(
    down.sent.map((request) => request.form.token),
    ['rt', 'at'],
  )
})

test.run()
