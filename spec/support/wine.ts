// Runs the built `omicos` with Node for Windows under Wine, for the Windows specs: one Wine
// prefix per spec file (made in a temp folder, set to report Windows 10, which Node 20 requires;
// a new prefix reports Windows 7), a wineserver kept up meanwhile so each launch skips its
// start, and Windows processes whose output goes to files: Wine's node.exe fails with EBADF
// writing to a pipe. Every wait is bounded (uvu has no per-test timeout).
//
// Where Wine is not Windows, and these specs cannot show it: icacls is a stub (prints nothing,
// changes nothing), whoami names no SID, and a Unix symlink is not a reparse point to lstat.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { CLI_BIN, type CliResult } from './cli.js'
import { pathToFileURL } from 'node:url'

/** Where scripts/windows-node.mjs (run by .ci/run) puts node.exe; the script is not built into dist. */
const windowsNodeExe = async (): Promise<string> => {
  const script = (await import(pathToFileURL(resolve('scripts/windows-node.mjs')).href)) as { windowsNodePath(): string }
  return script.windowsNodePath()
}

/** The Wine loader: OMICOS_WINE, else wine64 on PATH, else where Debian's wine64 puts it. */
export const findWine = (): string | null => {
  const candidates = [process.env.OMICOS_WINE, ...(process.env.PATH ?? '').split(delimiter).map((dir) => dir && join(dir, 'wine64')), '/usr/lib/wine/wine64']
  return candidates.find((c): c is string => Boolean(c) && existsSync(c!)) ?? null
}

/** `/tmp/x/y` as Windows processes under Wine see it (drive Z: is the Unix root). */
export const windowsPath = (linuxPath: string) => `Z:${resolve(linuxPath).replace(/\//g, '\\')}`

export interface WinePrefix {
  wine: string
  nodeExe: string
  prefix: string
  /** the Wine prefix's idea of %USERPROFILE%, as a Linux path */
  userProfile: string
  /** env every Windows process of this prefix gets */
  env: NodeJS.ProcessEnv
  stop(): void
}

const missing = (what: string) =>
  new Error(`${what}: the Windows specs need it (.ci/run installs Debian's wine64 and runs scripts/windows-node.mjs for Node for Windows)`)

/** A new Wine prefix reporting Windows 10, with a wineserver kept up until stop(). */
export const makeWinePrefix = async (): Promise<WinePrefix> => {
  const wine = findWine()
  if (!wine) throw missing('no wine64 on this machine')
  const nodeExe = await windowsNodeExe()
  if (!existsSync(nodeExe)) throw missing(`no ${nodeExe}`)
  const prefix = mkdtempSync(join(tmpdir(), 'omicos-wine-'))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WINEPREFIX: prefix,
    WINEDEBUG: '-all',
    // No Mono or Gecko installer at the first start: nothing here needs .NET or HTML.
    WINEDLLOVERRIDES: 'mscoree,mshtml=',
  }
  const step = (args: string[]) => {
    const done = spawnSync(wine, args, { env, stdio: 'ignore', timeout: 120_000 })
    if (done.status !== 0) throw new Error(`wine64 ${args.join(' ')} failed (status ${done.status}, ${done.error?.message ?? done.signal ?? ''})`)
  }
  step(['wineboot', '-i'])
  step(['winecfg', '-v', 'win10'])
  const server = ['wineserver64', 'wineserver'].map((n) => join(dirname(wine), n)).find(existsSync) ?? 'wineserver'
  spawnSync(server, ['-p'], { env, stdio: 'ignore', timeout: 10_000 })
  return {
    wine,
    nodeExe,
    prefix,
    userProfile: join(prefix, 'drive_c', 'users', userInfo().username),
    env,
    stop() {
      spawnSync(server, ['-k'], { env, stdio: 'ignore', timeout: 10_000 })
      rmSync(prefix, { recursive: true, force: true })
    },
  }
}

export interface WindowsRun {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** resolves with the first match of `pattern` in stdout+stderr (read from their files) */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  done: Promise<CliResult>
}

export interface WindowsRunOptions {
  /** a Linux folder */
  cwd: string
  /** added to the prefix's env (values as the Windows process should see them) */
  env?: NodeJS.ProcessEnv
  /** what stdin reads (from a file); empty when absent */
  input?: string
  timeoutMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts `node.exe <script> ...args` under Wine; `script` is a Windows path or `-e`. */
export const startWindowsNode = (wine: WinePrefix, nodeArgs: string[], options: WindowsRunOptions): WindowsRun => {
  const io = mkdtempSync(join(tmpdir(), 'omicos-wine-io-'))
  const files = { in: join(io, 'stdin'), out: join(io, 'stdout'), err: join(io, 'stderr') }
  writeFileSync(files.in, options.input ?? '')
  const fds = [openSync(files.in, 'r'), openSync(files.out, 'w'), openSync(files.err, 'w')]
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(wine.env)) {
    if (!/^(OMICOS_|CONDA_|NO_COLOR|FORCE_COLOR)|^(https?|all|no)_proxy$/i.test(key)) env[key] = value
  }
  Object.assign(env, options.env)
  const child = spawn(wine.wine, [wine.nodeExe, ...nodeArgs], { cwd: options.cwd, env, stdio: fds })
  for (const fd of fds) closeSync(fd)
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8')
    } catch {
      return ''
    }
  }
  const limit = options.timeoutMs ?? 60_000
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`node.exe ${nodeArgs.join(' ')} did not finish within ${limit} ms\nstdout: ${read(files.out)}\nstderr: ${read(files.err)}`))
    }, limit)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      const result = { code, signal, stdout: read(files.out), stderr: read(files.err) }
      rmSync(io, { recursive: true, force: true })
      resolvePromise(result)
    })
  })
  done.catch(() => {})
  let ended: CliResult | undefined
  void done.then((r) => (ended = r))
  const stdout = () => ended?.stdout ?? read(files.out)
  const stderr = () => ended?.stderr ?? read(files.err)
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const match = (stdout() + stderr()).match(pattern)
      if (match) return match
      if (ended) throw new Error(`node.exe ended (exit ${ended.code}) before printing ${pattern}\nstdout: ${ended.stdout}\nstderr: ${ended.stderr}`)
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms\nstdout: ${stdout()}\nstderr: ${stderr()}`)
      await sleep(100)
    }
  }
  return { child, stdout, stderr, waitFor, done }
}

/** Starts the built `omicos ...args` with Node for Windows. */
export const startWindowsCli = (wine: WinePrefix, args: string[], options: WindowsRunOptions): WindowsRun =>
  startWindowsNode(wine, [windowsPath(CLI_BIN), ...args], options)

/** Runs the built `omicos ...args` with Node for Windows to its end. */
export const runWindowsCli = (wine: WinePrefix, args: string[], options: WindowsRunOptions): Promise<CliResult> => startWindowsCli(wine, args, options).done
