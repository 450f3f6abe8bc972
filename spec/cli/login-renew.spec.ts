// A user token that runs out (the reference server's --user-token-ttl, 2 s here) is renewed
// with the stored refresh token (RFC 6749 section 6) by the daemon's refreshProcessToken, by
// `omicos login --status --verify` and by `omicos login` itself when near its end (renewed, not
// repeated; one that ran out is logged in again, spec/cli/login-replace.spec.ts); a
// refresh token the server no longer takes is "log in again", exit 4, the file kept.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { refreshProcessToken } from '../../effects/node/api.js'
import type { CliSandbox } from '../support/cli.js'
import { bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { request } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const leaks = watchForLeaks()
const { ref, sandbox } = loginSpec(test, leaks, [ADA], { userTokenTtl: 2 })

const login = (box: CliSandbox, extra: string[] = []) =>
  leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin', ...extra], {
    cwd: box.workspace,
    env: box.env,
    input: ADA.password,
    timeoutMs: 30_000,
  })

const works = async (token: string) => (await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })).status === 200

/** Until the server refuses the stored user token: polled, bounded, not timed. */
const untilRefused = async (file: string) => {
  const { user_token } = leaks.readCredentials(file)
  await timeout(
    (async () => {
      while (await works(user_token)) await sleep(250)
    })(),
    15_000,
    'the user token running out',
  )
  return user_token as string
}

test('refreshProcessToken renews a user token that ran out, then registers the process with it', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const file = join(box.home, CREDENTIAL_FILE)
  const dead = await untilRefused(file)
  const result = await timeout(
    refreshProcessToken({ home: box.home, cwd: box.workspace, env: box.env, minValidityMs: 24 * 3_600_000 }),
    20_000,
    'refreshProcessToken',
  )
  assert.ok(result?.refreshed, 'a new process token was registered')
  const stored = leaks.readCredentials(file)
  assert.is.not(stored.user_token, dead)
  assert.ok(await works(stored.user_token), 'the renewed user token works')
  const process = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${stored.process_token}` } })
  assert.is(process.status, 200)
})

test('login --status --verify renews a user token that ran out: exit 0, says so, the file holds a working token', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const file = join(box.home, CREDENTIAL_FILE)
  const dead = await untilRefused(file)
  const status = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: box.env, timeoutMs: 20_000 })
  assert.is(status.code, 0, status.stderr)
  assert.match(status.stdout, /^Logged in as ada@example\.com on /)
  assert.match(status.stdout, /^Renewed just now, until .+ \(in \d+ (days|h|min)\)\.$/m)
  const plain = await leaks.run(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 20_000 })
  assert.not.match(plain.stdout, /Renewed/, 'only a status that renewed says so')
  const stored = leaks.readCredentials(file)
  assert.is.not(stored.user_token, dead)
  assert.ok(await works(stored.user_token))
})

test('login again with a user token within a day of its end: renewed, not repeated (no password grant)', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const file = join(box.home, CREDENTIAL_FILE)
  // An hour left by the file (the server's own token may be gone already: rejected, it is renewed too).
  const stored = leaks.readCredentials(file)
  const inAnHour = { ...stored, user_token_expires_at: new Date(Date.now() + 3_600_000).toISOString() }
  writeFileSync(file, `${JSON.stringify(inAnHour, null, 2)}\n`, { mode: 0o600 })
  const seen = ref.server.requests.length
  const again = await leaks.run(['login', '--server', ref.server.url], { cwd: box.workspace, env: box.env, timeoutMs: 20_000 })
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stdout, 'Already logged in as ada@example.com')
  assert.match(again.stdout, 'renewed')
  const grants = ref.server.requests
    .slice(seen)
    .filter((r) => r.path === '/token')
    .map((r) => r.grantType)
  assert.equal(grants, ['refresh_token'], 'one refresh, no password grant')
  assert.ok(await works(leaks.readCredentials(file).user_token))
})

test('a refresh token the server no longer takes: --status --verify says log in again, exit 4, the file kept', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const file = join(box.home, CREDENTIAL_FILE)
  const refresh_token = leaks.readCredentials(file).refresh_token as string
  await untilRefused(file)
  // Revoking the refresh token ends its grant (RFC 7009 section 2.1).
  const revoked = await request(ref.server, '/token/revocation', { form: { token: refresh_token, client_id: 'omicos-cli' } })
  assert.is(revoked.status, 200)
  const before = bytesOf(file)
  const status = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: box.env, timeoutMs: 20_000 })
  assert.is(status.code, 4, status.stdout + status.stderr)
  assert.match(status.stderr, /log in again/)
  assert.equal(bytesOf(file), before, 'the file is kept as it was')
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
