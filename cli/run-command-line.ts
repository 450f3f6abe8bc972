import { Cli } from 'clipanion'
import { firstLine, isUnsafe, printable } from './command-base.js'
import { ExitCode } from './exit-codes.js'

/**
 * clipanion writes an option's value as `#0` in usage lines (`--email #0`); a reader expects
 * `--email <email>`. Both bins build their command line with this class.
 */
export class CommandLine extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    const named = super.usage(...args).replace(/(--([a-z][\w-]*)) #0/g, (_, flag: string, name: string) => `${flag} <${name}>`)
    return alignOptionList(named)
  }
}

/** The detailed option list pads definitions to one column; naming the values moved it. */
const alignOptionList = (text: string): string => {
  const row = /^  (-\S(?:\S| (?! ))*) {2,}(\S.*)$/
  const lines = text.split('\n')
  const rows = lines.map((line) => row.exec(line))
  const width = Math.max(0, ...rows.map((match) => match?.[1]!.length ?? 0))
  return lines.map((line, i) => (rows[i] ? `  ${rows[i]![1]!.padEnd(width)}    ${rows[i]![2]}` : line)).join('\n')
}

/**
 * Runs a clipanion command line the project's way. clipanion answers a bad flag with its whole
 * usage on stdout and exit 1; the exit-code table wants one line on stderr and exit 2.
 */
export async function runCommandLine(cli: Cli, argv: string[]): Promise<void> {
  const context = { ...Cli.defaultContext }
  let command
  try {
    command = cli.process(argv, context)
  } catch (error) {
    const message = firstLine(error instanceof Error ? error.message : String(error)).replace(/; did you mean one of:$/, '')
    process.stderr.write(`error: ${usageMessage(message, argv)}\nRun "${cli.binaryName} --help" for usage.\n`)
    process.exitCode = ExitCode.usage
    return
  }
  process.exitCode = await cli.run(command, context)
}

/**
 * clipanion's message for a command line it cannot parse, without echoing an argument that
 * holds control, escape or bidi characters: such an argument is called "the value".
 */
export function usageMessage(message: string, argv: string[]): string {
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
