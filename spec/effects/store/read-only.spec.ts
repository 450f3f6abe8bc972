// The login pre-flight (checkLoginTargets) finds what would stop a login from writing before
// anything goes online: a read-only home or workspace (bind mounts, so that root, for whom
// access(W_OK) says yes, is tested too), a directory an unprivileged user cannot write or does
// not own, and a lock held by a live process. Each fails with local_files and writes nothing;
// status still reads a read-only home.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve, sep } from 'node:path'
import { EngineError } from '../../../effects/client/engine-error.js'
import { checkLoginTargets, persistLogin, readStoreStatus } from '../../../effects/store/index.js'
import { HOST_TAG } from '../../../effects/store/private-file.js'
import { tempDir } from '../../support/effects.js'
import { canBindMount, mountReadOnly, startStoreChild, storeVersion, writeLockOf } from '../../support/store-files.js'
import { timeout } from '../../support/wait.js'
import { wordsOf } from '../../support/failure-words.js'

const rejectsLocal = async (promise: Promise<unknown>, pattern: RegExp) => {
  try {
    await timeout(promise, 10_000, 'the pre-flight')
  } catch (error) {
    assert.instance(error, EngineError, String(error))
    assert.is((error as EngineError).kind, 'local_files')
    assert.match(wordsOf(error), pattern)
    return
  }
  assert.unreachable('the pre-flight passed')
}

/** Every name under `dir` with its bytes, to show nothing was written. */
const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {}
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name)
      if (entry.isDirectory()) walk(p)
      else out[p] = readFileSync(p, 'base64')
    }
  }
  walk(dir)
  return out
}

/** A home with a global login and a workspace with its twin, both of version 0. */
const loggedIn = async () => {
  const base = tempDir('omicos-ro-')
  const home = join(base, 'home')
  const ws = join(base, 'project')
  mkdirSync(join(ws, '.git'), { recursive: true })
  const loc = { home, cwd: ws, env: {} }
  await persistLogin({ ...loc, workspaceOnly: true }, storeVersion(0))
  await persistLogin({ ...loc, workspaceOnly: false }, storeVersion(0))
  return { base, home, ws, loc }
}

test('a read-only home or workspace (bind mounts): the pre-flight fails with local_files and nothing is written', async () => {
  const s = await loggedIn()
  if (!canBindMount(s.home)) {
    console.log('note: bind mounts are not permitted here (needs root and mount): the read-only mount cases are skipped')
    return
  }
  // A dead writer's temp, with tokens, for status to find on the read-only home.
  const temp = join(s.home, `.cloud_login.json.999999999.${HOST_TAG}.0123456789ab.tmp`)
  writeFileSync(temp, readFileSync(join(s.home, 'cloud_login.json')).toString().replace(/-v0/g, '-v9'), { mode: 0o600 })
  let before = snapshot(s.base)

  let undo = mountReadOnly(s.home)
  try {
    await rejectsLocal(checkLoginTargets({ ...s.loc, workspaceOnly: false }), /cannot write in .*home: the file system is read-only/)
    const status = await timeout(readStoreStatus(s.loc), 5_000, 'status on a read-only home')
    assert.is(status.active?.source, 'workspace', 'status still reads')
    assert.equal(status.swept, [], 'a temp that cannot be queued and removed is left for later')
  } finally {
    undo()
  }
  assert.equal(snapshot(s.base), before)
  rmSync(temp)
  before = snapshot(s.base)

  undo = mountReadOnly(s.ws)
  try {
    await rejectsLocal(checkLoginTargets({ ...s.loc, workspaceOnly: true }), /cannot write in .*project\/\.omicos: the file system is read-only/)
    // A plain login also rewrites the workspace's twin: the read-only workspace stops it too.
    await rejectsLocal(checkLoginTargets({ ...s.loc, workspaceOnly: false }), /cannot write in .*project\/\.omicos: the file system is read-only/)
  } finally {
    undo()
  }
  assert.equal(snapshot(s.base), before)
})

const NOBODY: [number, number] = [65534, 65534]

/** The first folder from `/` down to `dir` that other users cannot pass through, or null. */
const foldersClosedToOthers = (dir: string): string | null => {
  const parts = resolve(dir).split(sep).filter(Boolean)
  for (let i = 0; i <= parts.length; i++) {
    const folder = sep + parts.slice(0, i).join(sep)
    if ((statSync(folder).mode & 0o001) === 0) return folder
  }
  return null
}

test('as an unprivileged user: an unwritable or foreign home or workspace fails the pre-flight with local_files, nothing written', async () => {
  if (process.getuid?.() !== 0) {
    console.log('note: not root: running the pre-flight as another user needs root, skipped')
    return
  }
  // The child runs this checkout's code as nobody: every folder above it must let others through
  // (a checkout inside `mktemp -d`, mode 700, does not).
  const closed = foldersClosedToOthers(process.cwd())
  if (closed) {
    console.log(
      `note: ${closed} (mode ${(statSync(closed).mode & 0o777).toString(8)}) does not let other users reach this checkout: the cases as nobody are skipped`,
    )
    return
  }
  const base = tempDir('omicos-nobody-')
  chmodSync(base, 0o755)
  const own = (p: string, mode: number) => {
    mkdirSync(p, { recursive: true })
    chownSync(p, ...NOBODY)
    chmodSync(p, mode)
  }
  const ws = join(base, 'project')
  own(ws, 0o755)
  own(join(ws, '.git'), 0o755)
  const cases: Array<{ name: string; home: string; workspaceOnly: boolean; pattern: RegExp }> = []
  // The home is theirs but 0500.
  own(join(base, 'ro-home'), 0o500)
  cases.push({
    name: 'a home of theirs they cannot write',
    home: join(base, 'ro-home'),
    workspaceOnly: false,
    pattern: /cannot write in .*ro-home: permission denied/,
  })
  // The home is root's.
  mkdirSync(join(base, 'roots-home'), { mode: 0o700 })
  chmodSync(join(base, 'roots-home'), 0o755)
  cases.push({ name: "a home of root's", home: join(base, 'roots-home'), workspaceOnly: false, pattern: /roots-home is not owned by you/ })
  // No home yet, in a directory they cannot write.
  mkdirSync(join(base, 'locked'), { mode: 0o755 })
  chmodSync(join(base, 'locked'), 0o755)
  cases.push({
    name: 'a home to create where they cannot',
    home: join(base, 'locked', 'home'),
    workspaceOnly: false,
    pattern: /cannot write in .*locked\/home \(nor create it in .*locked\): permission denied/,
  })
  // A workspace .omicos of theirs, 0500.
  own(join(base, 'home'), 0o700)
  own(join(ws, '.omicos'), 0o500)
  cases.push({
    name: 'a workspace of theirs they cannot write',
    home: join(base, 'home'),
    workspaceOnly: true,
    pattern: /cannot write in .*project\/\.omicos: permission denied/,
  })

  const before = snapshot(base)
  for (const c of cases) {
    const child = startStoreChild('preflight', { home: c.home, cwd: ws, workspaceOnly: c.workspaceOnly }, { as: NOBODY })
    const { lines } = await child.done
    const last = lines.at(-1) ?? ''
    assert.match(last, /^error local_files /, `${c.name}: ${lines.join(' | ')}`)
    assert.match(last, c.pattern, c.name)
  }
  assert.equal(snapshot(base), before)
})

test('a lock held by a live process fails the pre-flight once the lock wait is over, with nothing written', async () => {
  const s = await loggedIn()
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' })
  try {
    await timeout(new Promise((resolve) => holder.once('spawn', resolve)), 5_000, 'spawn')
    writeLockOf(join(s.home, 'cloud_login.json.lock'), holder.pid!)
    const before = snapshot(s.base)
    await rejectsLocal(checkLoginTargets({ ...s.loc, workspaceOnly: false, lock: { waitMs: 300 } }), new RegExp(`locked by process ${holder.pid}`))
    assert.equal(snapshot(s.base), before)
  } finally {
    holder.kill('SIGKILL')
  }
  // Once its holder is gone, the lock no longer stops a login.
  await timeout(new Promise((resolve) => holder.once('close', resolve)), 5_000, 'the holder to exit')
  await timeout(checkLoginTargets({ ...s.loc, workspaceOnly: false, lock: { waitMs: 300 } }), 5_000, 'the pre-flight')
})

test.run()
