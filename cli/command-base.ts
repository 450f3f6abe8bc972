import { Command, Option } from 'clipanion'
import type { InspectionEvent } from 'xstate'
import { toFailure } from '../machines/failure.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'
import type { Rendered } from './render-outcome.js'
import { createTracer, traceEnabled } from './trace.js'

export const DEFAULT_SERVER = 'https://auth.omicos.cn'

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
    const known = error && typeof error === 'object' && 'kind' in error
    if (!known) {
      const message = error instanceof Error ? error.message : String(error)
      this.context.stderr.write(`error: unexpected failure: ${firstLine(message)} (run with --trace and report it)\n`)
      return ExitCode.internal
    }
    const failure = toFailure(error)
    this.context.stderr.write(`error: ${firstLine(failure.message)}\n`)
    return exitCodeFor(failure.kind)
  }

  /** Ctrl-C while a login runs: the first one cancels through the machine, a second one exits. */
  protected withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController()
    let interrupts = 0
    const onSigint = () => {
      interrupts++
      if (interrupts > 1) process.exit(130)
      controller.abort()
    }
    process.on('SIGINT', onSigint)
    return run(controller.signal).finally(() => process.off('SIGINT', onSigint))
  }
}

export const firstLine = (text: string): string => text.split(/\r?\n/)[0]!.trim()

export class UsageFailure extends Error {
  readonly kind = 'usage' as const
}
