import { isUnsafe } from './printable-text.js'
import type { WordKey } from './words/en.js'
import { english, type Words } from './words/english.js'

// A command line clipanion could not parse, said in one line that names what was wrong and,
// for a typo, what was meant ("did you mean omicos login?"). clipanion's own messages quote
// the arguments they stumbled on, and the one after an option can be its value: a password
// (`omicos lgin --password VALUE`, `--force=VALUE`, a value left without its option). So the
// messages are built here from the command definitions, and they name only command words and
// option names, never what follows an option.

/** A command as its definition describes it: the words of its path and its options. */
export interface CommandShape {
  /** the words after the binary's name: ['cli', 'login'] */
  path: string[]
  description: string
  options: OptionShape[]
}

export interface OptionShape {
  /** every spelling: ['--email'], ['-h', '--help'] */
  names: string[]
  /** takes a value (`--email <email>`), else a switch */
  takesValue: boolean
  description: string
}

/** The part of clipanion's Cli that lists the commands (also `this.cli` inside a command). */
export interface DefinitionSource {
  readonly binaryName: string
  definitions(): Array<{ path: string; description?: string; options: Array<{ definition: string; description?: string }> }>
}

/** The registered commands, with the `-h, --help` every command accepts. */
export function commandShapes(cli: DefinitionSource, words: Words = english): CommandShape[] {
  return cli.definitions().map((definition) => ({
    path: definition.path.split(' ').slice(1),
    description: definition.description ?? '',
    options: [
      ...definition.options.map((option) => {
        const [names = '', value] = option.definition.split(' ')
        return { names: names.split(','), takesValue: value !== undefined, description: option.description ?? '' }
      }),
      { names: ['-h', '--help'], takesValue: false, description: words.t('help.helpOption') },
    ],
  }))
}

/** What the binary itself accepts with no command word. */
const TOP_LEVEL_OPTIONS = ['-h', '--help', '-v', '--version']

/** A word that can be echoed: a command word or an option name as people type them. */
const showable = (word: string): boolean => /^-{0,2}[A-Za-z0-9][\w.-]{0,39}$/.test(word) && !isUnsafe(word)

/**
 * The one-line message and the help to point to for a command line that did not parse.
 * `reason` is clipanion's message: only its kind is used, never its text.
 */
export function explainUsageError(
  reason: string,
  argv: string[],
  commands: CommandShape[],
  binaryName: string,
  words: Words = english,
): { message: string; help: string } {
  const { t } = words
  const typed: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    typed.push(arg)
  }
  const command = commands
    .filter((c) => c.path.length > 0 && c.path.length <= typed.length && c.path.every((w, i) => w === typed[i]))
    .sort((a, b) => b.path.length - a.path.length)[0]
  const generalHelp = `${binaryName} --help`
  if (!command) {
    if (typed.length === 0) {
      const option = argv[0]!.split('=')[0]!
      if (TOP_LEVEL_OPTIONS.includes(option)) return { message: t('usage.noValueOrArgument', { option }), help: generalHelp }
      return { message: unknownOption(words, option, TOP_LEVEL_OPTIONS, binaryName), help: generalHelp }
    }
    return { message: unknownCommand(words, typed, commands, binaryName), help: generalHelp }
  }
  const name = [binaryName, ...command.path].join(' ')
  const help = `${name} --help`
  const known = command.options.flatMap((o) => [...o.names, ...(o.takesValue ? [] : o.names.filter((n) => n.startsWith('--')).map((n) => `--no-${n.slice(2)}`))])
  const takesValue = new Set(command.options.filter((o) => o.takesValue).flatMap((o) => o.names))
  for (let i = command.path.length; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('-') || arg === '-' || arg === '--') continue
    const [option, ...value] = arg.split('=')
    if (!known.includes(option!)) {
      if (option === '--status' && command.path.join(' ') === 'cli login') {
        return { message: t('usage.noStatusHere', { name }), help }
      }
      return { message: unknownOption(words, option!, known, name, takesValue), help }
    }
    if (value.length > 0 && !takesValue.has(option!)) return { message: t('usage.takesNoValue', { option: option! }), help }
    // Its value, whatever it looks like, is not looked at.
    if (value.length === 0 && takesValue.has(option!)) i++
  }
  const missing = /^Not enough arguments to option (\S+?)\.?$/.exec(firstLineOf(reason))?.[1]
  if (missing && takesValue.has(missing)) return { message: t('usage.needsValue', { option: missing, value: missing.replace(/^-+/, '') }), help }
  if (/^Not enough positional arguments/.test(reason)) return { message: t('usage.argumentMissing', { name }), help }
  if (/^Extraneous positional argument/.test(reason)) return { message: t('usage.unexpectedArgument', { name }), help }
  return { message: t('usage.unreadable', { name }), help }
}

/**
 * A switch given with its --no- form (`--force --no-force`), which the parser would settle by
 * the last one: refused instead, as conflicting options. Null when there is none, or when the
 * command line is not one command's (the parser words that).
 */
export function conflictingSwitches(argv: string[], commands: CommandShape[], binaryName: string, words: Words = english): { message: string; help: string } | null {
  const typed: string[] = []
  for (const arg of argv) {
    if (arg.startsWith('-')) break
    typed.push(arg)
  }
  const command = commands
    .filter((c) => c.path.length > 0 && c.path.length <= typed.length && c.path.every((w, i) => w === typed[i]))
    .sort((a, b) => b.path.length - a.path.length)[0]
  if (!command) return null
  const takesValue = new Set(command.options.filter((o) => o.takesValue).flatMap((o) => o.names))
  const given = new Set<string>()
  for (let i = command.path.length; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    // Its value, whatever it looks like, is not looked at.
    if (takesValue.has(arg)) i++
    else if (arg.startsWith('--')) given.add(arg.split('=')[0]!)
  }
  for (const option of given) {
    const plain = option.startsWith('--no-') ? `--${option.slice(5)}` : null
    if (plain && given.has(plain) && showable(plain)) {
      return { message: words.t('usage.conflicting', { plain, negated: option }), help: `${[binaryName, ...command.path].join(' ')} --help` }
    }
  }
  return null
}

const firstLineOf = (text: string): string => text.split('\n')[0]!.trim()

// What people type out of habit from gh, az or aws, and the command that does it here.
const HABITS: ReadonlyArray<readonly [words: string[], answer: WordKey]> = [
  [['whoami'], 'habit.whoami'],
  [['auth', 'login'], 'habit.authLogin'],
  [['auth', 'logout'], 'habit.authLogout'],
  [['auth', 'status'], 'habit.authStatus'],
  [['cli', 'logout'], 'habit.cliLogout'],
  [['cli', 'status'], 'habit.cliStatus'],
]

function unknownCommand({ t }: Words, words: string[], commands: CommandShape[], binaryName: string): string {
  const habit = HABITS.find(([path]) => path.every((word, i) => words[i] === word))
  if (habit) return t('usage.habit', { command: [binaryName, ...habit[0]].join(' '), answer: t(habit[1]) })
  const paths = commands.filter((c) => c.path.length > 0).map((c) => c.path)
  const name = (p: string[]) => [binaryName, ...p].join(' ')
  const list = (candidates: string[][]) => candidates.map(name).join(t('usage.or'))
  const all = t('usage.commandsAre', { list: paths.map(name).join(t('usage.listSeparator')) })
  const startsWith = (path: string[], prefix: string[]) => prefix.length <= path.length && prefix.every((w, i) => path[i] === w)
  // words[0..known) begin a command; words[known], when there is one, is where it goes wrong.
  // Only the words up to that one are echoed: what follows could be anything.
  let known = 0
  while (known < words.length && paths.some((p) => startsWith(p, words.slice(0, known + 1)))) known++
  if (known === words.length) {
    // `omicos cli`: the start of a command.
    return t('usage.notWholeCommand', { command: [binaryName, ...words].join(' '), candidates: list(paths.filter((p) => startsWith(p, words))) })
  }
  const wrong = words[known]!
  if (!words.slice(0, known + 1).every(showable)) return t('usage.unknownCommandUnsafe', { all })
  const shown = [binaryName, ...words.slice(0, known + 1)].join(' ')
  const here = paths.filter((p) => startsWith(p, words.slice(0, known)))
  const near = closest(wrong, [...new Set(here.map((p) => p[known]!))])
  if (near === null) return t('usage.notCommand', { command: shown, all })
  return t('usage.notCommandDidYouMean', { command: shown, candidates: list(here.filter((p) => p[known] === near)) })
}

function unknownOption({ t }: Words, option: string, known: string[], commandName: string, takesValue: ReadonlySet<string> = new Set()): string {
  if (isUnsafe(option)) return t('usage.unknownOptionUnsafe', { command: commandName })
  const long = known.filter((name) => name.startsWith('--'))
  // A value glued to its option (`-pVALUE`, `--passwordVALUE`) is not repeated: only the option.
  if (/^-[^-]./.test(option)) return t('usage.unknownShortOption', { command: commandName, option: option.slice(0, 2) })
  const glued = [...takesValue].find((name) => name.startsWith('--') && option.startsWith(name) && option.length > name.length && option[name.length] !== '-')
  if (glued) return t('usage.unknownGluedOption', { command: commandName, option: glued })
  if (!showable(option)) return t('usage.unknownOptionHidden', { command: commandName })
  // Plain names first: on a tie, --force rather than --no-force.
  const near = closest(option, [...long.filter((n) => !n.startsWith('--no-')), ...long.filter((n) => n.startsWith('--no-'))])
  return near ? t('usage.unknownOptionDidYouMean', { command: commandName, option, near }) : t('usage.unknownOption', { command: commandName, option })
}

/** The candidate nearest to `typed`, if it is near enough to be a typo of it (one edit in three letters). */
export function closest(typed: string, candidates: string[]): string | null {
  let best: string | null = null
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(typed.toLowerCase(), candidate.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  const allowed = Math.ceil(Math.max(typed.replace(/^-+/, '').length, 1) / 3)
  return bestDistance <= allowed ? best : null
}

/** Optimal string alignment distance: insertions, deletions, substitutions, swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
    }
  }
  return d[a.length]![b.length]!
}
