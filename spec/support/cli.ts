// Runs the built `omicos` binary as a child process, the way a user does: its own OMICOS_HOME
// and workspace in temp folders, never the real home, no terminal unless a test makes one.
// Every wait is bounded (uvu has no per-test timeout).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const CLI_BIN = resolve('dist/cli/omicos.cjs')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliSandbox {
  home: string
  workspace: string
  env: NodeJS.ProcessEnv
  cleanup(): void
}

/** A temp OMICOS_HOME and a temp workspace folder; env is clean of OMICOS_* and CONDA_*. */
export function makeSandbox(extraEnv: NodeJS.ProcessEnv = {}): CliSandbox {
  const root = mkdtempSync(join(tmpdir(), 'omicos-cli-'))
  const home = join(root, 'home')
  const workspace = join(root, 'workspace')
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    // A proxy of the machine running the tests would carry their loopback requests away.
    if (!/^(OMICOS_|CONDA_|NO_COLOR|FORCE_COLOR)|^(https?|all|no)_proxy$/i.test(key)) env[key] = value
  }
  Object.assign(env, { OMICOS_HOME: home }, extraEnv)
  mkdirSync(workspace, { recursive: true })
  return { home, workspace, env, cleanup: () => rmSync(root, { recursive: true, force: true }) }
}

export interface RunOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** written to stdin, then stdin is closed; stdin is closed at once when absent */
  input?: string
  timeoutMs?: number
}

/** Runs `omicos ...args` to its end and returns exit code and output. */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = startCli(args, options)
  return child.done
}

export interface RunningCli {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** resolves with the first match of `pattern` in stdout+stderr */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  done: Promise<CliResult>
}

/** Starts `omicos ...args` and lets the test talk to it while it runs (device pairing). */
export function startCli(args: string[], options: RunOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  child.stdout!.on('data', (d) => {
    stdout += d
    for (const l of listeners) l()
  })
  child.stderr!.on('data', (d) => {
    stderr += d
    for (const l of listeners) l()
  })
  if (options.input !== undefined) child.stdin!.end(options.input)
  else child.stdin!.end()
  const limit = options.timeoutMs ?? 30_000
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`omicos ${args.join(' ')} did not finish within ${limit} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, limit)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
  // A test that never awaits `done` must not crash the run with an unhandled rejection.
  done.catch(() => {})
  const waitFor = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = (stdout + stderr).match(pattern)
        if (match) {
          listeners.delete(check)
          clearTimeout(timer)
          resolve(match)
        }
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`no ${pattern} in the output within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
      }, timeoutMs)
      listeners.add(check)
      check()
      child.on('close', () => {
        if (listeners.has(check)) {
          listeners.delete(check)
          clearTimeout(timer)
          reject(new Error(`omicos exited before printing ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`))
        }
      })
    })
  return { child, stdout: () => stdout, stderr: () => stderr, waitFor, done }
}

/** The pairing code as `omicos cli login` prints it. */
export const PAIRING_CODE = /enter the pairing code: ([A-Z]{4}-[A-Z]{4})/

/** Fails when any of `secrets` appears in any of `texts` (output, files, snapshots). */
export function findSecret(texts: string[], secrets: string[]): string | null {
  for (const secret of secrets.filter((s) => s && s.length >= 4)) {
    for (const text of texts) if (text.includes(secret)) return secret
  }
  return null
}
