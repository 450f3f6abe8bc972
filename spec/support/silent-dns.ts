// A name server that never answers, seen only by the processes started through it: a UDP
// socket on a loopback address of its own (127.x.y.z, port 53) that reads every query and
// answers none, and a resolv.conf naming it that a mount namespace of the child's own
// (`unshare --mount`, root only) binds over /etc/resolv.conf. The resolver is told to wait
// as long as glibc allows (30 s a try, 5 tries), so a process that waits for its look-up
// outlives any spec's time limit.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { timeout } from './wait.js'

/** Whether this machine lets us make a mount namespace and bind a file in it. */
export const canBindResolvConf = (): boolean =>
  spawnSync('unshare', ['--mount', 'sh', '-c', 'mount --bind /etc/hostname /etc/hostname'], { stdio: 'ignore', timeout: 5_000 }).status === 0

export interface SilentDns {
  /** the loopback address it listens on */
  address: string
  /** a host name no file knows, so its look-up goes to this server; unique to this server */
  host: string
  queries(): number
  /** `argv` run with this server as the only name server (a mount namespace of its own) */
  wrap(argv: string[]): string[]
  close(): Promise<void>
}

export async function startSilentDns(): Promise<SilentDns> {
  const socket = dgram.createSocket('udp4')
  let count = 0
  socket.on('message', () => void count++)
  // 127/8 is loopback on Linux: an address of its own keeps parallel runs, and any local
  // resolver on 127.0.0.53, apart.
  let address = ''
  for (let tries = 0; ; tries++) {
    address = `127.${2 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 250)}`
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind(53, address, () => {
          socket.off('error', reject)
          resolve()
        })
      })
      break
    } catch (error) {
      if (tries >= 5) throw error
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'omicos-dns-'))
  const resolvConf = join(dir, 'resolv.conf')
  writeFileSync(resolvConf, `nameserver ${address}\noptions timeout:30 attempts:5\n`)
  const host = `auth-${address.replaceAll('.', '-')}-${process.pid}.silent.test`
  return {
    address,
    host,
    queries: () => count,
    wrap: (argv) => ['unshare', '--mount', 'sh', '-c', 'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolvConf, ...argv],
    close: async () => {
      await new Promise<void>((resolve) => socket.close(() => resolve()))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Processes whose command line holds `text` (a look-up still running, say). */
export const processesNaming = (text: string): number[] =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)
      } catch {
        return false
      }
    })
    .map(Number)

export interface TimedRun {
  code: number | null
  stdout: string
  stderr: string
  /** process.hrtime.bigint() when each chunk of output arrived, and at the exit */
  lastOutputAt: bigint
  exitAt: bigint
}

/** Runs `argv` to its end (at most `limitMs`), noting when its last output came and when it ended. */
export function runNoting(argv: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; limitMs: number }): Promise<TimedRun> {
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let lastOutputAt = process.hrtime.bigint()
  child.stdout!.on('data', (d) => {
    stdout += d
    lastOutputAt = process.hrtime.bigint()
  })
  child.stderr!.on('data', (d) => {
    stderr += d
    lastOutputAt = process.hrtime.bigint()
  })
  child.stdin!.end(options.input ?? '')
  // 'exit' is the process ending; 'close' also waits for pipes a grandchild might hold.
  const ended = new Promise<TimedRun>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr, lastOutputAt, exitAt: process.hrtime.bigint() })))
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return timeout(
    ended.then(async (run) => {
      await closed
      return { ...run, stdout, stderr }
    }),
    options.limitMs,
    `${argv.join(' ')} to end`,
  ).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}
