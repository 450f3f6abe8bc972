// `omicos login --status --verify` and `omicos login --logout` against a hostile server (the
// reference server behind a listener that misbehaves on one route per test): an error that
// echoes the token sent, a redirect, a huge body, a foreign issuer. Verify fails with exit 6
// and leaves the file as it was; logout still removes the local files (the server's part is
// best effort) but sends nothing to a redirect target or a foreign issuer and prints no secret.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import type { CliResult, CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, type Credentials } from '../support/cli-login.js'
import { peakRssProbe, sendGzipBomb, sendHuge, sendJson, startCountingServer, type HostileServer } from '../support/hostile-server.js'
import { hostileLoginSpec } from '../support/hostile-login.js'

const PEAK_RSS_LIMIT_KIB = 150 * 1024

const { leaks, hostile, loggedIn, assertNoSecretIn: noSecretIn } = hostileLoginSpec(test)

const run = (box: CliSandbox, args: string[], env = box.env) => leaks.run(['login', ...args], { cwd: box.workspace, env, timeoutMs: 30_000 })

const assertNoSecretIn = (result: CliResult, credentials: Credentials) =>
  noSecretIn(result, [credentials.user_token, credentials.process_token, credentials.refresh_token ?? ''])

// --- status --verify ------------------------------------------------------------------------

test('--status --verify, an account error that echoes the Bearer token and the stored tokens it was not sent: exit 6, [redacted], the file untouched', async () => {
  const { box, file, credentials, before } = await loggedIn()
  // The process and refresh tokens are not in this request: the server can only know them. Both
  // paths of the command line (the bin's own for the plain form, the parser's with --no-force)
  // redact them all.
  hostile.on('GET /omicos/account', ({ req, res }) =>
    sendJson(res, 500, {
      error: 'server_error',
      error_description: `upstream rejected ${req.headers.authorization} for ${credentials.process_token} ${credentials.refresh_token}`,
    }),
  )
  for (const args of [
    ['--status', '--verify'],
    ['--status', '--verify', '--no-force'],
    ['--status', '--verify', '--json'],
  ]) {
    const result = await run(box, args)
    if (args.includes('--json')) {
      assert.is(result.code, 6)
      assert.match(JSON.parse(result.stdout).error.message, /upstream rejected Bearer \[redacted\] for \[redacted\] \[redacted\]/)
    } else {
      assertOneLineError(result, 6, /refused the account request: server_error: upstream rejected Bearer \[redacted\] for \[redacted\] \[redacted\] \(HTTP 500\)/)
    }
    assertNoSecretIn(result, credentials)
  }
  assert.equal(bytesOf(file), before)
})

test('--status --verify, a 307 to another listener: exit 6, the token is sent nowhere else', async () => {
  const { box, file, credentials, before } = await loggedIn()
  const elsewhere = await startCountingServer()
  try {
    hostile.on('GET /omicos/account', ({ res }) => {
      res.writeHead(307, { location: `${elsewhere.url}/omicos/account` })
      res.end()
    })
    const result = await run(box, ['--status', '--verify'])
    assertOneLineError(result, 6, /answered with a redirect \(HTTP 307\)/)
    assert.is(elsewhere.hits.length, 0)
    assertNoSecretIn(result, credentials)
    assert.equal(bytesOf(file), before)
  } finally {
    await elsewhere.close()
  }
})

for (const [what, script] of [
  ['a 100 MiB account answer', ({ res }) => sendHuge(res, 100)],
  ['a gzip bomb as the account answer', ({ res }) => sendGzipBomb(res)],
] as Array<[string, Parameters<HostileServer['on']>[1]]>) {
  test(`--status --verify, ${what}: exit 6, peak RSS under 150 MiB`, async () => {
    const { box, file, credentials, before } = await loggedIn()
    hostile.on('GET /omicos/account', script)
    const probe = peakRssProbe(box.env)
    try {
      const result = await run(box, ['--status', '--verify'], probe.env)
      assertOneLineError(result, 6, /sent an answer larger than 1 MiB/)
      const peak = probe.peakKiB()
      assert.ok(peak < PEAK_RSS_LIMIT_KIB, `peak RSS ${Math.round(peak / 1024)} MiB`)
      assertNoSecretIn(result, credentials)
      assert.equal(bytesOf(file), before)
    } finally {
      probe.cleanup()
    }
  })
}

// --- logout ---------------------------------------------------------------------------------

test('--logout, a revocation error that echoes the token: the files go, nothing secret is printed', async () => {
  const { box, file, credentials } = await loggedIn()
  hostile.on('POST /token/revocation', ({ req, res }) =>
    sendJson(res, 400, { error: 'invalid_request', error_description: `cannot revoke ${new URLSearchParams(req.body).get('token')}` }),
  )
  const result = await run(box, ['--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout + result.stderr, /could not be told/)
  assert.not.ok(existsSync(file))
  assertNoSecretIn(result, credentials)
})

test('--logout, a 307 from the revocation endpoint: nothing is sent to the other listener', async () => {
  const { box, file, credentials } = await loggedIn()
  const elsewhere = await startCountingServer()
  try {
    hostile.on('POST /token/revocation', ({ res }) => {
      res.writeHead(307, { location: `${elsewhere.url}/token/revocation` })
      res.end()
    })
    const result = await run(box, ['--logout'])
    assert.is(result.code, 0, result.stderr)
    assert.match(result.stdout + result.stderr, /could not be told/)
    assert.is(elsewhere.hits.length, 0)
    assert.not.ok(existsSync(file))
    assertNoSecretIn(result, credentials)
  } finally {
    await elsewhere.close()
  }
})

test('--logout, a 100 MiB revocation answer: the files go, peak RSS under 150 MiB', async () => {
  const { box, file, credentials } = await loggedIn()
  hostile.on('POST /token/revocation', ({ res }) => sendHuge(res, 100))
  const probe = peakRssProbe(box.env)
  try {
    const result = await run(box, ['--logout'], probe.env)
    assert.is(result.code, 0, result.stderr)
    assert.not.ok(existsSync(file))
    const peak = probe.peakKiB()
    assert.ok(peak < PEAK_RSS_LIMIT_KIB, `peak RSS ${Math.round(peak / 1024)} MiB`)
    assertNoSecretIn(result, credentials)
  } finally {
    probe.cleanup()
  }
})

test('--logout, metadata for another issuer: no token reaches its revocation endpoint', async () => {
  const { box, file, credentials } = await loggedIn()
  const revocations = hostile.seen('POST /token/revocation').length
  hostile.on('GET /.well-known/oauth-authorization-server', async ({ forward, res }) => {
    sendJson(res, 200, { ...(await forward()).json(), issuer: 'https://auth.evil.example' })
  })
  const result = await run(box, ['--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.is(hostile.seen('POST /token/revocation').length, revocations)
  assert.not.ok(existsSync(file))
  assertNoSecretIn(result, credentials)
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
