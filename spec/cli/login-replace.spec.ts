// A login that replaces another end to end: `--force`, another account (`--email`, no --force)
// and another server each leave the replaced user token refused (401) at its server and the
// new one accepted, and say what they replaced; an expired login is not "already logged in".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { RunningServer } from '../../server/index.js'
import type { CliSandbox } from '../support/cli.js'
import { CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { request, withReferenceServer } from '../support/server.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const BOB = { email: 'bob@example.com', password: 'bob keeps a workspace 9' }

const leaks = watchForLeaks()
const spec = loginSpec(test, leaks, [ADA, BOB])
const { ref } = spec

const login = (box: CliSandbox, user: typeof ADA, extra: string[] = [], server = ref.server.url) =>
  leaks.run(['login', '--server', server, '--email', user.email, '--password-stdin', ...extra], {
    cwd: box.workspace,
    env: box.env,
    input: user.password,
    timeoutMs: 20_000,
  })

/** What the server answers the user token with: 200 while it lives, 401 once revoked. */
const accountStatus = async (server: RunningServer, userToken: string) =>
  (await request(server, '/omicos/account', { headers: { authorization: `Bearer ${userToken}` } })).status

const globalFile = (box: CliSandbox) => join(box.home, CREDENTIAL_FILE)

test('--force: the replaced user token is refused at the server, the new one works, and the output says so', async () => {
  const box = spec.sandbox()
  assert.is((await login(box, ADA)).code, 0)
  const before = leaks.readCredentials(globalFile(box))
  assert.is(await accountStatus(ref.server, before.user_token), 200)
  const again = await login(box, ADA, ['--force'])
  assert.is(again.code, 0, again.stderr)
  const after = leaks.readCredentials(globalFile(box))
  assert.is.not(after.user_token, before.user_token)
  assert.match(again.stdout, `Replaced the login of ${ADA.email} on ${ref.server.url}`)
  assert.match(again.stdout, /its tokens were revoked at the server/)
  assert.is(await accountStatus(ref.server, before.user_token), 401)
  assert.is(await accountStatus(ref.server, after.user_token), 200)
})

test('--email of another account logs it in without --force and revokes the replaced login', async () => {
  const box = spec.sandbox()
  assert.is((await login(box, ADA)).code, 0)
  const ada = leaks.readCredentials(globalFile(box))
  const switched = await login(box, BOB)
  assert.is(switched.code, 0, switched.stderr)
  assert.match(switched.stdout, `Logged in as ${BOB.email}`)
  assert.not.match(switched.stdout, /Already logged in/)
  assert.match(switched.stdout, `Replaced the login of ${ADA.email} on ${ref.server.url}`)
  const bob = leaks.readCredentials(globalFile(box))
  assert.is(bob.user.email, BOB.email)
  assert.is(await accountStatus(ref.server, ada.user_token), 401)
  assert.is(await accountStatus(ref.server, bob.user_token), 200)
})

test('the same --email in another case is the same account: already logged in', async () => {
  const box = spec.sandbox()
  assert.is((await login(box, ADA)).code, 0)
  const result = await login(box, { ...ADA, email: ADA.email.toUpperCase() })
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, /^Already logged in as ada@example\.com/)
})

test('another server: the login there replaces this one, whose token is refused at its own server', async () => {
  const box = spec.sandbox()
  const second = await withReferenceServer({ users: [ADA] })
  try {
    assert.is((await login(box, ADA)).code, 0)
    const first = leaks.readCredentials(globalFile(box))
    const moved = await login(box, ADA, [], second.server.url)
    assert.is(moved.code, 0, moved.stderr)
    assert.match(moved.stdout, `Replaced the login of ${ADA.email} on ${ref.server.url}`, moved.stdout)
    const now = leaks.readCredentials(globalFile(box))
    assert.is(now.server, second.server.url)
    assert.is(await accountStatus(ref.server, first.user_token), 401)
    assert.is(await accountStatus(second.server, now.user_token), 200)
    // And --json names the replaced login and whether its revocation went through.
    const json = await leaks.run(['login', '--json', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
      cwd: box.workspace,
      env: box.env,
      input: ADA.password,
      timeoutMs: 20_000,
    })
    assert.is(json.code, 0, json.stderr)
    const parsed = JSON.parse(json.stdout)
    assert.is(parsed.outcome, 'loggedIn')
    assert.is(parsed.replaced.server, second.server.url)
    assert.is(parsed.replaced.email, ADA.email)
    assert.is(parsed.replaced.revoked, true)
    assert.is(await accountStatus(second.server, now.user_token), 401)
    assert.is(await accountStatus(ref.server, leaks.readCredentials(globalFile(box)).user_token), 200)
  } finally {
    await second.stop()
  }
})

test('a login whose user token has expired is not "already logged in": it logs in again', async () => {
  const box = spec.sandbox()
  assert.is((await login(box, ADA)).code, 0)
  const file = globalFile(box)
  const stored = JSON.parse(readFileSync(file, 'utf8'))
  stored.user_token_expires_at = new Date(Date.now() - 60_000).toISOString()
  writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 })
  const status = await leaks.run(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.match(status.stdout, /^user token: expired \w{3}, /m)
  assert.match(status.stdout, /^warning: user token expired: log in again/m)
  const again = await login(box, ADA)
  assert.is(again.code, 0, again.stderr)
  assert.not.match(again.stdout, /Already logged in/)
  assert.match(again.stdout, `Logged in as ${ADA.email}`)
  const renewed = leaks.readCredentials(file)
  assert.is.not(renewed.user_token, stored.user_token)
  assert.ok(Date.parse(JSON.parse(readFileSync(file, 'utf8')).user_token_expires_at) > Date.now(), 'the new user token is valid')
})

test('no output and no file but the credential files holds a password or a token', () => {
  spec.cleanUp()
  leaks.assertNoLeak()
})

test.run()
