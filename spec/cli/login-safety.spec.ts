// `omicos login` when something local or remote is wrong: a login that cannot be saved fails
// before it goes online (so earlier credentials keep working), a silent server is reported
// within 10 s, and the real ~/.omicos is never taken for a workspace.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { createServer as createNetServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { request } from '../support/server.js'
import { writeLockOf } from '../support/store-files.js'
import { sleep, timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }

const leaks = watchForLeaks()
const { ref, sandbox } = loginSpec(test, leaks, [ADA])

const login = (box: CliSandbox, extra: string[] = [], options: { cwd?: string; env?: NodeJS.ProcessEnv; server?: string } = {}) =>
  leaks.run(['login', '--server', options.server ?? ref.server.url, '--email', ADA.email, '--password-stdin', ...extra], {
    cwd: options.cwd ?? box.workspace,
    env: options.env ?? box.env,
    input: ADA.password,
    timeoutMs: 30_000,
  })

const processTokenWorks = async (file: string) => {
  const stored = leaks.readCredentials(file)
  const check = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${stored.process_token}` } })
  return check.status === 200
}

const networkRequests = () => ref.server.requests.length

// --- a login that cannot be saved -------------------------------------------------------------

test('a broken workspace twin: login --force fails with exit 7 before going online, the global login still works', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const globalFile = join(box.home, CREDENTIAL_FILE)
  assert.ok(await processTokenWorks(globalFile))
  const before = bytesOf(globalFile)
  mkdirSync(join(box.workspace, '.omicos'), { mode: 0o700 })
  const twin = join(box.workspace, '.omicos', CREDENTIAL_FILE)
  writeFileSync(twin, '{', { mode: 0o600 })
  chmodSync(twin, 0o600)

  const seen = networkRequests()
  const result = await login(box, ['--force'])
  assertOneLineError(result, 7, /is not a valid omicOS credential file/)
  assert.ok(result.stderr.includes(twin), result.stderr)
  assert.is(networkRequests(), seen, 'no request reached the server')
  assert.equal(bytesOf(globalFile), before)
  assert.ok(await processTokenWorks(globalFile), 'the untouched global file still holds a live process token')
  assert.is(readFileSync(twin, 'utf8'), '{')
})

test('a global file with wider permissions: login --force fails with exit 7 and nothing is rotated', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const globalFile = join(box.home, CREDENTIAL_FILE)
  chmodSync(globalFile, 0o644)
  const seen = networkRequests()
  assertOneLineError(await login(box, ['--force']), 7, /wider than 0600/)
  assert.is(networkRequests(), seen, 'no request reached the server')
  chmodSync(globalFile, 0o600)
  assert.ok(await processTokenWorks(globalFile))
})

test('the lock held by a live process: login --force fails with exit 7 before any request, the stored process token still works', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const globalFile = join(box.home, CREDENTIAL_FILE)
  const before = bytesOf(globalFile)
  // A live process of this host holds the lock, as another omicos writing would.
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
  let stopBeat = () => {}
  try {
    await timeout(new Promise((resolve) => holder.once('spawn', resolve)), 5_000, 'spawn')
    stopBeat = writeLockOf(`${globalFile}.lock`, holder.pid!, { heartbeat: true, purpose: 'renew' })
    const seen = networkRequests()
    // A wait shortened from the minute a herd is given, so the spec does not spend it.
    const result = await login(box, ['--force'], { env: { ...box.env, OMICOS_LOCK_WAIT_MS: '800' } })
    assertOneLineError(result, 7, /locked by process \d+ \(renewing\), which is still at work/)
    assert.not.match(result.stderr, /remove/, 'no message asks to remove a live lock')
    assert.is(networkRequests(), seen, 'no request reached the server: nothing issued, nothing rotated')
    assert.equal(bytesOf(globalFile), before)
    assert.ok(await processTokenWorks(globalFile), 'the untouched file still holds a live process token')
  } finally {
    stopBeat()
    holder.kill()
    rmSync(`${globalFile}.lock`, { force: true })
  }
})

test('a lock held by a live process that lets go within the wait: login --force says what it waits for, then logs in', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const globalFile = join(box.home, CREDENTIAL_FILE)
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
  let stopBeat = () => {}
  try {
    await timeout(new Promise((resolve) => holder.once('spawn', resolve)), 5_000, 'spawn')
    stopBeat = writeLockOf(`${globalFile}.lock`, holder.pid!, { heartbeat: true, purpose: 'renew' })
    // The holder lets go after 2.5 s, as a renewal that finishes would.
    const letGo = sleep(2_500).then(() => {
      stopBeat()
      rmSync(`${globalFile}.lock`, { force: true })
    })
    const result = await login(box, ['--force'])
    await letGo
    assert.is(result.code, 0, result.stderr)
    assert.match(result.stderr, new RegExp(`^waiting for another omicos process \\(pid ${holder.pid}, renewing\\) …$`, 'm'))
    assert.not.match(result.stderr, /remove/)
    assert.ok(await processTokenWorks(globalFile), 'the new login works')
  } finally {
    stopBeat()
    holder.kill()
    rmSync(`${globalFile}.lock`, { force: true })
  }
})

test('a read-only home (a read-only bind mount): login --force fails with exit 7 before any request', async () => {
  const box = sandbox()
  assert.is((await login(box)).code, 0)
  const globalFile = join(box.home, CREDENTIAL_FILE)
  const before = bytesOf(globalFile)
  const mount = spawnSync('mount', ['--bind', box.home, box.home])
  if (mount.status !== 0) {
    console.log(`  (skipped: bind mounts are not permitted here: ${String(mount.stderr).trim()})`)
    return
  }
  try {
    const ro = spawnSync('mount', ['-o', 'remount,ro,bind', box.home])
    assert.is(ro.status, 0, String(ro.stderr))
    const seen = networkRequests()
    const result = await login(box, ['--force'])
    assertOneLineError(result, 7, /read-only|cannot write|not writable/)
    assert.is(networkRequests(), seen, 'no request reached the server')
    assert.equal(bytesOf(globalFile), before)
    assert.ok(await processTokenWorks(globalFile))
  } finally {
    spawnSync('umount', [box.home])
  }
})

test('OMICOS_HOME that is a file: login and --status fail with exit 7 saying so, before any request', async () => {
  const box = sandbox()
  writeFileSync(box.home, 'not a directory\n')
  const seen = networkRequests()
  const result = await login(box)
  assertOneLineError(result, 7, /OMICOS_HOME .* is not a directory/)
  assert.is(networkRequests(), seen, 'no request reached the server')
  const status = await leaks.run(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assertOneLineError(status, 7, /OMICOS_HOME .* is not a directory/)
  const logout = await leaks.run(['login', '--logout'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assertOneLineError(logout, 7, /OMICOS_HOME .* is not a directory/)
  assert.is(readFileSync(box.home, 'utf8'), 'not a directory\n')
})

// --- a server that never answers ----------------------------------------------------------------

test('a server that accepts connections and never answers: exit 3 within 10 s, one line', async () => {
  const sockets = new Set<Socket>()
  const silent = createNetServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await timeout(new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve)), 5_000, 'listening')
  try {
    const box = sandbox()
    const server = `http://127.0.0.1:${(silent.address() as { port: number }).port}`
    const started = Date.now()
    const result = await login(box, [], { server })
    const elapsed = Date.now() - started
    assertOneLineError(result, 3, /cannot reach 127\.0\.0\.1:\d+/)
    assert.ok(elapsed < 10_000, `reported within 10 s (took ${elapsed} ms)`)
    assert.not.ok(existsSync(join(box.home, CREDENTIAL_FILE)))
  } finally {
    for (const socket of sockets) socket.destroy()
    await timeout(new Promise<void>((resolve) => silent.close(() => resolve())), 5_000, 'closing')
  }
})

// --- the real home directory ----------------------------------------------------------------------

test('with OMICOS_HOME elsewhere, ~/.omicos is not a workspace: --status ignores it, --logout leaves it', async () => {
  const box = sandbox()
  const fakeUserHome = mkdtempSync(join(tmpdir(), 'omicos-user-home-'))
  try {
    const realHome = join(fakeUserHome, '.omicos')
    const project = join(fakeUserHome, 'project')
    mkdirSync(project)
    // A login kept in the (fake) real home, the way a login without OMICOS_HOME leaves it.
    const userEnv: NodeJS.ProcessEnv = { ...box.env, HOME: fakeUserHome }
    delete userEnv.OMICOS_HOME
    assert.is((await login(box, [], { cwd: project, env: userEnv })).code, 0)
    const kept = join(realHome, CREDENTIAL_FILE)
    assert.ok(existsSync(kept), 'the login went to $HOME/.omicos')
    const before = bytesOf(kept)

    const env = { ...box.env, HOME: fakeUserHome }
    const status = await leaks.run(['login', '--status', '--json'], { cwd: project, env, timeoutMs: 15_000 })
    assert.is(status.code, 1, `not logged in under this OMICOS_HOME: ${status.stdout}${status.stderr}`)
    const report = JSON.parse(status.stdout)
    assert.is(report.active_file, null)
    assert.is(report.config, join(box.home, CREDENTIAL_FILE))

    // Nor from the home directory itself, where the workspace would be the directory holding it.
    const fromHome = await leaks.run(['login', '--status', '--json'], { cwd: fakeUserHome, env, timeoutMs: 15_000 })
    assert.is(fromHome.code, 1, fromHome.stdout + fromHome.stderr)
    assert.is(JSON.parse(fromHome.stdout).active_file, null)

    const logout = await leaks.run(['login', '--logout'], { cwd: project, env, timeoutMs: 15_000 })
    assert.is(logout.code, 0, logout.stderr)
    assert.match(logout.stdout, /Not logged in/)
    assert.equal(bytesOf(kept), before, '$HOME/.omicos/cloud_login.json is left alone')
  } finally {
    rmSync(fakeUserHome, { recursive: true, force: true })
  }
})

test.after(() => leaks.assertNoLeak())

test.run()
