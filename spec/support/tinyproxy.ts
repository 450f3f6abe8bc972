// A real forward proxy for a test: Debian's tinyproxy (installed by .ci/run), in the
// foreground on a free loopback port, with its own config and log file in a temp folder.
// Its log names each request: `Request (file descriptor N): GET http://host:port/path` for
// an http target, `CONNECT host:port` for a tunnel. Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sleep, timeout } from './wait.js'

export const TINYPROXY_BIN = ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy'].find((path) => existsSync(path)) ?? 'tinyproxy'

export interface Tinyproxy {
  /** http://127.0.0.1:PORT (no credentials) */
  url: string
  port: number
  /** the log file's lines that name a request (`GET http://...`, `CONNECT host:port`) */
  requests(): string[]
  stop(): Promise<void>
}

/** A loopback port nothing listens on (it was free a moment ago). */
export const freePort = (): Promise<number> =>
  timeout(
    new Promise<number>((resolve, reject) => {
      const server = createServer()
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number }
        server.close(() => resolve(port))
      })
    }),
    5_000,
    'finding a free port',
  )

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/** Starts tinyproxy; `basicAuth` makes it answer 407 to any request without those credentials. */
export async function startTinyproxy(options: { basicAuth?: { user: string; password: string } } = {}): Promise<Tinyproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-tinyproxy-'))
  const log = join(dir, 'tinyproxy.log')
  const port = await freePort()
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  // As root tinyproxy must be given a user to drop to, who must be able to write its log.
  if (asRoot) chmodSync(dir, 0o777)
  const config = [
    ...(asRoot ? ['User nobody', 'Group nogroup'] : []),
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${log}"`,
    'LogLevel Info',
    'MaxClients 20',
    'Allow 127.0.0.1',
    ...(options.basicAuth ? [`BasicAuth ${options.basicAuth.user} ${options.basicAuth.password}`] : []),
  ]
  const configFile = join(dir, 'tinyproxy.conf')
  writeFileSync(configFile, `${config.join('\n')}\n`)
  const child: ChildProcess = spawn(TINYPROXY_BIN, ['-d', '-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await timeout(exited, 5_000, 'stopping tinyproxy').catch(() => child.kill('SIGKILL'))
    rmSync(dir, { recursive: true, force: true })
  }
  const ready = async () => {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`tinyproxy exited (${child.exitCode}): ${output}`)
      if (await accepts(port)) return
      await sleep(50)
    }
  }
  try {
    await timeout(ready(), 10_000, 'tinyproxy to listen')
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests: () => {
      let text = ''
      try {
        text = readFileSync(log, 'utf8')
      } catch {}
      return text
        .split('\n')
        .map((line) => line.match(/Request \(file descriptor \d+\): (.*)$/)?.[1])
        .filter((line): line is string => Boolean(line))
    },
    stop,
  }
}
