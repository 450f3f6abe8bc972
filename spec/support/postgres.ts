// A throwaway PostgreSQL for the specs: Debian's binaries (on PATH, or where Debian puts them,
// /usr/lib/postgresql/N/bin), a cluster in a temporary folder, listening on a free loopback
// port and a socket in that folder, stopped and removed after. initdb refuses to run as root
// (CI runs as root), so there the cluster belongs to `nobody` and the server is started with
// setpriv, which execs: the child's pid is the postgres server's own, and it is the one
// stopped. Every wait is bounded.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import pg from 'pg'
import { sleep, timeout } from './wait.js'

const UNPRIVILEGED = { uid: 65534, gid: 65534 } // nobody:nogroup on Debian

export function findPostgresBin(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
    dirs.push(...versions.map((v) => join(debian, v, 'bin')))
  }
  return dirs.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface TestPostgres {
  port: number
  /** The server's address without a database, for createDatabase and OMICOS_TEST_POSTGRES. */
  server: string
  /** A connection string for a new, empty database. */
  createDatabase(name?: string): Promise<string>
  stop(): Promise<void>
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin()
  if (!bin) throw new Error('PostgreSQL is not installed: no initdb on PATH or under /usr/lib/postgresql (apt-get install postgresql)')
  const asRoot = process.getuid?.() === 0
  const base = mkdtempSync(join(tmpdir(), 'omicos-auth-pg-'))
  const dataDir = join(base, 'data')
  if (asRoot) chownSync(base, UNPRIVILEGED.uid, UNPRIVILEGED.gid)
  chmodSync(base, 0o700)
  const asUser = (command: string, args: string[]): [string, string[]] =>
    asRoot ? ['setpriv', [`--reuid=${UNPRIVILEGED.uid}`, `--regid=${UNPRIVILEGED.gid}`, '--clear-groups', join(bin, command), ...args]] : [join(bin, command), args]

  const [initCommand, initArgs] = asUser('initdb', ['-D', dataDir, '-U', 'omicos', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  const init = spawnSync(initCommand, initArgs, { encoding: 'utf8', timeout: 60_000, cwd: base })
  if (init.status !== 0) {
    rmSync(base, { recursive: true, force: true })
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr.slice(-500)}`)
  }

  const port = await freePort()
  const [command, args] = asUser('postgres', [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    base,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ])
  const child: ChildProcess = spawn(command, args, { cwd: base, stdio: ['ignore', 'ignore', 'pipe'] })
  let log = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const connect = (database: string) => new pg.Client({ host: '127.0.0.1', port, user: 'omicos', database })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT') // fast shutdown
      await timeout(exited, 15_000, 'stopping PostgreSQL').catch(() => {
        child.kill('SIGKILL')
      })
    }
    rmSync(base, { recursive: true, force: true })
  }

  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`PostgreSQL exited at start: ${log.slice(-500)}`)
    }
    const client = connect('postgres')
    try {
      await timeout(client.connect(), 5_000, 'connecting to PostgreSQL')
      await client.end()
      break
    } catch (error) {
      await client.end().catch(() => {})
      if (Date.now() > deadline) {
        await stop()
        throw new Error(`PostgreSQL did not accept connections within 30 s: ${(error as Error).message}`)
      }
      await sleep(100)
    }
  }

  const server = `postgres://omicos@127.0.0.1:${port}`
  return {
    port,
    server,
    createDatabase: (name?: string) => createDatabase(server, name),
    stop,
  }
}

let count = 0

/** A new, empty database on a running server (`postgres://USER@HOST:PORT`); returns its address. */
export async function createDatabase(server: string, name = `omicos_${process.pid}_${Date.now()}_${++count}`): Promise<string> {
  const client = new pg.Client({ connectionString: `${server}/postgres` })
  await timeout(client.connect(), 5_000, 'connecting to PostgreSQL')
  try {
    await timeout(client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`), 15_000, 'creating a database')
  } finally {
    await client.end()
  }
  return `${server}/${name}`
}

/** Drops a database createDatabase made (its address as returned), once nothing is connected to it. */
export async function dropDatabase(address: string): Promise<void> {
  const url = new URL(address)
  const name = decodeURIComponent(url.pathname.slice(1))
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString() })
  await timeout(client.connect(), 5_000, 'connecting to PostgreSQL')
  try {
    await timeout(client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '')}"`), 15_000, 'dropping a database')
  } finally {
    await client.end()
  }
}
