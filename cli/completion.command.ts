import { Command, Option } from 'clipanion'
import { usageIn } from './help-text.js'
import { currentWords } from './words/current.js'
import type { Words } from './words/english.js'
import { isUnsafe } from './printable-text.js'
import { completionScript, SHELLS, type Shell } from './completion-scripts.js'
import { ExitCode, exitCodeTable } from './exit-codes.js'
import { closest, commandShapes, type DefinitionSource } from './suggest.js'

export class CompletionCommand extends Command {
  static override paths = [['completion']]

  static override usage = CompletionCommand.usageIn(currentWords())

  static usageIn(words: Words) {
    return usageIn(words, {
      description: 'help.completion.description',
      details: 'help.completion.details',
      after: exitCodeTable(words),
      examples: [
        ['help.completion.example.bash', 'source <($0 completion bash)'],
        ['help.completion.example.bashEvery', '$0 completion bash > ~/.local/share/bash-completion/completions/omicos'],
        ['help.completion.example.zsh', 'source <($0 completion zsh)'],
        ['help.completion.example.fish', '$0 completion fish > ~/.config/fish/completions/omicos.fish'],
      ],
    })
  }

  shell = Option.String({ name: SHELLS.join('|'), required: false })

  async execute(): Promise<number> {
    const shell = this.shell
    if (shell === undefined || !(SHELLS as readonly string[]).includes(shell)) {
      const near = shell === undefined ? null : closest(shell, [...SHELLS])
      const { t } = currentWords()
      const what =
        shell === undefined ? t('usage.whichShell') : isUnsafe(shell) || shell.length > 40 ? t('usage.unknownShell') : t('usage.unknownShellNamed', { shell })
      const usage = `${this.cli.binaryName} completion ${SHELLS.join('|')}`
      const line = near ? t('usage.shellDidYouMean', { what, usage: usage.replace(/\S+$/, near) }) : t('usage.shellList', { what, usage })
      this.context.stderr.write(`${t('line.error', { line })}\n`)
      return ExitCode.usage
    }
    const commands = commandShapes(this.cli as DefinitionSource)
    this.context.stdout.write(completionScript(shell as Shell, this.cli.binaryName, commands, { completion: [...SHELLS] }, currentWords()))
    return ExitCode.ok
  }
}
