import { Cli } from 'clipanion'
import { firstLine, isUnsafe, printable } from './command-base.js'
import { ExitCode } from './exit-codes.js'

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
