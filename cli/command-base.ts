import { Command, Option } from 'clipanion'
import type { InspectionEvent } from 'xstate'
import { toFailure } from '../machines/failure.js'
import { DEFAULT_SERVER, hasUnsafeChars } from '../effects/client/server-url.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import type { Rendered } from './render-outcome.js'
import { createTracer, traceEnabled } from './trace.js'

export { DEFAULT_SERVER }

// What every omicos command shares: --trace, Ctrl-C turned into a cancel event, and the rule
// that nothing escapes as a stack trace: a failure is one line and an exit code from the table.
export abstract class OmicosCommand extends Command {
  trace = Option.Boolean('--trace', false, { description: 'Print each state transition to stderr (secrets redacted); also OMICOS_TRACE=1' })

  protected env: NodeJS.ProcessEnv = process.env

  protected inspector(): ((event: InspectionEvent) => void) | undefined {
    if (!traceEnabled(this.env, this.trace)) return undefined
    return createTracer((line) => this.context.stderr.write(`${line}\n`))
  }

  protected serverFrom(flag: string | undefined): string {
    return flag ?? (this.env.OMICOS_SERVER || DEFAULT_SERVER)
  }

  protected print(rendered: Rendered): number {
    for (const line of rendered.stdout) this.context.stdout.write(`${line}\n`)
    for (const line of rendered.stderr) this.context.stderr.write(`${line}\n`)
    return rendered.code
  }

  /** Any error that reaches a command: one line, its exit code, never a stack. */
  protected fail(error: unknown): number {
    const failure = error && typeof error === 'object' && 'kind' in error ? toFailure(error) : null
    const code = failure ? (exitCodeFor(failure.kind) as number | undefined) : undefined
    if (!failure || code === undefined) {
      // Not an error the engine or a command meant to raise: a bug, said as such (exit 70).
      const message = error instanceof Error ? error.message : String(error)
      this.context.stderr.write(`error: unexpected failure (a bug): ${printable(firstLine(message))} (run with --trace and report it)\n`)
      return ExitCode.internal
    }
    this.context.stderr.write(`error: ${printable(firstLine(failure.message))}\n`)
    return code
  }

  /**
   * Ctrl-C while a login runs: the first one cancels through the machine, a second one exits.
   * A reader of stdout that went away (EPIPE) cancels too: a pairing code nobody can read is
   * not worth waiting on.
   */
  protected withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
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
    this.context.stdout.on('error', onOutputError)
    return run(controller.signal).finally(() => {
      process.off('SIGINT', onSigint)
      this.context.stdout.off('error', onOutputError)
    })
  }
}

export const firstLine = (text: string): string => text.split(/\r?\n/)[0]!.trim()

export class UsageFailure extends Error {
  readonly kind = 'usage' as const
}

/**
 * A value the user typed, for a message: quoted, or "the value" when it holds control, escape
 * or bidi characters, which a terminal would act on instead of showing.
 */
export const quoted = (value: string): string => (isUnsafe(value) ? 'the value' : JSON.stringify(value))

/** Control (C0, DEL, C1), bidi override or lone surrogate characters: never printed as they are. */
export const isUnsafe = (value: string): boolean => hasUnsafeChars(value) || /\p{Cs}/u.test(value)

/** A last guard for a line about to be printed: unsafe characters become U+FFFD. */
export const printable = (line: string): string =>
  // Lone surrogates too: the server refuses them (server/process-tokens.ts) and they do not encode.
  line.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu, '\uFFFD')

/**
 * The server's rule for a process name (server/omicos-routes.ts): printable text, at most 200
 * characters. Counted in UTF-16 units, the stricter count, so a name accepted here is never
 * refused there after the password or the pairing went through.
 */
export const NAME_MAX_CHARS = 200

/** Checks --name up front, before a password is read or the network is used. */
export function checkProcessName(name: string | undefined): void {
  if (name === undefined) return
  if (!name.trim()) throw new UsageFailure('--name is empty')
  if (isUnsafe(name)) {
    throw new UsageFailure('--name: the value holds control, escape or bidi characters; give printable text')
  }
  if (name.length > NAME_MAX_CHARS) throw new UsageFailure(`--name is too long: at most ${NAME_MAX_CHARS} characters`)
}
