import type { Writable } from 'node:stream'
import type { InspectionEvent } from 'xstate'
import { toFailure } from '../machines/failure.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { describeFailure } from './failure-words.js'
import { firstLine, printable } from './printable-text.js'
import type { Rendered } from './render-outcome.js'
import { createTracer, traceEnabled } from './trace.js'

// What every omicos command does with its streams: --trace, Ctrl-C turned into a cancel event,
// and the rule that nothing escapes as a stack trace: a failure is one line and an exit code
// from the table. Plain functions, so a command can run without the command-line parser
// (cli/start.ts answers `login --status` that way).

export interface CommandIo {
  stdout: Writable
  stderr: Writable
  env: NodeJS.ProcessEnv
}

export function traceInspector(io: CommandIo, flag: boolean): ((event: InspectionEvent) => void) | undefined {
  if (!traceEnabled(io.env, flag)) return undefined
  return createTracer((line) => io.stderr.write(`${line}\n`))
}

export function printRendered(io: CommandIo, rendered: Rendered): number {
  for (const line of rendered.stdout) io.stdout.write(`${line}\n`)
  for (const line of rendered.stderr) io.stderr.write(`${line}\n`)
  return rendered.code
}

/** Any error that reaches a command: one line, its exit code, never a stack. */
export function printFailure(io: CommandIo, error: unknown): number {
  const failure = error && typeof error === 'object' && 'kind' in error ? toFailure(error) : null
  const code = failure ? (exitCodeFor(failure.kind) as number | undefined) : undefined
  if (!failure || code === undefined) {
    // Not an error the engine or a command meant to raise: a bug, said as such (exit 70).
    const message = error instanceof Error ? error.message : String(error)
    io.stderr.write(`error: unexpected failure (a bug): ${printable(firstLine(message))} (run with --trace and report it)\n`)
    return ExitCode.internal
  }
  io.stderr.write(`error: ${printable(firstLine(describeFailure(failure, { again: 'omicos login' })))}\n`)
  return code
}

/**
 * Ctrl-C while a flow runs: the first one cancels through the machine, a second one exits.
 * A reader of stdout that went away (EPIPE) cancels too: a pairing code nobody can read is
 * not worth waiting on.
 */
export function withInterrupt<T>(io: CommandIo, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  let interrupts = 0
  const onSigint = () => {
    interrupts++
    if (interrupts > 1) process.exit(130)
    controller.abort()
  }
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') controller.abort()
  }
  process.on('SIGINT', onSigint)
  io.stdout.on('error', onOutputError)
  return run(controller.signal).finally(() => {
    process.off('SIGINT', onSigint)
    io.stdout.off('error', onOutputError)
  })
}

const DOING: Record<string, string> = {
  login: 'logging in',
  register: 'registering its process',
  renew: 'renewing',
  logout: 'logging out',
  repair: 'repairing the credential files',
  write: 'writing the credential files',
}

/**
 * The line said when a command waits for another omicos process that holds the credential
 * lock (a job array renewing at once, a daemon registering): the wait is bounded, and the
 * lock is never one to remove by hand while its holder lives.
 */
export function lockWaitNotice(io: CommandIo): (wait: { pid: number | null; purpose: string | null }) => void {
  return (wait) => {
    const doing = wait.purpose ? DOING[wait.purpose] : undefined
    const who = [wait.pid !== null && wait.pid > 0 ? `pid ${wait.pid}` : null, doing].filter(Boolean).join(', ')
    io.stderr.write(`waiting for another omicos process${who ? ` (${who})` : ''} …\n`)
  }
}
