// Support for the store specs: versions of one login to write, a child process (store-child.ts)
// to kill at chosen instants (optionally under strace, which slows down its fsyncs or renames),
// odd files to put where the store opens, and what a directory holds besides its files.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { fileURLToPath } from 'node:url'
import { buildCredentialFile, type CredentialFile } from '../../effects/store/credential-file.js'
import { localIdentity } from '../../effects/store/process-identity.js'
import { timeout } from './wait.js'

export const STRACE = '/usr/bin/strace'
export const hasStrace = (): boolean => existsSync(STRACE)

const BASE_AT = Date.parse('2026-06-01T00:00:00Z')

/** Version `i` of one login of acct-a: its own tokens, registered `i` seconds after a base time. */
export const storeVersion = (i: number, server = 'https://auth.omicos.cn'): CredentialFile =>
  buildCredentialFile({
    userToken: `user-token-v${i}`,
    userTokenExpiresAt: Date.parse('2030-01-01T00:00:00Z'),
    refreshToken: `refresh-v${i}`,
    processToken: `process-token-v${i}`,
    processTokenExpiresAt: Date.parse('2030-01-01T00:00:00Z'),
    processRegisteredAt: BASE_AT + i * 1_000,
    processId: 'local-0123456789abcdef',
    processName: 'base',
    authMethod: 'password',
    server,
    accountId: 'acct-a',
    email: 'acct-a@example.com',
    tier: 'free',
    loggedInAt: BASE_AT,
  })

export interface StoreChild {
  /** the node process's pid (not strace's) */
  pid: Promise<number>
  /** every line it printed so far */
  lines: string[]
  /** resolves once a line matching `pattern` was printed */
  waitFor(pattern: RegExp, ms?: number): Promise<string>
  /** SIGKILL to the node process (and to strace if it lingers); resolves when both are gone */
  kill(): Promise<void>
  /** resolves when the child exits by itself */
  done: Promise<{ code: number | null; lines: string[] }>
  child: ChildProcess
}

export interface ChildOptions {
  /** slow down every fsync, or every rename, by this many ms (needs strace) */
  slow?: { syscall: 'fsync' | 'rename'; ms: number }
  /** run as another user: [uid, gid] (needs setpriv and root) */
  as?: [number, number]
  /**
   * run in a PID namespace of its own, same hostname (`unshare --pid --fork --mount-proc`, as
   * a container would): its `pid` is then the unshare process's, and its own pid is another
   */
  namespace?: boolean
  /** added to the child's environment (OMICOS_LOCK_STALE_MS, say) */
  env?: NodeJS.ProcessEnv
}

/** Whether PID namespaces can be made here (root, and unshare permitted in this container). */
export const canUnsharePid = (): boolean => spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0

const childScript = () => {
  const here = fileURLToPath(import.meta.url)
  const ts = here.endsWith('.ts')
  return { file: here.replace(/store-files\.(ts|js)$/, `store-child.${ts ? 'ts' : 'js'}`), execArgv: ts ? ['--import', 'tsx'] : [] }
}

/** Starts store-child.ts with `command` and its options. */
export const startStoreChild = (command: string, options: object, how: ChildOptions = {}): StoreChild => {
  const { file, execArgv } = childScript()
  let argv = [process.execPath, ...execArgv, file, command, JSON.stringify(options)]
  if (how.slow) {
    const syscalls = how.slow.syscall === 'fsync' ? 'fsync' : 'rename,renameat,renameat2'
    const when = how.slow.syscall === 'fsync' ? 'delay_enter' : 'delay_exit'
    argv = [STRACE, '-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', `trace=${syscalls}`, '-e', `inject=${syscalls}:${when}=${how.slow.ms * 1000}`, ...argv]
  }
  if (how.as) argv = ['setpriv', `--reuid=${how.as[0]}`, `--regid=${how.as[1]}`, '--clear-groups', ...argv]
  if (how.namespace) argv = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...argv]
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: how.env ? { ...process.env, ...how.env } : process.env })
  const lines: string[] = []
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []
  let buffer = ''
  child.stdout!.on('data', (chunk) => {
    buffer += chunk
    let at: number
    while ((at = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, at)
      buffer = buffer.slice(at + 1)
      lines.push(line)
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(line)
        }
      }
    }
  })
  child.stderr!.resume()
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
  const waitFor = (pattern: RegExp, ms = 20_000) => {
    const seen = lines.find((line) => pattern.test(line))
    if (seen !== undefined) return Promise.resolve(seen)
    return timeout(new Promise<string>((resolve) => waiters.push({ pattern, resolve })), ms, `waiting for ${pattern} from the store child (${lines.join(' | ')})`)
  }
  // A child may take long to start on a busy machine: its pid is only a failure where awaited.
  const pid = how.namespace ? Promise.resolve(child.pid!) : waitFor(/^pid \d+$/, 90_000).then((line) => Number(line.slice(4)))
  pid.catch(() => {})
  const kill = async () => {
    const nodePid = await pid.catch(() => child.pid!)
    try {
      process.kill(nodePid, 'SIGKILL')
    } catch {
      // already gone
    }
    const lingering = setTimeout(() => child.kill('SIGKILL'), 3_000)
    await timeout(exited, 10_000, 'the killed store child to exit')
    clearTimeout(lingering)
  }
  const done = timeout(exited, 60_000, `the store child ${command}`).then((code) => ({ code, lines }))
  return { pid, lines, waitFor, kill, done, child }
}

/** Names in `dir` other than the files a store keeps there (temps, locks, lock leftovers). */
export const leftovers = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.tmp') || name.includes('.lock') || name.endsWith('.stale')) : []

/** Temp files in `dir`. */
export const temps = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.tmp')) : [])

/** Makes a FIFO at `path`. */
export const mkfifo = (path: string): void => {
  const made = spawnSync('mkfifo', [path])
  if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr}`)
}

/** Listens on a Unix socket at `path`; close it after the test. */
export const unixSocket = (path: string): Promise<Server> =>
  timeout(
    new Promise<Server>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(path, () => resolve(server))
    }),
    5_000,
    `listening on ${path}`,
  )

/** Whether bind mounts can be made here (root, and mount permitted in this container). */
export const canBindMount = (dir: string): boolean => {
  if (process.getuid?.() !== 0) return false
  const bind = spawnSync('mount', ['--bind', dir, dir])
  if (bind.status !== 0) return false
  spawnSync('umount', [dir])
  return true
}

/** Makes `dir` a read-only bind mount of itself; returns the undo. */
export const mountReadOnly = (dir: string): (() => void) => {
  const run = (args: string[]) => {
    const out = spawnSync('mount', args)
    if (out.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${out.stderr}`)
  }
  run(['--bind', dir, dir])
  try {
    run(['-o', 'remount,ro,bind', dir])
  } catch (error) {
    spawnSync('umount', [dir])
    throw error
  }
  return () => {
    spawnSync('umount', [dir])
  }
}

/**
 * Writes the lock at `lockPath` as process `pid` of this host, boot and PID namespace would,
 * for `purpose`; with `heartbeat`, keeps its mtime fresh as a live holder does. Returns the stop.
 */
export const writeLockOf = (lockPath: string, pid: number, options: { purpose?: string; heartbeat?: boolean; identity?: object } = {}): (() => void) => {
  writeFileSync(lockPath, JSON.stringify({ pid, ...localIdentity(), ...options.identity, at: Date.now(), purpose: options.purpose ?? 'write' }), { mode: 0o600 })
  if (!options.heartbeat) return () => {}
  const beat = setInterval(() => {
    const now = new Date()
    try {
      utimesSync(lockPath, now, now)
    } catch {
      // taken over or removed
    }
  }, 100)
  return () => clearInterval(beat)
}
