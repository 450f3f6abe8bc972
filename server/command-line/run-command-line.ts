// The server bin's own command-line runner: clipanion, with the project's conventions for a
// bad command line (one line on stderr, exit 2) and for a reader that goes away (no stack).
// The server package does not depend on the omicos CLI, so these few lines live here too.
import { Cli } from 'clipanion'
import type { Writable } from 'node:stream'
import { hasUnsafeChars, printable } from '../device-page/display-text.js'
import { EXIT_USAGE, firstLine } from './commands.js'

/** clipanion writes an option's value as `#0` in usage lines; a reader expects `--data <data>`. */
export class ServerCommandLine extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    const named = super.usage(...args).replace(/(--([a-z][\w-]*)) #0/g, (_, flag: string, name: string) => `${flag} <${name}>`)
    return alignOptionList(named)
  }
}

/** The detailed option list pads definitions to one column; naming the values moved it. */
const alignOptionList = (text: string): string => {
  const row = /^ {2}(-\S(?:\S| (?! ))*) {2,}(\S.*)$/
  const lines = text.split('\n')
  const rows = lines.map((line) => row.exec(line))
  const width = Math.max(0, ...rows.map((match) => match?.[1]?.length ?? 0))
  return lines.map((line, i) => (rows[i] ? `  ${rows[i]![1]!.padEnd(width)}    ${rows[i]![2]}` : line)).join('\n')
}

const isUnsafe = (value: string): boolean => hasUnsafeChars(value) || /\p{Cs}/u.test(value)

/**
 * clipanion answers a command line it cannot parse with its whole usage on stdout and exit 1;
 * this answers with one line on stderr and exit 2. An argument holding control, escape or bidi
 * characters is never echoed: it is called "the value".
 */
export async function runCommandLine(cli: Cli, argv: string[]): Promise<void> {
  const context = { ...Cli.defaultContext }
  let command: ReturnType<Cli['process']>
  try {
    command = cli.process(argv, context)
  } catch (error) {
    const message = firstLine(error instanceof Error ? error.message : String(error)).replace(/; did you mean one of:$/, '')
    process.stderr.write(`error: ${usageMessage(message, argv)}\nRun "${cli.binaryName} --help" for usage.\n`)
    process.exitCode = EXIT_USAGE
    return
  }
  process.exitCode = await cli.run(command, context)
}

function usageMessage(message: string, argv: string[]): string {
  if (message === 'Command not found') {
    return argv.some(isUnsafe) ? 'unknown command (an argument holds control characters)' : `unknown command: ${argv.join(' ')}`
  }
  let shown = message
  // Longest first, so an argument that contains another is replaced whole.
  for (const arg of argv.filter(isUnsafe).sort((a, b) => b.length - a.length)) {
    shown = shown.split(JSON.stringify(arg)).join('the value').split(`"${arg}"`).join('the value').split(arg).join('the value')
  }
  return printable(shown)
}

/**
 * A reader that stops early (`omicos-auth-server users list | head -1`) closes the pipe and
 * the next write fails with EPIPE, which Node would end with a stack trace. Nobody is left to
 * read the rest, so it is dropped; any other write failure is one line on the other stream.
 */
export function quietWhenReaderGoes(stdout: Writable, stderr: Writable): void {
  const guard = (stream: Writable, other: Writable, name: string) =>
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') return
      if (!other.destroyed) other.write(`error: cannot write to standard ${name} (${error.code ?? error.message})\n`)
    })
  guard(stdout, stderr, 'output')
  guard(stderr, stdout, 'error')
}
