// A FIFO, a socket, a directory, a symlink or a device at every path the store opens (the credential
// files, their locks, a dead writer's temp, a pending pairing and its claim, workspace.json),
// and a symlinked, foreign or too open `.omicos`: every operation fails with local_files
// within a second, never waits on the file, and leaves it and whatever a link points to as
// they were.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:net'
import { join } from 'node:path'
import { EngineError } from '../../../effects/client/engine-error.js'
import { checkLoginTargets, deleteByAccount, persistLogin, readActive } from '../../../effects/store/index.js'
import { createPendingPairings } from '../../../effects/store/pending-pairing.js'
import { HOST_TAG } from '../../../effects/store/private-file.js'
import { resolveWorkspace } from '../../../effects/store/workspace.js'
import { fakeCredentials, tempDir } from '../../support/effects.js'
import { mkfifo, storeVersion, unixSocket } from '../../support/store-files.js'
import { timeout } from '../../support/wait.js'
import { wordsOf } from '../../support/failure-words.js'

type Kind = 'fifo' | 'socket' | 'directory' | 'symlink' | 'device'
// A device node (a copy of /dev/null) needs root to make.
const KINDS: Kind[] = ['fifo', 'socket', 'directory', 'symlink', ...(process.getuid?.() === 0 ? (['device'] as const) : [])]

const sockets: Server[] = []
test.after(async () => {
  for (const server of sockets) await timeout(new Promise<void>((resolve) => server.close(() => resolve())), 5_000, 'closing a socket')
})

const setup = () => {
  const base = tempDir('omicos-odd-')
  const home = join(base, 'home')
  const ws = join(base, 'project')
  mkdirSync(home, { mode: 0o700 })
  mkdirSync(join(ws, '.git'), { recursive: true })
  mkdirSync(join(ws, '.omicos'), { mode: 0o700 })
  const target = join(base, 'elsewhere.json')
  writeFileSync(target, 'precious', { mode: 0o644 })
  return { base, home, ws, target, loc: { home, cwd: ws, env: {}, lock: { waitMs: 3_000 } } }
}

/** Puts a `kind` at `path`; what lstat says it is, to check it is left as it was. */
const plant = async (kind: Kind, path: string, target: string): Promise<string | null> => {
  if (kind === 'fifo') mkfifo(path)
  if (kind === 'socket') sockets.push(await unixSocket(path))
  if (kind === 'directory') mkdirSync(path)
  if (kind === 'symlink') symlinkSync(target, path)
  if (kind === 'device' && spawnSync('mknod', [path, 'c', '1', '3']).status !== 0) {
    console.log(`note: mknod is not permitted here: the device case at ${path} is skipped`)
    return null
  }
  return describe(path)
}

const describe = (path: string) => {
  const s = lstatSync(path)
  const kinds = [
    s.isFIFO() && 'fifo',
    s.isSocket() && 'socket',
    s.isDirectory() && 'directory',
    s.isSymbolicLink() && 'symlink',
    s.isCharacterDevice() && 'device',
    s.isFile() && 'file',
  ]
  return `${kinds.filter(Boolean).join()} ${s.mode & 0o7777} ${s.ino}`
}

/** The operation fails with local_files, in under a second: a wait on the file would take longer. */
const refused = async (what: string, operation: () => Promise<unknown>, pattern?: RegExp) => {
  try {
    await timeout(operation(), 1_000, what)
  } catch (error) {
    assert.instance(error, EngineError, `${what}: ${String(error)}`)
    assert.is((error as EngineError).kind, 'local_files', `${what}: ${wordsOf(error)}`)
    if (pattern) assert.match(wordsOf(error), pattern, what)
    return
  }
  assert.unreachable(`${what} succeeded`)
}

/** A pid that no process has now. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout)

const PATHS: Array<{
  name: string
  path: (s: ReturnType<typeof setup>) => string
  operations: (s: ReturnType<typeof setup>) => Record<string, () => Promise<unknown>>
}> = [
  {
    name: 'the global credential file',
    path: (s) => join(s.home, 'cloud_login.json'),
    operations: (s) => ({
      status: () => readActive(s.loc),
      'pre-flight': () => checkLoginTargets({ ...s.loc, workspaceOnly: false }),
      login: () => persistLogin({ ...s.loc, workspaceOnly: false }, fakeCredentials()),
      logout: () => deleteByAccount(s.loc, 'acct-a'),
    }),
  },
  {
    name: 'the workspace credential file',
    path: (s) => join(s.ws, '.omicos', 'cloud_login.json'),
    operations: (s) => ({
      status: () => readActive(s.loc),
      'pre-flight': () => checkLoginTargets({ ...s.loc, workspaceOnly: true }),
      login: () => persistLogin({ ...s.loc, workspaceOnly: true }, fakeCredentials()),
      logout: () => deleteByAccount(s.loc, 'acct-a'),
    }),
  },
  {
    name: 'the lock',
    path: (s) => join(s.home, 'cloud_login.json.lock'),
    operations: (s) => ({
      status: () => readActive(s.loc),
      'pre-flight': () => checkLoginTargets({ ...s.loc, workspaceOnly: false }),
      login: () => persistLogin({ ...s.loc, workspaceOnly: false }, fakeCredentials()),
      logout: () => deleteByAccount(s.loc, 'acct-a'),
    }),
  },
  {
    name: "a dead writer's temp",
    path: (s) => join(s.home, `.cloud_login.json.${deadPid()}.${HOST_TAG}.0123456789ab.tmp`),
    operations: (s) => ({
      status: () => readActive(s.loc),
      'pre-flight': () => checkLoginTargets({ ...s.loc, workspaceOnly: false }),
      login: () => persistLogin({ ...s.loc, workspaceOnly: false }, fakeCredentials()),
      logout: () => deleteByAccount(s.loc, 'acct-a'),
    }),
  },
  {
    name: 'a pending pairing',
    path: (s) => {
      mkdirSync(join(s.home, 'pending'), { mode: 0o700 })
      return pairings(s).file
    },
    operations: (s) => ({ 'resume a pairing': () => pairings(s).read() }),
  },
  {
    name: "a pending pairing's claim",
    path: (s) => {
      mkdirSync(join(s.home, 'pending'), { mode: 0o700 })
      return `${pairings(s).file}.lock`
    },
    operations: (s) => ({ 'claim a pairing': () => pairings(s).claim() }),
  },
  {
    name: 'workspace.json',
    path: (s) => join(s.ws, '.omicos', 'workspace.json'),
    operations: (s) => ({
      'resolve the workspace': () => resolveWorkspace({ cwd: s.ws, env: {}, home: s.home }),
      'pre-flight': () => checkLoginTargets({ ...s.loc, workspaceOnly: true }),
      login: () => persistLogin({ ...s.loc, workspaceOnly: true }, storeVersion(1)),
    }),
  },
]

const pairings = (s: ReturnType<typeof setup>) => createPendingPairings(s.home, { server: 'https://auth.omicos.cn', workspaceRoot: s.ws, workspaceOnly: false })

for (const where of PATHS) {
  test(`a FIFO, a socket, a directory, a symlink or a device at ${where.name}: local_files within a second, left as it was`, async () => {
    for (const kind of KINDS) {
      const s = setup()
      const path = where.path(s)
      const planted = await plant(kind, path, s.target)
      if (planted === null) continue
      for (const [name, operation] of Object.entries(where.operations(s))) {
        await refused(`${name} with a ${kind} at ${where.name}`, operation, /claim/.test(name) ? /^(?!another omicos)/ : undefined)
        assert.is(describe(path), planted, `${name} left the ${kind} as it was`)
      }
      assert.is(readFileSync(s.target, 'utf8'), 'precious', "the link's target is untouched")
      assert.is(statSync(s.target).mode & 0o777, 0o644)
    }
  })
}

/** The directory the `.omicos` link points to: still 0755 and empty after every operation. */
const linkedOmicos = () => {
  const s = setup()
  spawnSync('rm', ['-rf', join(s.ws, '.omicos')])
  const publicHtml = join(s.base, 'public_html')
  mkdirSync(publicHtml)
  chmodSync(publicHtml, 0o755)
  symlinkSync(publicHtml, join(s.ws, '.omicos'))
  return { ...s, publicHtml }
}

const workspaceOperations = (s: ReturnType<typeof setup>) => ({
  'workspace login': () => persistLogin({ ...s.loc, workspaceOnly: true }, fakeCredentials()),
  'plain login': () => persistLogin({ ...s.loc, workspaceOnly: false }, fakeCredentials()),
  'pre-flight of a workspace login': () => checkLoginTargets({ ...s.loc, workspaceOnly: true }),
  'pre-flight of a plain login': () => checkLoginTargets({ ...s.loc, workspaceOnly: false }),
  status: () => readActive(s.loc),
  logout: () => deleteByAccount(s.loc, 'acct-a'),
  'resolve the workspace': () => resolveWorkspace({ cwd: s.ws, env: {}, home: s.home }),
})

test('a symlinked .omicos (ln -s ~/public_html repo/.omicos) is refused; the directory it points to is untouched', async () => {
  const s = linkedOmicos()
  for (const [name, operation] of Object.entries(workspaceOperations(s))) {
    await refused(name, operation, /symbolic link/)
    assert.is(statSync(s.publicHtml).mode & 0o777, 0o755, `${name} left the target's mode`)
    assert.equal(readdirSync(s.publicHtml), [], `${name} wrote nothing there`)
  }
})

test('a .omicos owned by someone else is refused and left as it was', async () => {
  if (process.getuid?.() !== 0) {
    console.log('note: not root: the foreign-owned .omicos case needs chown, skipped')
    return
  }
  const s = setup()
  const dir = join(s.ws, '.omicos')
  chmodSync(dir, 0o777)
  chownSync(dir, 12345, 12345)
  for (const [name, operation] of Object.entries(workspaceOperations(s))) {
    await refused(name, operation, /not owned by you/)
    assert.is(statSync(dir).mode & 0o777, 0o777, `${name} left its mode`)
    assert.is(statSync(dir).uid, 12345)
    assert.equal(readdirSync(dir), [])
  }
})

test('a symlinked home is refused, its target untouched', async () => {
  const s = setup()
  const real = join(s.base, 'real-home')
  mkdirSync(real, { mode: 0o755 })
  chmodSync(real, 0o755)
  const home = join(s.base, 'linked-home')
  symlinkSync(real, home)
  const loc = { ...s.loc, home }
  await refused('status', () => readActive(loc), /symbolic link/)
  await refused('login', () => persistLogin({ ...loc, workspaceOnly: false }, fakeCredentials()), /symbolic link/)
  await refused('pre-flight', () => checkLoginTargets({ ...loc, workspaceOnly: false }), /symbolic link/)
  await refused('claim a pairing', () => createPendingPairings(home, { server: 'https://auth.omicos.cn', workspaceRoot: s.ws, workspaceOnly: false }).claim())
  assert.equal(readdirSync(real), [])
  assert.is(statSync(real).mode & 0o777, 0o755)
})

test('a .omicos of yours wider than 0700 is tightened when a plain login rewrites the workspace copy', async () => {
  const s = setup()
  await persistLogin({ ...s.loc, workspaceOnly: true }, fakeCredentials('acct-a'))
  chmodSync(join(s.ws, '.omicos'), 0o777)
  chmodSync(s.home, 0o755)
  const written = await persistLogin({ ...s.loc, workspaceOnly: false }, fakeCredentials('acct-a', { processToken: 'rotated' }))
  assert.is(written.written.length, 2)
  assert.is(statSync(join(s.ws, '.omicos')).mode & 0o777, 0o700)
  assert.is(statSync(s.home).mode & 0o777, 0o700)
})

test.run()
