import { Command, Option } from 'clipanion'
import { isUnsafe } from './printable-text.js'
import { completionScript, SHELLS, type Shell } from './completion-scripts.js'
import { ExitCode, exitCodeTable } from './exit-codes.js'
import { closest, commandShapes, type DefinitionSource } from './suggest.js'

export class CompletionCommand extends Command {
  static override paths = [['completion']]

  static override usage = Command.Usage({
    description: 'Print a shell completion script for bash, zsh or fish',
    details: `
      The script completes the commands and their options, and is written from the same definitions as this help, so it always matches this version of omicos. Load it into the current shell, or save it where your shell loads completions from (the examples show both).

      ${exitCodeTable.replace(/\n/g, '\n      ')}
    `,
    examples: [
      ['Complete omicos in this bash', 'source <($0 completion bash)'],
      ['Complete omicos in every new bash (bash-completion)', '$0 completion bash > ~/.local/share/bash-completion/completions/omicos'],
      ['Complete omicos in zsh (after compinit)', 'source <($0 completion zsh)'],
      ['Complete omicos in every new fish', '$0 completion fish > ~/.config/fish/completions/omicos.fish'],
    ],
  })

  shell = Option.String({ name: SHELLS.join('|'), required: false })

  async execute(): Promise<number> {
    const shell = this.shell
    if (shell === undefined || !(SHELLS as readonly string[]).includes(shell)) {
      const near = shell === undefined ? null : closest(shell, [...SHELLS])
      const what = shell === undefined ? 'which shell?' : isUnsafe(shell) || shell.length > 40 ? 'unknown shell' : `unknown shell "${shell}"`
      const usage = `${this.cli.binaryName} completion ${SHELLS.join('|')}`
      this.context.stderr.write(`error: ${what}${near ? `; did you mean ${usage.replace(/\S+$/, near)}?` : ` (${usage})`}\n`)
      return ExitCode.usage
    }
    const commands = commandShapes(this.cli as DefinitionSource)
    this.context.stdout.write(completionScript(shell as Shell, this.cli.binaryName, commands, { completion: [...SHELLS] }))
    return ExitCode.ok
  }
}
