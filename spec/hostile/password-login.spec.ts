// `omicos login` (email and password) against a hostile server: the reference server behind a
// listener that misbehaves on one route per test (spec/support/hostile-server.ts). Each test
// first logs in through it cleanly, then runs `login --force` against the misbehaviour and
// checks: the exit code, one clean line, no secret anywhere, the earlier file byte-identical.
//
// The test marked "(machine)" depends on the login machine revoking issued tokens when a
// login fails after the grant.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { assertOneLineError, bytesOf } from '../support/cli-login.js'
import { assertOnlyMarked } from '../support/live-tokens.js'
import { peakRssProbe, sendEndless, sendGzipBomb, sendHuge, sendJson, startCountingServer, type HostileServer } from '../support/hostile-server.js'
import { hostileLoginSpec } from '../support/hostile-login.js'

const PEAK_RSS_LIMIT_KIB = 150 * 1024

const { sandbox, leaks, hostile, login, loggedIn, assertNoSecretIn } = hostileLoginSpec(test)

test('a wrong-password answer that echoes the password: exit 4, the password shown as [redacted]', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('POST /token', ({ req, res }) => {
    const form = new URLSearchParams(req.body)
    if (form.get('grant_type') !== 'password') return false
    sendJson(res, 400, {
      error: 'invalid_grant',
      error_description: `wrong password "${form.get('password')}" for ${form.get('username')} (sent as ${encodeURIComponent(form.get('password')!)})`,
    })
  })
  const result = await login(box, ['--force'])
  assertOneLineError(result, 4, /wrong password "\[redacted\]" for ada@example\.com \(sent as \[redacted\]\)/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('a wrong-password answer with escape sequences, bidi overrides and a novel: one clean line of at most 160 characters from it', async () => {
  const box = sandbox()
  hostile.on('POST /token', ({ res }) =>
    sendJson(res, 400, {
      error: 'invalid_grant',
      error_description: `\u001b[2J\u001b]8;;https://evil.example\u0007wrong\u202e drowssap\u2066\r\nsecond line ${'x'.repeat(5000)}`,
    }),
  )
  const result = await login(box)
  assertOneLineError(result, 4, /^error: \[2J\]8;;https:\/\/evil\.examplewrong drowssap second line x+\.\.\./)
  assert.not.match(result.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/)
  assert.ok(result.stderr.length < 200, `${result.stderr.length} characters`)
})

test('a registration error that repeats the Authorization header: exit 6, the user token shown as [redacted]', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('POST /omicos/processes', ({ req, res }) =>
    sendJson(res, 400, { error: 'invalid_request', error_description: `cannot register with authorization: ${req.headers.authorization}` }),
  )
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /refused to register the process: invalid_request: cannot register with authorization: Bearer \[redacted\]/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('a 307 from the account endpoint to another listener: exit 6, nothing is sent there', async () => {
  const { box, file, before } = await loggedIn()
  const elsewhere = await startCountingServer()
  try {
    hostile.on('GET /omicos/account', ({ res }) => {
      res.writeHead(307, { location: `${elsewhere.url}/steal` })
      res.end()
    })
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, /answered with a redirect \(HTTP 307\)/)
    assert.is(elsewhere.hits.length, 0, 'the listener the redirect points to got no request')
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
  } finally {
    await elsewhere.close()
  }
})

const bodies: Array<[string, Parameters<HostileServer['on']>[1]]> = [
  ['a 100 MiB token answer', ({ res }) => sendHuge(res, 100)],
  ['an endless token answer', ({ res }) => sendEndless(res)],
  ['a gzip bomb as the token answer (256 MiB inflated)', ({ res }) => sendGzipBomb(res)],
]

for (const [what, script] of bodies) {
  test(`${what}: exit 6, read no further than the cap, peak RSS under 150 MiB`, async () => {
    const { box, file, before } = await loggedIn()
    hostile.on('POST /token', script)
    const probe = peakRssProbe(box.env)
    try {
      const result = await login(box, ['--force'], { env: probe.env })
      assertOneLineError(result, 6, /sent an answer larger than 1 MiB/)
      const peak = probe.peakKiB()
      assert.ok(peak < PEAK_RSS_LIMIT_KIB, `peak RSS ${Math.round(peak / 1024)} MiB`)
      console.log(`    peak RSS with ${what}: ${Math.round(peak / 1024)} MiB`)
      assertNoSecretIn(result)
      assert.equal(bytesOf(file), before)
    } finally {
      probe.cleanup()
    }
  })
}

test('the peak RSS of a plain failed login, for comparison', async () => {
  const box = sandbox()
  hostile.on('POST /token', ({ res }) => sendJson(res, 400, { error: 'invalid_grant', error_description: 'wrong email or password' }))
  const probe = peakRssProbe(box.env)
  try {
    const result = await login(box, [], { env: probe.env })
    assertOneLineError(result, 4)
    console.log(`    peak RSS of a failed login: ${Math.round(probe.peakKiB() / 1024)} MiB`)
  } finally {
    probe.cleanup()
  }
})

test('metadata whose issuer is another origin: exit 6, the password never reaches the token endpoint', async () => {
  const { box, file, before } = await loggedIn()
  const tokenRequests = hostile.seen('POST /token').length
  const earlier = hostile.requests.length
  hostile.on('GET /.well-known/oauth-authorization-server', async ({ forward, res }) => {
    const metadata = (await forward()).json()
    sendJson(res, 200, { ...metadata, issuer: 'https://auth.evil.example' })
  })
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /metadata for another issuer than http:\/\/127\.0\.0\.1:\d+; nothing was sent to it/)
  assert.is(hostile.seen('POST /token').length, tokenRequests, 'no token request')
  assert.not.ok(
    hostile.requests.slice(earlier).some((r) => new URLSearchParams(r.body).get('password') !== null || r.body.includes('battery')),
    'the password was sent nowhere',
  )
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('a token lifetime of 1e300: exit 6 with a plain sentence, and the issued tokens are revoked', async () => {
  const { box, file, before } = await loggedIn()
  let issued: { access_token: string; refresh_token?: string } | undefined
  hostile.on('POST /token', async ({ req, forward, res }) => {
    if (new URLSearchParams(req.body).get('grant_type') !== 'password') return false
    const answer = await forward()
    issued = answer.json()
    // The number as a server would write it: JSON.stringify(1e300) is "1e+300".
    const text = answer.text.replace(/"expires_in":\d+/, '"expires_in":1e300')
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(text)
  })
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /sent a token lifetime \(expires_in\) a value, outside 1\.\.315360000 seconds/)
  assert.not.match(result.stderr, /Invalid time value|RangeError/)
  assert.ok(issued?.access_token)
  const revoked = hostile.seen('POST /token/revocation').map((r) => new URLSearchParams(r.body).get('token'))
  assert.ok(revoked.includes(issued!.access_token), 'the access token was revoked')
  if (issued!.refresh_token) assert.ok(revoked.includes(issued!.refresh_token), 'the refresh token was revoked')
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('a 429 whose Retry-After asks for years: exit 6 with a plain sentence', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('POST /token', ({ res }) => sendJson(res, 429, { error: 'slow_down' }, { 'retry-after': '99999999999' }))
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /asked to wait more than a day before trying again/)
  assert.equal(bytesOf(file), before)
})

test('a process token that expires in 1e300 seconds: exit 6 with a plain sentence', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('POST /omicos/processes', async ({ forward, res }) => {
    const answer = await forward()
    const { expires_at: _, ...rest } = answer.json()
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(rest).replace(/}$/, ',"expires_in":1e300}'))
  })
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /sent a process token without a usable expiry \(it must be a date within ten years\)/)
  assert.not.match(result.stderr, /Invalid time value|RangeError/)
  assertNoSecretIn(result)
  // The server registered: the stored process token is rotated away, and marked so.
  assertOnlyMarked(file, before)
})

test('(machine) a registration that fails after the token was issued: the issued tokens are revoked before the exit', async () => {
  const { box, file, before } = await loggedIn()
  let issued: { access_token: string; refresh_token?: string } | undefined
  hostile.on('POST /token', async ({ req, forward, res }) => {
    if (new URLSearchParams(req.body).get('grant_type') !== 'password') return false
    const answer = await forward()
    issued = answer.json()
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(answer.text)
  })
  hostile.on('POST /omicos/processes', ({ res }) => sendJson(res, 400, { error: 'invalid_request' }))
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /refused to register the process/)
  const revoked = hostile.seen('POST /token/revocation').map((r) => new URLSearchParams(r.body).get('token'))
  assert.ok(issued && revoked.includes(issued.access_token), 'the access token was revoked')
  assert.equal(bytesOf(file), before)
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
