import { Cli } from 'clipanion'
import { printable } from './printable-text.js'
import { ExitCode } from './exit-codes.js'
import { jsonForUnparsed } from './render-json.js'
import { commandShapes, conflictingSwitches, explainUsageError, type DefinitionSource } from './suggest.js'
import { helpIn } from './help-text.js'
import { currentWords } from './words/current.js'
import { english, type Words } from './words/english.js'

/**
 * clipanion writes an option's value as `#0` in usage lines (`--email #0`); a reader expects
 * `--email <email>`. Both bins build their command line with this class.
 */
export class CommandLine extends Cli {
  override usage(...args: Parameters<Cli['usage']>): string {
    const named = super.usage(...args).replace(/(--([a-z][\w-]*)) #0/g, (_, flag: string, name: string) => `${flag} <${name}>`)
    return helpIn(currentWords(), alignOptionList(named))
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

/**
 * Runs a clipanion command line the project's way. clipanion answers a bad flag with its whole
 * usage on stdout and exit 1; the exit-code table wants one line on stderr and exit 2, and it
 * must not quote what was typed after an option (a password): cli/suggest.ts words it.
 */
export async function runCommandLine(cli: Cli, argv: string[]): Promise<void> {
  const context = { ...Cli.defaultContext }
  let command: ReturnType<Cli['process']>
  const words = currentWords()
  try {
    const conflict = conflictingSwitches(argv, commandShapes(cli), cli.binaryName)
    if (conflict) throw new ConflictingOptions(conflict.message, conflict.help)
    command = cli.process(argv, context)
  } catch (error) {
    // Said in the catalog's language; --json's message stays English.
    const said = (language: Words) =>
      error instanceof ConflictingOptions
        ? { message: printable(conflictingSwitches(argv, commandShapes(cli, language), cli.binaryName, language)!.message), help: printable(error.help) }
        : usageMessage(error instanceof Error ? error.message : String(error), argv, cli, language)
    const { message, help } = said(words)
    process.stderr.write(`${words.t('line.error', { line: message })}\n${words.t('usage.seeHelp', { help })}\n`)
    // --json promises one object on stdout in every ending, a command line that did not parse included.
    const json = jsonForUnparsed(argv, words === english ? message : said(english).message)
    if (json) process.stdout.write(`${json}\n`)
    process.exitCode = ExitCode.usage
    return
  }
  process.exitCode = await cli.run(command, context)
}

class ConflictingOptions extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message)
  }
}

/** The line for a command line that did not parse, and the help to point to. */
export function usageMessage(reason: string, argv: string[], cli: DefinitionSource, words: Words = english): { message: string; help: string } {
  const { message, help } = explainUsageError(reason, argv, commandShapes(cli, words), cli.binaryName, words)
  return { message: printable(message), help: printable(help) }
}
