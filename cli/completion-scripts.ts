import type { CommandShape } from './suggest.js'
import { english, type Words } from './words/english.js'

// Shell completion scripts written from the command definitions (cli/suggest.ts reads them
// from clipanion), so a new command or option completes without anyone editing a script.
// Each script works the same way: the words typed before the first option name the command
// ("", "cli", "cli login"); what comes next is one of that command's words (a subcommand, or a
// choice such as the shell of `omicos completion`), or, after a dash, one of its options. The
// word after an option that takes a value is that value: nothing is offered for it.

export const SHELLS = ['bash', 'zsh', 'fish'] as const
export type Shell = (typeof SHELLS)[number]

interface Node {
  /** the command words, joined by spaces: "" for the binary alone */
  key: string
  /** words that can come next, with what each does */
  words: Array<[word: string, description: string]>
  options: Array<{ names: string[]; takesValue: boolean; description: string }>
}

/** Every command word sequence that can be typed, with what can follow it. */
function nodesOf(commands: CommandShape[], choices: Record<string, string[]>, words: Words): Node[] {
  const nodes = new Map<string, Node>()
  const node = (key: string) => nodes.get(key) ?? nodes.set(key, { key, words: [], options: [] }).get(key)!
  node('').options.push(
    { names: ['-h', '--help'], takesValue: false, description: words.t('completion.help') },
    { names: ['-v', '--version'], takesValue: false, description: words.t('completion.version') },
  )
  for (const command of commands) {
    command.path.forEach((word, i) => {
      const parent = node(command.path.slice(0, i).join(' '))
      const isLast = i === command.path.length - 1
      // A word that only begins a command (`cli`) is described by the command it begins.
      const description = isLast ? command.description : `${command.path.join(' ')}: ${command.description}`
      if (!parent.words.some(([w]) => w === word)) parent.words.push([word, description])
    })
    const leaf = node(command.path.join(' '))
    for (const option of command.options) {
      leaf.options.push(option)
      // A switch whose help names its --no- form (`--no-qr`) offers that form too.
      const negated = option.names.filter((name) => name.startsWith('--')).map((name) => `--no-${name.slice(2)}`)
      const named = negated.filter((name) => option.description.includes(name))
      if (!option.takesValue && named.length > 0) leaf.options.push({ names: named, takesValue: false, description: option.description })
    }
    for (const choice of choices[leaf.key] ?? []) leaf.words.push([choice, ''])
  }
  return [...nodes.values()]
}

/** A description for a menu: its first sentence, no markup, one line. */
const short = (text: string): string =>
  text
    .replace(/`/g, '')
    .replace(/\s+/g, ' ')
    .split(/(?<=[a-z)])\. /)[0]!
    .replace(/\.$/, '')
    .trim()

const sq = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`

export function completionScript(
  shell: Shell,
  binaryName: string,
  commands: CommandShape[],
  choices: Record<string, string[]> = {},
  words: Words = english,
): string {
  const nodes = nodesOf(commands, choices, words)
  const fn = `_${binaryName.replace(/\W/g, '_')}_completion`
  switch (shell) {
    case 'bash':
      return bash(binaryName, fn, nodes)
    case 'zsh':
      return zsh(binaryName, fn, nodes)
    case 'fish':
      return fish(binaryName, fn, nodes)
  }
}

function bash(bin: string, fn: string, nodes: Node[]): string {
  const cases = nodes.map((n) => {
    const options = n.options.flatMap((o) => o.names)
    const valued = n.options.filter((o) => o.takesValue).flatMap((o) => o.names)
    return `    ${sq(n.key)}) words=${sq(n.words.map(([w]) => w).join(' '))}; options=${sq(options.join(' '))}; valued=${sq(valued.join(' '))} ;;`
  })
  return `# ${bin} completion for bash. Load it into this shell:
#   source <(${bin} completion bash)
# or for every new shell (bash-completion loads it when ${bin} is first completed):
#   ${bin} completion bash > ~/.local/share/bash-completion/completions/${bin}
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local key="" i word words="" options="" valued="" after_option=0
  # The command is named by the words before the first option.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ $word == -* ]]; then after_option=1; break; fi
    key="\${key:+$key }$word"
  done
  case $key in
${cases.join('\n')}
    *) return 0 ;;
  esac
  # The value of an option that takes one: nothing to offer.
  if [[ $prev == -* && " $valued " == *" $prev "* ]]; then COMPREPLY=(); return 0; fi
  if [[ $cur == -* || $after_option == 1 ]]; then
    COMPREPLY=($(compgen -W "$options" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -F ${fn} ${bin}
`
}

function zsh(bin: string, fn: string, nodes: Node[]): string {
  // _describe takes "name:description"; a colon in the name is escaped.
  const item = (name: string, description: string) => sq(`${name.replace(/:/g, '\\:')}:${short(description)}`)
  const cases = nodes.map((n) => {
    const words = n.words.map(([w, d]) => item(w, d))
    const options = n.options.flatMap((o) => o.names.map((name) => item(name, o.description)))
    const valued = n.options.filter((o) => o.takesValue).flatMap((o) => o.names)
    return `    ${sq(n.key)})\n      subcommands=(${words.join(' ')})\n      options=(${options.join(' ')})\n      valued=(${valued.map(sq).join(' ')}) ;;`
  })
  return `#compdef ${bin}
# ${bin} completion for zsh. Load it into this shell (after compinit):
#   source <(${bin} completion zsh)
# or for every new shell: save it as _${bin} in a directory of $fpath.
${fn}() {
  local -a command_words subcommands options valued
  local i after_option=0
  # The command is named by the words before the first option.
  for ((i = 2; i < CURRENT; i++)); do
    if [[ \${words[i]} == -* ]]; then after_option=1; break; fi
    command_words+=(\${words[i]})
  done
  case "\${(j: :)command_words}" in
${cases.join('\n')}
    *) return 1 ;;
  esac
  # The value of an option that takes one: nothing to offer.
  if (( \${valued[(Ie)\${words[CURRENT-1]}]} )); then return 1; fi
  if [[ \${words[CURRENT]} == -* || $after_option == 1 || \${#subcommands} == 0 ]]; then
    _describe -t options option options
  else
    _describe -t commands command subcommands
  fi
}
if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${bin}
fi
`
}

function fish(bin: string, fn: string, nodes: Node[]): string {
  const lines: string[] = [`complete -c ${bin} -f`]
  for (const n of nodes) {
    const when = sq(`${fn} ${n.key}`.trim())
    for (const [word, description] of n.words) {
      lines.push(`complete -c ${bin} -n ${when} -a ${sq(word)}${description ? ` -d ${sq(short(description))}` : ''}`)
    }
    for (const option of n.options) {
      const flags = option.names.map((name) => (name.startsWith('--') ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`)).join(' ')
      lines.push(`complete -c ${bin} -n ${when} ${flags}${option.takesValue ? ' -r' : ''} -d ${sq(short(option.description))}`)
    }
  }
  return `# ${bin} completion for fish. Load it into this shell:
#   ${bin} completion fish | source
# or for every new shell:
#   ${bin} completion fish > ~/.config/fish/completions/${bin}.fish

# True when the words typed before the first option are the arguments (the command's path).
function ${fn}
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l command_words
    for token in $tokens
        string match -q -- '-*' $token; and break
        set -a command_words $token
    end
    test "$command_words" = "$argv"
end
${lines.join('\n')}
`
}
