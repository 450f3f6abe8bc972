// Writers in two PID namespaces with one hostname, as in containers given the host's name
// (Apptainer --containall, podman, docker): the holder runs on the host, the other process in
// a PID namespace of its own (`unshare --pid --fork --mount-proc`), where the holder's pid
// names nobody. A live lock is not taken over (its heartbeat says it lives), a stopped holder
// is (no heartbeat) and then renames nothing, and a read-only `omicos login --status` there
// sweeps neither a live writer's temp nor its lock.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { persistLogin } from '../../../effects/store/index.js'
import { REVOCATION_FILE } from '../../../effects/store/revocation-queue.js'
import { tempDir } from '../../support/effects.js'
import { CLI_BIN } from '../../support/cli.js'
import { canUnsharePid, hasStrace, leftovers, startStoreChild, storeVersion, temps } from '../../support/store-files.js'
import { sleep, timeout } from '../../support/wait.js'

// Short enough that a stopped holder is taken over within the spec, long enough for a
// heartbeat (every third of it) on a busy machine.
const STALE = { OMICOS_LOCK_STALE_MS: '2000' }
const ROUNDS = 4
const usable = canUnsharePid()
if (!usable) console.log('note: PID namespaces cannot be made here (unshare --pid needs root): the namespace specs are skipped')

const place = () => {
  const base = tempDir('omicos-ns-')
  const home = join(base, 'home')
  const cwd = join(base, 'elsewhere')
  mkdirSync(home, { recursive: true, mode: 0o700 })
  mkdirSync(cwd, { recursive: true })
  return { base, home, cwd, file: join(home, 'cloud_login.json') }
}

test(`a live lock held on the host is not taken over from another PID namespace (${ROUNDS} rounds, each waiting past the stale time)`, async () => {
  if (!usable) return
  for (let round = 1; round <= ROUNDS; round++) {
    const { file } = place()
    const holder = startStoreChild('hold', { file, purpose: 'renew', holdMs: 6_000 }, { env: STALE })
    await holder.waitFor(/^held$/)
    const holderPid = await holder.pid
    // The pid the old rule judged: no such process in a fresh namespace.
    assert.ok(holderPid > 10, `the holder's pid ${holderPid} names nobody in a new namespace`)
    const taker = startStoreChild('acquire', { file, waitMs: 4_500 }, { namespace: true, env: STALE })
    const { lines } = await taker.done
    assert.match(
      lines.at(-1) ?? '',
      new RegExp(`^error local_files .* is locked by process ${holderPid} \\(renewing\\), which is still at work`),
      `round ${round}: ${lines.join(' | ')}`,
    )
    await holder.waitFor(/^fence (ok|lost)$/, 20_000)
    assert.ok(holder.lines.includes('fence ok'), `round ${round}: the holder still held its lock when it came to write`)
    await holder.done
  }
})

test(`a stopped holder is taken over from another PID namespace once its heartbeat is stale, and then renames nothing (${ROUNDS} rounds)`, async () => {
  if (!usable) return
  for (let round = 1; round <= ROUNDS; round++) {
    const { file } = place()
    const holder = startStoreChild('hold', { file, purpose: 'register', holdMs: 1_000 }, { env: STALE })
    await holder.waitFor(/^held$/)
    const holderPid = await holder.pid
    process.kill(holderPid, 'SIGSTOP')
    try {
      const taker = startStoreChild('acquire', { file, waitMs: 20_000 }, { namespace: true, env: STALE })
      const { lines } = await taker.done
      assert.ok(lines.includes('acquired'), `round ${round}: ${lines.join(' | ')}`)
    } finally {
      process.kill(holderPid, 'SIGCONT')
    }
    await holder.waitFor(/^fence (ok|lost)$/, 20_000)
    assert.ok(holder.lines.includes('fence lost'), `round ${round}: the resumed holder knows it lost the lock (${holder.lines.join(' | ')})`)
    await holder.done
  }
})

/** `omicos login --status` in a PID namespace of its own; resolves to its exit code and output. */
const statusInNamespace = (home: string, cwd: string) =>
  timeout(
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child', process.execPath, CLI_BIN, 'login', '--status'], {
        cwd,
        env: { PATH: process.env.PATH, HOME: home, OMICOS_HOME: home, ...STALE },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (chunk) => (out += chunk))
      child.stderr.on('data', (chunk) => (out += chunk))
      child.once('close', (code) => resolve({ code, out }))
    }),
    30_000,
    'omicos login --status in a namespace',
  )

test("a read-only status in another PID namespace sweeps neither a live writer's temp nor its lock, however old the temp", async () => {
  if (!usable || !hasStrace()) {
    if (usable) console.log('  (skipped: strace is not installed)')
    return
  }
  const { home, cwd, file } = place()
  await persistLogin({ home, cwd, env: {}, workspaceOnly: false }, storeVersion(1))
  // The writer sits in the fsync of its temp for 6 s, holding the lock, heartbeating.
  const writer = startStoreChild('write', { home, cwd, from: 2, to: 2 }, { slow: { syscall: 'fsync', ms: 6_000 }, env: STALE })
  await timeout(
    (async () => {
      while (temps(home).length === 0) await sleep(20)
    })(),
    20_000,
    "the writer's temp to appear",
  )
  // Older than the stale time, and written by a pid that names nobody in the namespace.
  await sleep(2_500)
  const [temp] = temps(home)
  const status = await statusInNamespace(home, cwd)
  assert.is(status.code, 0, status.out)
  assert.ok(existsSync(join(home, temp!)), "the live writer's temp is still there")
  assert.ok(existsSync(`${file}.lock`), 'its lock is still there')
  assert.not.ok(existsSync(join(home, REVOCATION_FILE)), 'nothing of it was queued for revocation')
  const { lines } = await writer.done
  assert.ok(lines.includes('wrote 2'), lines.join(' | '))
  assert.equal(leftovers(home), [], 'the writer finished cleanly: no temp, no lock')
  assert.is(statSync(file).mode & 0o777, 0o600)
})

test.run()
