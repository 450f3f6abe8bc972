// `omicos login --status` and `--logout` end to end: what is shown inside and outside a
// workspace, and which files a logout removes.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { HOST_TAG } from '../../effects/store/private-file.js'
import type { CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { request, withReferenceServer } from '../support/server.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const BOB = { email: 'bob@example.com', password: 'bob keeps a workspace 9' }

const leaks = watchForLeaks()
const spec = loginSpec(test, leaks, [ADA, BOB])
const { ref } = spec

/** A sandbox with a folder `outside` beside the workspace (no workspace file reaches it). */
const sandbox = () => {
  const box = spec.sandbox()
  const outside = join(box.workspace, '..', 'outside')
  mkdirSync(outside)
  return { box, outside, globalFile: join(box.home, CREDENTIAL_FILE), workspaceFile: join(box.workspace, '.omicos', CREDENTIAL_FILE) }
}

const omicos = (box: CliSandbox, cwd: string, args: string[], input?: string) => leaks.run(args, { cwd, env: box.env, input, timeoutMs: 20_000 })

const login = (box: CliSandbox, cwd: string, user: typeof ADA, extra: string[] = [], server = ref.server.url) =>
  omicos(box, cwd, ['login', '--server', server, '--email', user.email, '--password-stdin', ...extra], user.password)

const field = (stdout: string, name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(stdout)?.[1]

// --- --status ---------------------------------------------------------------------------------

test('--status when not logged in: exit 1, the config path, also with --json', async () => {
  const { box, globalFile } = sandbox()
  const text = await omicos(box, box.workspace, ['login', '--status'])
  assert.is(text.code, 1)
  assert.match(text.stdout, /^Not logged in\./)
  assert.is(field(text.stdout, 'config'), globalFile)
  const json = await omicos(box, box.workspace, ['login', '--status', '--json'])
  assert.is(json.code, 1)
  const parsed = JSON.parse(json.stdout)
  assert.is(parsed.logged_in, false)
  assert.is(parsed.config, globalFile)
  assert.is(json.stderr, '')
})

test('--status shows the email, process name and the global config path, with no request to the server', async () => {
  const { box, outside, globalFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA, ['--name', 'atlas'])).code, 0)
  const requests = ref.server.requests.length
  for (const cwd of [box.workspace, outside]) {
    const text = await omicos(box, cwd, ['login', '--status'])
    assert.is(text.code, 0, text.stderr)
    assert.is(field(text.stdout, 'email'), ADA.email)
    assert.is(field(text.stdout, 'process'), 'atlas')
    assert.is(field(text.stdout, 'config'), globalFile)
    assert.is(field(text.stdout, 'daemon uses here'), 'the global login, in')
    assert.ok(text.stdout.includes(`daemon uses here: the global login, in\n  ${globalFile}\n`), text.stdout)
    const json = JSON.parse((await omicos(box, cwd, ['login', '--status', '--json'])).stdout)
    assert.is(json.logged_in, true)
    assert.is(json.email, ADA.email)
    assert.is(json.process_name, 'atlas')
    assert.is(json.config, globalFile)
    assert.is(json.active_file, globalFile)
    assert.is(json.active_source, 'global')
    assert.not.ok('user_token' in json || 'process_token' in json, 'no token in the JSON')
  }
  assert.is(ref.server.requests.length, requests, 'no network call')
})

test('a workspace login of B beside a global login of A: --status inside shows B, outside shows A; config: is the global file everywhere', async () => {
  const { box, outside, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  assert.is((await login(box, box.workspace, BOB, ['--workspace'])).code, 0)
  const deeper = join(box.workspace, 'data', 'raw')
  mkdirSync(deeper, { recursive: true })
  for (const cwd of [box.workspace, deeper]) {
    const text = await omicos(box, cwd, ['login', '--status'])
    assert.is(text.code, 0, text.stderr)
    assert.is(field(text.stdout, 'email'), BOB.email)
    assert.is(field(text.stdout, 'config'), globalFile)
    assert.is(field(text.stdout, 'daemon uses here'), 'the workspace login, in')
    assert.ok(text.stdout.includes(`daemon uses here: the workspace login, in\n  ${workspaceFile}\n`), text.stdout)
    const json = JSON.parse((await omicos(box, cwd, ['login', '--status', '--json'])).stdout)
    assert.is(json.email, BOB.email)
    assert.is(json.config, globalFile)
    assert.is(json.active_file, workspaceFile)
    assert.is(json.active_source, 'workspace')
  }
  const out = await omicos(box, outside, ['login', '--status'])
  assert.is(field(out.stdout, 'email'), ADA.email)
  assert.is(field(out.stdout, 'config'), globalFile)
  assert.is(field(out.stdout, 'daemon uses here'), 'the global login, in')
  assert.ok(out.stdout.includes(`\n  ${globalFile}\n`), out.stdout)
  leaks.readCredentials(globalFile)
  leaks.readCredentials(workspaceFile)
})

// --- --logout ---------------------------------------------------------------------------------

test('--logout when not logged in: exit 0 and says so', async () => {
  const { box } = sandbox()
  const result = await omicos(box, box.workspace, ['login', '--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, /^Not logged in/)
  assert.is(result.stderr, '')
})

test('--logout removes the account files, revokes its tokens, and --status then reports not logged in', async () => {
  const { box, globalFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  const creds = leaks.readCredentials(globalFile)
  const requests = ref.server.requests.length
  const result = await omicos(box, box.workspace, ['login', '--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged out ${ADA.email}.`)
  assert.match(result.stdout, `Removed ${globalFile}`)
  assert.not.ok(existsSync(globalFile))
  assert.ok(
    ref.server.requests.slice(requests).some((r) => r.path === '/token/revocation'),
    'revocation was asked for',
  )
  const account = await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${creds.user_token}` } })
  assert.is(account.status, 401, 'the user token no longer works')
  assert.is((await omicos(box, box.workspace, ['login', '--status'])).code, 1)
})

test('two accounts: a logout inside the workspace removes only B, and says so; A stays byte for byte', async () => {
  const { box, outside, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  assert.is((await login(box, box.workspace, BOB, ['--workspace'])).code, 0)
  const globalBefore = bytesOf(globalFile)
  leaks.readCredentials(workspaceFile)
  const result = await omicos(box, box.workspace, ['login', '--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged out ${BOB.email}.`)
  assert.match(result.stdout, `Removed ${workspaceFile}`)
  assert.not.match(result.stdout, `Removed ${globalFile}`)
  assert.not.ok(existsSync(workspaceFile))
  assert.equal(bytesOf(globalFile), globalBefore)
  // The workspace now falls back to the global login.
  const status = await omicos(box, box.workspace, ['login', '--status'])
  assert.is(field(status.stdout, 'email'), ADA.email, JSON.stringify(status))
  assert.is(field(status.stdout, 'daemon uses here'), 'the global login, in')
  assert.ok(status.stdout.includes(`\n  ${globalFile}\n`), status.stdout)
  const out = await omicos(box, outside, ['login', '--status'])
  assert.is(field(out.stdout, 'email'), ADA.email)
})

test('two accounts: a logout outside the workspace removes only A; B stays byte for byte', async () => {
  const { box, outside, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  assert.is((await login(box, box.workspace, BOB, ['--workspace'])).code, 0)
  const workspaceBefore = bytesOf(workspaceFile)
  leaks.readCredentials(globalFile)
  const result = await omicos(box, outside, ['login', '--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged out ${ADA.email}.`)
  assert.match(result.stdout, `Removed ${globalFile}`)
  assert.not.ok(existsSync(globalFile))
  assert.equal(bytesOf(workspaceFile), workspaceBefore)
  assert.is(field((await omicos(box, box.workspace, ['login', '--status'])).stdout, 'email'), BOB.email)
})

test('one account in both files: a logout removes both', async () => {
  const { box, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA, ['--workspace'])).code, 0)
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  assert.ok(existsSync(globalFile) && existsSync(workspaceFile))
  leaks.readCredentials(globalFile)
  const result = await omicos(box, box.workspace, ['login', '--logout'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Removed ${globalFile}`)
  assert.match(result.stdout, `Removed ${workspaceFile}`)
  assert.not.ok(existsSync(globalFile) || existsSync(workspaceFile))
})

test('--logout with the server down still deletes the local files, within a few seconds; the tokens are queued, as it says', async () => {
  const { box, globalFile } = sandbox()
  const other = await withReferenceServer({ users: [ADA] })
  let credentials: ReturnType<typeof leaks.readCredentials>
  try {
    assert.is((await login(box, box.workspace, ADA, [], other.server.url)).code, 0)
    credentials = leaks.readCredentials(globalFile)
  } finally {
    await other.stop()
  }
  const started = Date.now()
  const result = await omicos(box, box.workspace, ['login', '--logout'])
  const took = Date.now() - started
  assert.is(result.code, 0, result.stderr)
  assert.ok(took < 8_000, `took ${took} ms`)
  assert.match(result.stdout, `Logged out ${ADA.email}.`)
  assert.match(result.stdout, /could not be told: its tokens are kept here and revoked at the next login or logout\./)
  assert.not.match(result.stdout, /when they expire/)
  assert.not.ok(existsSync(globalFile))
  // What the line says is so: both tokens wait in the queue the next login or logout revokes.
  const queued = JSON.parse(readFileSync(join(box.home, 'revocations.json'), 'utf8')).entries.flatMap((e: { tokens: string[] }) => e.tokens)
  for (const token of [credentials!.user_token, credentials!.process_token]) assert.ok(queued.includes(token), 'kept for a later revocation')
})

test('--logout and --status refuse login options: exit 2, one line', async () => {
  const { box } = sandbox()
  const results = await Promise.all([
    omicos(box, box.workspace, ['login', '--logout', '--email', ADA.email]),
    omicos(box, box.workspace, ['login', '--logout', '--force']),
    omicos(box, box.workspace, ['login', '--status', '--workspace']),
  ])
  for (const result of results) assertOneLineError(result, 2)
})

// --- what the status says about the user token and the files ------------------------------------

/** Rewrites a field of a credential file, keeping it valid and 0600. */
const editFile = (file: string, edit: (json: Record<string, any>) => void) => {
  const json = leaks.readCredentials(file) as unknown as Record<string, any>
  edit(json)
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600 })
}

test('--status speaks in the local time of TZ, named, without milliseconds; --json keeps ISO UTC', async () => {
  const { box, globalFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  // 40 days ahead, at 02:30:00.123 UTC: 10:30 the same day in Shanghai.
  const day = new Date(Date.now() + 40 * 24 * 3600_000)
  day.setUTCHours(2, 30, 0, 123)
  const at = day.toISOString()
  editFile(globalFile, (json) => (json.user_token_expires_at = at))
  const inZone = (tz: string, args = ['login', '--status']) => leaks.run(args, { cwd: box.workspace, env: { ...box.env, TZ: tz }, timeoutMs: 20_000 })
  const shanghai = await inZone('Asia/Shanghai')
  const utc = await inZone('UTC')
  // The same instant, 8 hours apart on the clock, each with its zone named.
  assert.match(shanghai.stdout, /^until \w{3}, \d{1,2} \w{3} \d{4}, 10:30 (GMT\+8|CST) \(in \d+ days\)\.$/m)
  assert.match(utc.stdout, /^until \w{3}, \d{1,2} \w{3} \d{4}, 02:30 UTC \(in \d+ days\)\.$/m)
  for (const out of [shanghai.stdout, utc.stdout]) assert.not.match(out, /\d{2}:\d{2}:\d{2}|\.\d{3}|\dT\d/)
  const json = JSON.parse((await inZone('Asia/Shanghai', ['login', '--status', '--json'])).stdout)
  assert.is(json.user_token_expires_at, at)
})

test("--status shows the user token's expiry, and warns under 3 days left and once expired", async () => {
  const { box, globalFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  const fresh = await omicos(box, box.workspace, ['login', '--status'])
  assert.match(fresh.stdout, /^user token: expires \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} \S+ \(in \d+ days\)$/m)
  assert.not.match(fresh.stdout, /^warning:/m)
  editFile(globalFile, (json) => (json.user_token_expires_at = new Date(Date.now() + 2 * 24 * 3600_000).toISOString()))
  const soon = await omicos(box, box.workspace, ['login', '--status'])
  assert.is(soon.code, 0)
  assert.match(soon.stdout, /^warning: the user token expires in \d+ h: log in again soon/m)
  assert.is(JSON.parse((await omicos(box, box.workspace, ['login', '--status', '--json'])).stdout).user_token_state, 'expiresSoon')
  editFile(globalFile, (json) => (json.user_token_expires_at = new Date(Date.now() - 60_000).toISOString()))
  const expired = await omicos(box, box.workspace, ['login', '--status'])
  assert.match(expired.stdout, /^user token: expired \w{3}, .* \(\d+ min ago\)$/m)
  assert.match(expired.stdout, /^Not logged in: the login of ada@example\.com on \S+\nran out /)
  assert.is(expired.code, 1, 'a user token that ran out and was not renewed is no login (exit 1)')
  assert.match(expired.stdout, /^warning: user token expired: log in again/m)
  const expiredJson = await omicos(box, box.workspace, ['login', '--status', '--json'])
  assert.is(JSON.parse(expiredJson.stdout).user_token_state, 'expired')
  assert.equal(
    [expiredJson.code, JSON.parse(expiredJson.stdout).exit_code, JSON.parse(expiredJson.stdout).user_token_expires_at.endsWith('Z')],
    [1, 1, true],
    'JSON keeps ISO UTC times',
  )
})

test('--status lists the global and the workspace login with their servers, and which one the daemon uses here', async () => {
  const { box, outside, globalFile, workspaceFile } = sandbox()
  const other = await withReferenceServer({ users: [BOB] })
  try {
    assert.is((await login(box, box.workspace, ADA)).code, 0)
    assert.is((await login(box, box.workspace, BOB, ['--workspace'], other.server.url)).code, 0)
    leaks.readCredentials(globalFile)
    leaks.readCredentials(workspaceFile)
    const inside = await omicos(box, box.workspace, ['login', '--status'])
    assert.is(inside.code, 0, inside.stderr)
    assert.ok(inside.stdout.includes(`global login: ${ADA.email}\n  on ${ref.server.url}, process "`), inside.stdout)
    assert.ok(
      inside.stdout.includes(`workspace login (used here): ${BOB.email}\n  on ${other.server.url}, process "workspace"\n  in ${workspaceFile}\n`),
      inside.stdout,
    )
    assert.not.match(inside.stdout, /^global login \(used here\)/m, 'the global login is not the one used here')
    // Who, where and until when come first; the workspace login is named as one, config: stays the global file.
    const [first, second, third] = inside.stdout.split('\n')
    assert.is(first, `Logged in as ${BOB.email} on ${new URL(other.server.url).host},`)
    assert.match(second!, /^until \w{3}, \d{1,2} \w{3} \d{4}, \d{2}:\d{2} \S+ \(in (29|30) days\)\.$/)
    assert.is(third, `A workspace login, for ${box.workspace} only.`)
    assert.ok(
      inside.stdout.split('\n').every((line) => line.length <= 80 || !line.includes(' ')),
      'every line that can be cut fits 80 columns',
    )
    assert.is(field(inside.stdout, 'config'), globalFile)
    const json = JSON.parse((await omicos(box, box.workspace, ['login', '--status', '--json'])).stdout)
    assert.equal(
      json.logins.map((l: any) => [l.source, l.server, l.used_here]),
      [
        ['global', ref.server.url, false],
        ['workspace', other.server.url, true],
      ],
    )
    // Outside the workspace only the global login bears on here.
    const away = await omicos(box, outside, ['login', '--status'])
    assert.match(away.stdout, /^global login \(used here\): /m)
    assert.not.match(away.stdout, /^workspace login:/m)
  } finally {
    await other.stop()
  }
})

test('--status says when it removed stale temp files and when the two copies of a login differ', async () => {
  const { box, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, box.workspace, ADA)).code, 0)
  const text = readFileSync(globalFile, 'utf8')
  leaks.readCredentials(globalFile)
  // A temp a writer that died left behind: its pid is gone, the host is this one.
  const dead = spawnSync(process.execPath, ['-e', '']).pid
  const temp = join(box.home, `.${CREDENTIAL_FILE}.${dead}.${HOST_TAG}.0123456789ab.tmp`)
  writeFileSync(temp, text, { mode: 0o600 })
  // The same login copied into the workspace, then changed there: the copies differ.
  mkdirSync(dirname(workspaceFile), { recursive: true, mode: 0o700 })
  writeFileSync(workspaceFile, text, { mode: 0o600 })
  editFile(workspaceFile, (json) => (json.logged_in_at = new Date(Date.parse(json.logged_in_at) + 1000).toISOString()))
  const status = await omicos(box, box.workspace, ['login', '--status'])
  assert.is(status.code, 0, status.stderr)
  assert.ok(status.stdout.includes(`removed stale temp files left by an interrupted write:\n  ${temp}\n`), status.stdout)
  assert.match(status.stdout, /^warning: the global and workspace copies of this login differ/m)
  assert.not.ok(existsSync(temp))
  const json = JSON.parse((await omicos(box, box.workspace, ['login', '--status', '--json'])).stdout)
  assert.equal(json.swept_temps, [], 'swept once')
  assert.is(json.twins_differ, true)
})

test('no output and no file but the credential files holds a password or a token', () => {
  spec.cleanUp()
  leaks.assertNoLeak()
})

test.run()
