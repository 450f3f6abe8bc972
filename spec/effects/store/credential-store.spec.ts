import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { parseCredentialFile, serializeCredentialFile } from '../../../effects/store/credential-file.js'
import {
  deleteByAccount,
  globalCredentialPath,
  persistCredentials,
  persistLogin,
  putBackRevocations,
  readActive,
  readStoreStatus,
  takePendingRevocations,
  workspaceCredentialPath,
} from '../../../effects/store/index.js'
import { HOST_TAG } from '../../../effects/store/private-file.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { derivedWorkspaceId, findWorkspaceRoot, resolveWorkspace } from '../../../effects/store/workspace.js'
import { fakeCredentials, helperCommand, run, tempDir } from '../../support/effects.js'
import { timeout } from '../../support/wait.js'
import { writeLockOf } from '../../support/store-files.js'
import { wordsOf } from '../../support/failure-words.js'

const mode = (p: string) => statSync(p).mode & 0o777

/** A global home and a workspace (with .git) inside a fresh temp dir. */
const setup = () => {
  const base = tempDir()
  const home = join(base, 'home', '.omicos')
  const ws = join(base, 'project')
  mkdirSync(join(ws, '.git'), { recursive: true })
  return { base, home, ws, loc: { home, cwd: ws, env: {} as Record<string, string> } }
}

const rejectsWith = async (promise: Promise<unknown>, kind: string, pattern?: RegExp) => {
  try {
    await promise
  } catch (error) {
    assert.instance(error, EngineError)
    assert.is((error as EngineError).kind, kind)
    if (pattern) assert.match(wordsOf(error), pattern)
    assert.not.match(wordsOf(error), /\n/)
    return error as EngineError
  }
  assert.unreachable('expected a rejection')
}

const extraFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.includes('.lock') || n.endsWith('.stale'))

test('a plain login writes the global file, 0600 in a 0700 directory, and reads back', async () => {
  const { home, loc } = setup()
  const file = fakeCredentials('acct-a')
  const paths = await persistCredentials({ ...loc, workspaceOnly: false }, file)
  assert.equal(paths, [join(home, 'cloud_login.json')])
  assert.is(mode(paths[0]), 0o600)
  assert.is(mode(home), 0o700)
  assert.is(readFileSync(paths[0], 'utf8'), serializeCredentialFile(file))
  const active = await readActive(loc)
  assert.equal(active, { credentials: file, path: paths[0], source: 'global' })
  assert.equal(extraFiles(home), [])
})

for (const umask of [0o022, 0o000]) {
  test(`modes stay 0600/0700 under umask ${umask.toString(8).padStart(3, '0')}`, async () => {
    const { home, ws, loc } = setup()
    const old = process.umask(umask)
    try {
      await persistCredentials({ ...loc, workspaceOnly: true }, fakeCredentials('acct-a'))
      await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
    } finally {
      process.umask(old)
    }
    for (const dir of [home, join(ws, '.omicos')]) assert.is(mode(dir), 0o700, dir)
    for (const f of [join(home, 'cloud_login.json'), join(ws, '.omicos', 'cloud_login.json'), join(ws, '.omicos', 'workspace.json')]) {
      assert.is(mode(f), 0o600, f)
    }
  })
}

test('a failed write leaves the earlier file byte-for-byte and no temp file', async () => {
  const { home, ws, loc } = setup()
  await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
  const before = readFileSync(join(home, 'cloud_login.json'))
  // A file size limit of 1 KiB makes the write of a 4 KiB token fail with EFBIG (SIGXFSZ ignored).
  const { file, execArgv } = helperCommand('store-writer')
  const node = [process.execPath, ...execArgv, file, home, ws, 'acct-b', 'false', '4096'].map((a) => `'${a}'`).join(' ')
  const result = await run('bash', ['-c', `trap '' XFSZ; ulimit -f 1; exec ${node}`])
  assert.match(result.stdout, /^error local_files cannot write .*cloud_login\.json: the file size limit was reached/)
  assert.equal(readFileSync(join(home, 'cloud_login.json')), before)
  assert.equal(extraFiles(home), [])
})

test('a symlink in place of the file is refused and not followed', async () => {
  const { base, home, loc } = setup()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const elsewhere = join(base, 'elsewhere.json')
  writeFileSync(elsewhere, 'precious', { mode: 0o600 })
  symlinkSync(elsewhere, join(home, 'cloud_login.json'))
  await rejectsWith(persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials()), 'local_files', /symbolic link/)
  await rejectsWith(readActive(loc), 'local_files', /symbolic link/)
  assert.ok(lstatSync(join(home, 'cloud_login.json')).isSymbolicLink())
  assert.is(readFileSync(elsewhere, 'utf8'), 'precious')
})

test('permissions wider than 0600 are refused, the file left alone', async () => {
  const { home, loc } = setup()
  await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
  const path = join(home, 'cloud_login.json')
  chmodSync(path, 0o644)
  const before = readFileSync(path)
  const error = await rejectsWith(
    persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-b')),
    'local_files',
    /0644, wider than 0600: run chmod 600/,
  )
  assert.ok(wordsOf(error).includes(path))
  assert.equal(readFileSync(path), before)
  assert.is(mode(path), 0o644)
})

test('a file owned by someone else is refused', async () => {
  if (process.getuid?.() !== 0) return // chown needs root
  const { home, loc } = setup()
  await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
  chownSync(join(home, 'cloud_login.json'), 12345, 12345)
  await rejectsWith(readActive(loc), 'local_files', /not owned by you/)
  await rejectsWith(persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-b')), 'local_files', /not owned by you/)
})

test('an unparsable or invalid file is refused, never overwritten', async () => {
  const { home, loc } = setup()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const path = join(home, 'cloud_login.json')
  writeFileSync(path, '{ not json', { mode: 0o600 })
  await rejectsWith(
    persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials()),
    'local_files',
    /is not a valid omicOS credential file \(it is not JSON\)/,
  )
  assert.is(readFileSync(path, 'utf8'), '{ not json')
  writeFileSync(path, JSON.stringify({ ...fakeCredentials(), process_id: 'x\u001b[31m' }))
  await rejectsWith(readActive(loc), 'local_files', /control characters/)
  writeFileSync(path, JSON.stringify({ ...fakeCredentials(), version: 2 }))
  await rejectsWith(readActive(loc), 'local_files', /newer omicos/)
})

test('the parser rejects missing fields and accepts a written file', () => {
  const text = serializeCredentialFile(fakeCredentials())
  assert.equal(parseCredentialFile(text, '/x'), fakeCredentials())
  const { user_token, ...rest } = fakeCredentials()
  const refusal = (data: unknown): EngineError => {
    try {
      parseCredentialFile(JSON.stringify(data), '/x')
    } catch (error) {
      assert.instance(error, EngineError)
      return error as EngineError
    }
    throw new Error('the parser accepted it')
  }
  const missing = refusal(rest)
  assert.equal(missing.failure, { kind: 'local_files', reason: 'fileInvalid', details: { path: '/x', problem: 'missing', field: 'user_token' } })
  assert.match(wordsOf(missing), /^\/x is not a valid omicOS credential file \(user_token is missing or not a string\)/)
  assert.equal(refusal({ ...fakeCredentials(), server: 'http://evil.example' }).details, { path: '/x', problem: 'server' })
  assert.match(wordsOf(refusal({ ...fakeCredentials(), server: 'http://evil.example' })), /server is not/)
  assert.equal(refusal({ ...fakeCredentials(), logged_in_at: 'yesterday' }).details, { path: '/x', problem: 'notTime', field: 'logged_in_at' })
  // The message is the reason, never the file's contents.
  assert.is(refusal({ ...fakeCredentials(), logged_in_at: 'yesterday' }).message, 'fileInvalid')
})

test('concurrent writes from several processes leave one whole valid file', async () => {
  const { home, ws } = setup()
  const { file, execArgv } = helperCommand('store-writer')
  const accounts = ['acct-1', 'acct-2', 'acct-3', 'acct-4', 'acct-5', 'acct-6']
  const results = await Promise.all(accounts.map((a) => run(process.execPath, [...execArgv, file, home, ws, a, 'false', '20000'], { ms: 30_000 })))
  for (const r of results) assert.match(r.stdout, /^ok /, r.stdout + r.stderr)
  const text = readFileSync(join(home, 'cloud_login.json'), 'utf8')
  const parsed = parseCredentialFile(text, 'x')
  assert.ok(accounts.includes(parsed.user.account_id))
  assert.is(text, serializeCredentialFile({ ...fakeCredentials(parsed.user.account_id), process_name: 'p'.repeat(20000) }))
  assert.equal(extraFiles(home), [])
})

/** Starts a process that sleeps, so its pid is alive; resolves to its pid and a way to stop it. */
const liveProcess = async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
  await timeout(new Promise((resolve) => child.once('spawn', resolve)), 5_000, 'spawn')
  return { pid: child.pid!, stop: () => child.kill('SIGKILL') }
}

test('a lock held by a live process is waited on, then local_files', async () => {
  const { home, loc } = setup()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const holder = await liveProcess()
  try {
    writeLockOf(join(home, 'cloud_login.json.lock'), holder.pid, { purpose: 'renew' })
    const started = Date.now()
    const waits: unknown[] = []
    await rejectsWith(
      persistCredentials({ ...loc, workspaceOnly: false, lock: { waitMs: 400, tellAfterMs: 0, onWait: (wait) => waits.push(wait) } }, fakeCredentials()),
      'local_files',
      new RegExp(`locked by process ${holder.pid} \\(renewing\\), which is still at work: try again when it is done$`),
    )
    assert.equal(waits, [{ file: join(home, 'cloud_login.json'), pid: holder.pid, purpose: 'renew' }], 'the wait is told once, with its holder')
    assert.ok(Date.now() - started >= 400)
    assert.not.ok(existsSync(join(home, 'cloud_login.json')))
  } finally {
    holder.stop()
  }
})

test('a lock left by a dead process is taken over', async () => {
  const { home, loc } = setup()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const dead = await run(process.execPath, ['-e', 'console.log(process.pid)'])
  writeLockOf(join(home, 'cloud_login.json.lock'), Number(dead.stdout))
  const paths = await persistCredentials({ ...loc, workspaceOnly: false, lock: { waitMs: 400 } }, fakeCredentials())
  assert.is(paths.length, 1)
  assert.equal(extraFiles(home), [])
})

test('a lock older than staleMs is taken over even if its process lives', async () => {
  const { home, loc } = setup()
  mkdirSync(home, { recursive: true, mode: 0o700 })
  writeFileSync(join(home, 'cloud_login.json.lock'), JSON.stringify({ pid: process.pid, host: 'elsewhere', at: 0 }))
  await new Promise((r) => setTimeout(r, 120))
  await persistCredentials({ ...loc, workspaceOnly: false, lock: { waitMs: 2_000, staleMs: 100 } }, fakeCredentials())
  assert.equal(extraFiles(home), [])
})

test('logout of B removes only the workspace file of B, not the global login of A', async () => {
  const { home, ws, loc } = setup()
  await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
  await persistCredentials({ ...loc, workspaceOnly: true }, fakeCredentials('acct-b'))
  const active = await readActive(loc)
  assert.is(active?.source, 'workspace')
  assert.is(active?.credentials.user.account_id, 'acct-b')
  const { removed } = await deleteByAccount(loc, 'acct-b')
  assert.equal(removed, [join(ws, '.omicos', 'cloud_login.json')])
  assert.ok(existsSync(join(home, 'cloud_login.json')))
  assert.is((await readActive(loc))?.source, 'global')
  assert.equal(await deleteByAccount(loc, 'acct-b'), { removed: [], revocations: [], held: [] })
  assert.equal((await deleteByAccount(loc, 'acct-a')).removed, [join(home, 'cloud_login.json')])
  assert.is(await readActive(loc), null)
})

test('a plain login also rewrites a workspace file of the same account, and leaves another account alone', async () => {
  const { home, ws, loc } = setup()
  const wsFile = join(ws, '.omicos', 'cloud_login.json')
  await persistCredentials({ ...loc, workspaceOnly: true }, fakeCredentials('acct-a'))
  const again = fakeCredentials('acct-a', { processToken: 'rotated' })
  assert.equal(await persistCredentials({ ...loc, workspaceOnly: false }, again), [join(home, 'cloud_login.json'), wsFile])
  assert.is(readFileSync(wsFile, 'utf8'), readFileSync(join(home, 'cloud_login.json'), 'utf8'))
  assert.equal(await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-c')), [join(home, 'cloud_login.json')])
  assert.is(parseCredentialFile(readFileSync(wsFile, 'utf8'), 'x').process_token, 'rotated')
  assert.equal((await deleteByAccount(loc, 'acct-a')).removed, [wsFile])
})

test('workspace mode keeps the workspace id in workspace.json', async () => {
  const { ws, loc } = setup()
  const before = await resolveWorkspace({ cwd: ws, env: {} })
  assert.is(before.id, await derivedWorkspaceId(ws))
  await persistCredentials({ ...loc, workspaceOnly: true }, fakeCredentials('acct-a', { processId: before.processId }))
  const stored = JSON.parse(readFileSync(join(ws, '.omicos', 'workspace.json'), 'utf8'))
  assert.is(stored.workspace_id, before.id)
  writeFileSync(join(ws, '.omicos', 'workspace.json'), JSON.stringify({ workspace_id: 'kept-id' }))
  assert.is((await resolveWorkspace({ cwd: join(ws), env: {} })).processId, 'local-kept-id')
})

test('workspace root: OMICOS_WORKSPACE, then .omicos (not the global home), then .git, then cwd', async () => {
  const base = tempDir()
  const home = join(base, '.omicos') // the global home sits in base, as ~/.omicos does in ~
  mkdirSync(home)
  const deep = join(base, 'repo', 'pkg', 'src')
  mkdirSync(deep, { recursive: true })
  assert.is(await findWorkspaceRoot({ cwd: deep, env: {}, home }), deep)
  mkdirSync(join(base, 'repo', '.git'))
  assert.is(await findWorkspaceRoot({ cwd: deep, env: {}, home }), join(base, 'repo'))
  mkdirSync(join(base, 'repo', 'pkg', '.omicos'))
  assert.is(await findWorkspaceRoot({ cwd: deep, env: {}, home }), join(base, 'repo', 'pkg'))
  assert.is(await findWorkspaceRoot({ cwd: deep, env: { OMICOS_WORKSPACE: base }, home }), base)
  // In the directory holding the global home, the workspace file would be the global file: none.
  assert.is(await workspaceCredentialPath({ home, cwd: base, env: {} }), null)
  assert.is(globalCredentialPath({ home }), join(home, 'cloud_login.json'))
  // The derived id does not depend on the path used to reach the root.
  symlinkSync(join(base, 'repo'), join(base, 'link'))
  assert.is(await derivedWorkspaceId(join(base, 'link')), await derivedWorkspaceId(join(base, 'repo')))
  assert.match(await derivedWorkspaceId(base), /^[0-9a-f]{16}$/)
})

test('a login registered earlier than the one in the file keeps the file (same account and process)', async () => {
  const { home, loc } = setup()
  const later = fakeCredentials('acct-a', { processToken: 'process-token-later', processRegisteredAt: Date.parse('2026-01-01T00:00:02Z') })
  const earlier = fakeCredentials('acct-a', { processToken: 'process-token-earlier', processRegisteredAt: Date.parse('2026-01-01T00:00:01Z') })
  const file = join(home, 'cloud_login.json')
  assert.equal(await persistLogin({ ...loc, workspaceOnly: false }, later), { written: [file], kept: [] })
  assert.equal(await persistLogin({ ...loc, workspaceOnly: false }, earlier), { written: [], kept: [file] })
  assert.is(parseCredentialFile(readFileSync(file, 'utf8'), file).process_token, 'process-token-later')
  // Another process id, or a file without the time, is simply replaced.
  const elsewhere = fakeCredentials('acct-a', { processId: 'local-other', processRegisteredAt: Date.parse('2026-01-01T00:00:00Z') })
  assert.equal(await persistLogin({ ...loc, workspaceOnly: false }, elsewhere), { written: [file], kept: [] })
  const untimed = fakeCredentials('acct-a', { processId: 'local-other' })
  assert.equal(await persistLogin({ ...loc, workspaceOnly: false }, untimed), { written: [file], kept: [] })
  assert.is(parseCredentialFile(readFileSync(file, 'utf8'), file).process_registered_at, null)
})

/** A temp file as a writer with `pid` leaves it, holding `file`'s bytes. */
const plantTemp = (dir: string, pid: number, file: ReturnType<typeof fakeCredentials>, twin = false) => {
  const path = join(dir, `.cloud_login.json.${pid}.${HOST_TAG}.${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}${twin ? '.twin' : ''}.tmp`)
  writeFileSync(path, serializeCredentialFile(file), { mode: 0o600 })
  return path
}

const DEAD_PID = 999_999_999

test("status sweeps a dead writer's temp, says so, and queues its tokens; take hands them out once, put back keeps them", async () => {
  const { home, loc } = setup()
  await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
  const killed = fakeCredentials('acct-a', { userToken: 'user-killed', refreshToken: 'refresh-killed', processToken: 'process-killed' })
  const temp = plantTemp(home, DEAD_PID, killed)
  const twin = plantTemp(home, DEAD_PID, fakeCredentials('acct-a', { userToken: 'user-twin' }), true)
  const live = plantTemp(home, process.pid, fakeCredentials('acct-a', { userToken: 'user-being-written' }))
  const status = await readStoreStatus(loc)
  assert.equal(status.swept.sort(), [temp, twin].sort())
  assert.is(status.twins, null)
  assert.equal(
    readdirSync(home).filter((n) => n.endsWith('.tmp')),
    [live.slice(home.length + 1)],
    "a live writer's temp stays",
  )
  const taken = await takePendingRevocations(loc)
  assert.equal(taken, [{ server: 'https://auth.omicos.cn', tokens: ['refresh-killed', 'user-killed', 'process-killed'] }], "not the twin's, nor the file's")
  assert.equal(await takePendingRevocations(loc), [])
  await putBackRevocations(loc, taken)
  assert.is(mode(join(home, 'revocations.json')), 0o600)
  assert.equal(await takePendingRevocations(loc), taken)
})

test("logout removes every temp of the account, even one being written, and returns their tokens; another account's stays", async () => {
  const { home, ws, loc } = setup()
  await persistCredentials({ ...loc, workspaceOnly: false }, fakeCredentials('acct-a'))
  await persistCredentials({ ...loc, workspaceOnly: true }, fakeCredentials('acct-a'))
  const wsDir = join(ws, '.omicos')
  plantTemp(home, process.pid, fakeCredentials('acct-a', { userToken: 'user-a-home', refreshToken: null, processToken: 'process-a-home' }))
  plantTemp(wsDir, process.pid, fakeCredentials('acct-a', { userToken: 'user-a-ws', refreshToken: null, processToken: 'process-a-ws' }), true)
  const other = plantTemp(home, process.pid, fakeCredentials('acct-b'))
  const out = await deleteByAccount(loc, 'acct-a')
  assert.equal(out.removed.sort(), [join(home, 'cloud_login.json'), join(wsDir, 'cloud_login.json')].sort())
  assert.equal(out.revocations, [{ server: 'https://auth.omicos.cn', tokens: ['user-a-home', 'process-a-home', 'user-a-ws', 'process-a-ws'] }])
  assert.equal(
    readdirSync(home).filter((n) => n.endsWith('.tmp')),
    [other.slice(home.length + 1)],
  )
  assert.equal(
    readdirSync(wsDir).filter((n) => n.endsWith('.tmp')),
    [],
  )
})

test('twins that differ are reported by status, and neither is rewritten by it', async () => {
  const { home, ws, loc } = setup()
  const older = fakeCredentials('acct-a', { processToken: 'old', processRegisteredAt: Date.parse('2026-01-01T00:00:01Z') })
  const newer = fakeCredentials('acct-a', { processToken: 'new', processRegisteredAt: Date.parse('2026-01-01T00:00:02Z') })
  await persistCredentials({ ...loc, workspaceOnly: false }, older)
  await persistCredentials({ ...loc, workspaceOnly: true }, newer)
  const before = readFileSync(join(home, 'cloud_login.json'))
  const status = await readStoreStatus(loc)
  assert.equal(status.twins, { global: join(home, 'cloud_login.json'), workspace: join(ws, '.omicos', 'cloud_login.json'), newer: 'workspace' })
  assert.equal(readFileSync(join(home, 'cloud_login.json')), before)
})

test.run()
