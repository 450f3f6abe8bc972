import type { Writable } from 'node:stream'
import type { InspectionEvent } from 'xstate'
import { toFailure } from '../machines/index.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import { describeFailure } from './failure-words.js'
import { firstLine, printable } from './printable-text.js'
import type { Rendered } from './render-outcome.js'
import { createTracer, traceEnabled } from './trace.js'
import { UsageFailure } from './usage-failure.js'
import { english, type Words } from './words/english.js'

// What every omicos command does with its streams: --trace, Ctrl-C turned into a cancel event,
// and the rule that nothing escapes as a stack trace: a failure is one line and an exit code
// from the table. Plain functions, so a command can run without the command-line parser
// (cli/start.cts answers `login --status` that way).

export interface CommandIo {
  stdout: Writable
  stderr: Writable
  env: NodeJS.ProcessEnv
  /** the words lines are said in (English when not given) */
  words?: Words
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
  const words = io.words ?? english
  const failure = error && typeof error === 'object' && 'kind' in error ? toFailure(error) : null
  const code = failure ? (exitCodeFor(failure.kind) as number | undefined) : undefined
  if (!failure || code === undefined) {
    // Not an error the engine or a command meant to raise: a bug, said as such (exit 70).
    const message = error instanceof Error ? error.message : String(error)
    const line = words.t('failure.bug', { message: printable(firstLine(message)) })
    io.stderr.write(`${words.t('line.error', { line })}\n`)
    return ExitCode.internal
  }
  const line = error instanceof UsageFailure ? error.wordedIn(words) : describeFailure(failure, { again: 'omicos login' }, words)
  io.stderr.write(`${words.t('line.error', { line: printable(firstLine(line)) })}\n`)
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

const DOING = ['login', 'register', 'renew', 'logout', 'repair', 'write'] as const

/**
 * The line said when a command waits for another omicos process that holds the credential
 * lock (a job array renewing at once, a daemon registering): the wait is bounded, and the
 * lock is never one to remove by hand while its holder lives.
 */
export function lockWaitNotice(io: CommandIo): (wait: { pid: number | null; purpose: string | null }) => void {
  const { t } = io.words ?? english
  return (wait) => {
    const purpose = DOING.find((known) => known === wait.purpose)
    const doing = purpose ? t(`lockWait.${purpose}`) : undefined
    const who = [wait.pid !== null && wait.pid > 0 ? t('lockWait.pid', { pid: wait.pid }) : null, doing].filter(Boolean).join(t('lockWait.separator'))
    io.stderr.write(`${who ? t('notice.lockWait.who', { who }) : t('notice.lockWait')}\n`)
  }
}
