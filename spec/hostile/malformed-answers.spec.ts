// The smaller ways a hostile server answers wrong: HTTP no parser should accept, token types
// other than Bearer, tokens too long to keep or send, an account that is not the one asked or
// an email that is not one, a 401 at registration during `login --force`, and a `--status
// --verify` that meets another account, a server that cannot be reached, or one that answers
// each request just in time. The reference server is behind a listener that misbehaves on one
// route per test (spec/support/hostile-server.ts). Each test checks the exit code, one clean
// line, no secret in any output, the earlier file byte-identical, and no live token unheld.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE } from '../support/cli-login.js'
import { sendJson, type Script } from '../support/hostile-server.js'
import { ADA, hostileLoginSpec } from '../support/hostile-login.js'
import { assertNoLiveTokenUnheld } from '../support/live-tokens.js'
import { sleep } from '../support/wait.js'

const { ref, sandbox, leaks, hostile, login, loggedIn, assertNoSecretIn } = hostileLoginSpec(test)

const status = (box: CliSandbox, extra: string[] = []) =>
  leaks.run(['login', '--status', '--verify', ...extra], { cwd: box.workspace, env: box.env, timeoutMs: 40_000 })

const isPasswordGrant = (body: string) => new URLSearchParams(body).get('grant_type') === 'password'

/** The password grant's answer, as the reference server gave it, changed by `change`. */
const changeTokenAnswer = (change: (tokens: Record<string, unknown>) => Record<string, unknown>) =>
  hostile.on('POST /token', async ({ req, forward, res }) => {
    if (!isPasswordGrant(req.body)) return false
    const answer = await forward()
    sendJson(res, answer.status, change(answer.json()))
  })

// --- HTTP no parser should take ------------------------------------------------------------------

const raw =
  (text: string): Script =>
  ({ res }) => {
    res.socket?.end(text)
  }

const malformed: Array<[string, string]> = [
  ['a 20 KiB header', `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`],
  ['a bad chunk size', 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n'],
  ['an HTTP/0.9 answer', '{"error":"invalid_grant"}'],
  ['a NUL in a header', 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'],
  ['a wrong Content-Length', 'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n{"error":"invalid_grant"}'],
  [
    'both Content-Length and Transfer-Encoding',
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
  ],
]

for (const [what, text] of malformed) {
  test(`the password grant answered with ${what}: exit 6, a bad response; the password is sent once`, async () => {
    const { box, file, before } = await loggedIn()
    const sent = hostile.seen('POST /token').length
    hostile.on('POST /token', raw(text))
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, /sent a malformed HTTP answer \(HPE_[A-Z_]+\)/)
    assert.is(hostile.seen('POST /token').length, sent + 1, 'a POST that may have reached the server is not repeated')
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
  })
}

for (const [what, end] of [
  ['closes the connection', true],
  ['keeps the connection open', false],
] as const) {
  test(`an answer shorter than its Content-Length from a server that ${what}: the password is sent once`, async () => {
    const { box, file, before } = await loggedIn()
    const sent = hostile.seen('POST /token').length
    const answer = 'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"error":"invalid_grant"}'
    hostile.on('POST /token', ({ res }) => {
      if (end) res.socket?.end(answer)
      else res.socket?.write(answer)
    })
    const result = await login(box, ['--force'])
    // A server that closes has said all it will: a bad response at once, not a wait for the
    // time limit. One that keeps the connection open may still be sending: a time-out.
    if (end) assertOneLineError(result, 6, /closed the connection before its answer was complete/)
    else assertOneLineError(result, 3, /timed out/)
    assert.is(hostile.seen('POST /token').length, sent + 1, 'a POST that may have reached the server is not repeated')
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
  })
}

// --- token types and lengths ---------------------------------------------------------------------

for (const type of ['mac', 'DPoP']) {
  test(`token_type ${type}: exit 6, never used as Bearer, the issued tokens revoked`, async () => {
    const { box, file, before, since } = await loggedIn()
    const accountAsks = hostile.seen('GET /omicos/account').length
    changeTokenAnswer((tokens) => ({ ...tokens, token_type: type }))
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, /sent a token of a type other than Bearer; only Bearer tokens are used/)
    assert.is(hostile.seen('GET /omicos/account').length, accountAsks, 'the token was not presented')
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
    await assertNoLiveTokenUnheld(ref, hostile, [box], since)
  })
}

test('token_type "bearer" in any case is Bearer (RFC 6749 section 5.1)', async () => {
  const box = sandbox()
  changeTokenAnswer((tokens) => ({ ...tokens, token_type: 'bEaReR' }))
  const result = await login(box)
  assert.is(result.code, 0, result.stderr)
  leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
})

for (const field of ['refresh_token', 'access_token']) {
  test(`a 900 KB ${field}: exit 6, neither stored nor sent, the login it came with revoked`, async () => {
    const { box, file, before, since } = await loggedIn()
    const earlier = hostile.requests.length
    changeTokenAnswer((tokens) => ({ ...tokens, [field]: 't'.repeat(900 * 1024) }))
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, new RegExp(`sent a ${field} longer than 4096 characters`))
    assert.not.ok(
      hostile.requests.slice(earlier).some((r) => String(r.headers.authorization ?? '').length > 4096 + 7),
      'no such token went out in a header',
    )
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
    await assertNoLiveTokenUnheld(ref, hostile, [box], since)
  })
}

// --- the account -----------------------------------------------------------------------------------

test('an account answer for another email than --email: exit 6 naming both, the file unchanged, the tokens revoked', async () => {
  const { box, file, before, since } = await loggedIn()
  hostile.on('GET /omicos/account', async ({ forward, res }) => {
    sendJson(res, 200, { ...(await forward()).json(), email: 'eve@example.com' })
  })
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /the server logged in eve@example\.com, not ada@example\.com as asked/)
  assert.not.match(result.stdout, /Logged in/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

const oddEmails: Array<[string, string]> = [
  ['a sentence', 'ada@example.com. Credentials written to /etc/shadow'],
  ['U+3164 fillers', '\u3164\u3164\u3164@example.com'],
  ['300 combining marks', `ada${'\u0301'.repeat(300)}@example.com`],
]

for (const [what, email] of oddEmails) {
  test(`an account email made of ${what}: exit 6, never printed`, async () => {
    const { box, file, before, since } = await loggedIn()
    hostile.on('GET /omicos/account', async ({ forward, res }) => {
      sendJson(res, 200, { ...(await forward()).json(), email })
    })
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, /sent an account email that does not look like one/)
    assert.not.match(result.stdout + result.stderr, /shadow|\u3164|\u0301/)
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
    await assertNoLiveTokenUnheld(ref, hostile, [box], since)
  })
}

test('a 401 at registration during login --force: exit 4, words for a login just made, not "run omicos login --force"', async () => {
  const { box, file, before, since } = await loggedIn()
  hostile.on('POST /omicos/processes', ({ res }) => sendJson(res, 401, { error: 'invalid_token' }))
  const result = await login(box, ['--force'])
  assertOneLineError(result, 4, /does not accept this login's user token to register the process \(HTTP 401\)/)
  assert.not.match(result.stderr, /login --force/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

// --- --status --verify ---------------------------------------------------------------------------

test('--status --verify, the server answers for another account: exit 6 naming both, the local fields kept', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('GET /omicos/account', async ({ forward, res }) => {
    sendJson(res, 200, { ...(await forward()).json(), account_id: 'acct_eve', email: 'eve@example.com' })
  })
  const result = await status(box)
  assertOneLineError(result, 6, /answers for eve@example\.com, not for ada@example\.com/)
  assert.match(result.stdout, /^email: ada@example\.com$/m)
  assert.not.match(result.stdout, /the user token works/)
  assertNoSecretIn(result)
  const json = JSON.parse((await status(box, ['--json'])).stdout)
  assert.equal([json.exit_code, json.error.reason, json.email, json.logged_in], [6, 'accountMismatch', ADA.email, true])
  assert.equal(bytesOf(file), before)
})

test('--status --verify, the server cannot be reached: exit 3, the local fields kept (also in --json)', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('GET /omicos/account', ({ res }) => void res.socket?.destroy())
  const result = await status(box)
  assertOneLineError(result, 3, /cannot reach 127\.0\.0\.1:\d+/)
  assert.match(result.stdout, /^email: ada@example\.com$/m)
  assert.match(result.stdout, /^process token: valid until /m)
  const json = JSON.parse((await status(box, ['--json'])).stdout)
  assert.equal([json.exit_code, json.email, json.process_name !== null, json.logins.length], [3, ADA.email, true, 1])
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('--status --verify against a server that answers each request just in time: the budget ends it before a third request', async () => {
  const { box, file, before } = await loggedIn()
  const asks = hostile.seen('GET /omicos/account').length
  // Each answer comes just inside the 5 s a request may take; rejected, so a renewal follows.
  hostile.on('GET /omicos/account', async ({ res }) => {
    await sleep(4_000)
    sendJson(res, 401, { error: 'invalid_token' })
  })
  hostile.on('POST /token', async ({ res }) => {
    await sleep(4_000)
    if (!res.writableEnded && !res.destroyed) sendJson(res, 503, { error: 'temporarily_unavailable' })
  })
  const result = await status(box)
  assertOneLineError(result, 3, /timed out/)
  assert.is(hostile.seen('GET /omicos/account').length, asks + 1, 'the check was not asked again after the budget ran out')
  assert.match(result.stdout, /^email: ada@example\.com$/m)
  assertNoSecretIn(result)
  // The refresh request may have reached the server: the renewal notes its doubt in the file,
  // and nothing else changes.
  const { renewing_since: _, ...now } = JSON.parse(readFileSync(file, 'utf8'))
  assert.equal(now, JSON.parse(before!.toString('utf8')))
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
