import { Cli } from 'clipanion'
import { firstLine } from './command-base.js'
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
    const shown = message === 'Command not found' ? `unknown command: ${argv.join(' ')}` : message
    process.stderr.write(`error: ${shown}\nRun "${cli.binaryName} --help" for usage.\n`)
    process.exitCode = ExitCode.usage
    return
  }
  process.exitCode = await cli.run(command, context)
}
