import { Command, Option } from 'clipanion'
import type { InspectionEvent } from 'xstate'
import { DEFAULT_SERVER, namesScheme, parseServerUrl } from '../effects/client/index.js'
import { lockWaitNotice, printFailure, printRendered, traceInspector, withInterrupt, type CommandIo } from './command-io.js'
import { isUnsafe } from './printable-text.js'
import { fitToTerminal } from './terminal.js'
import { waitLines } from './wait-lines.js'
import type { Rendered } from './render-outcome.js'
import { UsageFailure } from './usage-failure.js'
import { currentWords } from './words/current.js'
import type { Words } from './words/english.js'

export { UsageFailure }

export { DEFAULT_SERVER }

// What every omicos command shares (cli/command-io.ts): --trace, Ctrl-C turned into a cancel
// event, and failures as one line and an exit code from the table.
export abstract class OmicosCommand extends Command {
  trace = Option.Boolean('--trace', false, { description: currentWords().t('option.trace') })

  protected env: NodeJS.ProcessEnv = process.env

  /** The words of this process's language (cli/words/current.ts). */
  protected get words(): Words {
    return currentWords()
  }

  /** The language sent to the server (Accept-Language), so what it words comes in it; none for English (and --json: its messages stay English). */
  protected get language(): string | undefined {
    return this.words.locale === 'en' ? undefined : this.words.locale
  }

  protected get io(): CommandIo {
    return { stdout: this.context.stdout, stderr: this.context.stderr, env: this.env, words: this.words }
  }

  protected inspector(): ((event: InspectionEvent) => void) | undefined {
    const trace = traceInspector(this.io, this.trace)
    // A person at a terminal is told what is waited for; pipes and files get what they always got.
    if (!(this.context.stderr as { isTTY?: boolean }).isTTY) return trace
    const speak = waitLines((line) => this.context.stderr.write(`${line}\n`), this.words)
    return trace
      ? (event) => {
          trace(event)
          speak(event)
        }
      : speak
  }

  /** Tells the user when the command waits for another omicos process's credential lock. */
  protected get onLockWait() {
    return lockWaitNotice(this.io)
  }

  /**
   * The server of a login: as serverAddress, but with neither --server nor OMICOS_SERVER, the
   * one this machine already names (a pairing in progress here, else the login here) before the
   * default, said on stderr: never a silent switch to the default server.
   */
  protected async loginServer(flag: string | undefined, method: 'password' | 'device', workspace: boolean): Promise<string> {
    if (flag !== undefined || this.env.OMICOS_SERVER) return this.serverAddress(flag)
    const { serverInUse } = await import('../effects/node/api.js')
    const inUse = await serverInUse({ env: this.env, workspace, method })
    if (!inUse) return DEFAULT_SERVER
    const notice = this.words.t(inUse.from === 'pairing' ? 'notice.serverInUse.pairing' : 'notice.serverInUse.login', { server: inUse.server })
    this.context.stderr.write(`${fitToTerminal(this.context.stderr, notice)}\n`)
    return inUse.server
  }

  /**
   * The server a login goes to: --server, else OMICOS_SERVER, else the default, checked under
   * the name it came by. When the scheme was left out (`auth.omicos.cn`, `127.0.0.1:4000`), the
   * address used is said once on stderr.
   */
  protected serverAddress(flag: string | undefined): string {
    const source = flag !== undefined ? '--server' : this.env.OMICOS_SERVER ? 'OMICOS_SERVER' : null
    if (source === null) return DEFAULT_SERVER
    const typed = flag ?? this.env.OMICOS_SERVER!
    const server = parseServerUrl(typed, source)
    if (!namesScheme(typed)) {
      this.context.stderr.write(`${fitToTerminal(this.context.stderr, this.words.t('notice.serverAddress', { server, source, typed: typed.trim() }))}\n`)
    }
    return server
  }

  protected print(rendered: Rendered): number {
    return printRendered(this.io, rendered)
  }

  protected fail(error: unknown): number {
    return printFailure(this.io, error)
  }

  protected withInterrupt<T>(run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withInterrupt(this.io, run)
  }
}

/**
 * The command that runs `base` again as it ran: with `--server` when not the default, and
 * `--workspace` when given, so a hint works as printed.
 */
export function againCommand(base: string, server: string, workspace = false): string {
  const word = /^[A-Za-z0-9:/._\-[\]@%+=,~]+$/.test(server) ? server : `'${server.replace(/'/g, `'\\''`)}'`
  return [base, ...(server === DEFAULT_SERVER ? [] : ['--server', word]), ...(workspace ? ['--workspace'] : [])].join(' ')
}

/** The labels of the email and password prompts, in `words`' language. */
export const promptLabels = (words: Words) => ({
  email: words.t('prompt.email'),
  password: words.t('prompt.password'),
  emailEmpty: words.t('prompt.emailEmpty'),
  passwordEmpty: words.t('prompt.passwordEmpty'),
})

/**
 * The server's rule for a process name (server/omicos-routes.ts): printable text, at most 200
 * characters. Counted in UTF-16 units, the stricter count, so a name accepted here is never
 * refused there after the password or the pairing went through.
 */
export const NAME_MAX_CHARS = 200

/** Checks --name up front, before a password is read or the network is used. */
export function checkProcessName(name: string | undefined): void {
  if (name === undefined) return
  if (!name.trim()) throw UsageFailure.of('usage.nameEmpty')
  if (isUnsafe(name)) {
    throw UsageFailure.of('usage.nameUnsafe')
  }
  if (name.length > NAME_MAX_CHARS) throw UsageFailure.of('usage.nameTooLong', { max: NAME_MAX_CHARS })
}
