// The command line a process shows to everyone on the machine (`ps`, /proc/PID/cmdline) holds
// what was typed, `--password VALUE` included. Node's `process.title` rewrites that memory in
// place (libuv, on Linux: the area of the original arguments, zero-filled after the title, so
// a title never grows past the original length and is cut there). The new title keeps the
// command words, the option names and the values of options that hold no secret; every other
// value, and anything that is not a known option name (`--pasword`, `-pVALUE`), becomes ***.

import { english, type Words } from './words/english.js'

/** Words that can name a command; anything else in their place could be anything. */
export const COMMAND_WORDS = new Set(['login', 'cli', 'completion', 'bash', 'zsh', 'fish', 'help'])
/**
 * The option names of every command; anything else that starts with a dash could hold a value
 * (`-pVALUE`, `--passwordVALUE`). A spec checks that it lists every option there is.
 */
export const OPTION_NAMES = new Set([
  '-h',
  '--help',
  '-v',
  '--version',
  '--trace',
  '--email',
  '--password',
  '--password-stdin',
  '--name',
  '--force',
  '--server',
  '--workspace',
  '--status',
  '--json',
  '--verify',
  '--logout',
  '--qr',
  '--no-qr',
])
/** Options whose values are no secret and say which login this is. */
const SHOWN_VALUES = new Set(['--email', '--name', '--server'])
const HIDDEN = '***'

// Control, escape and bidi characters are not shown as they are by every `ps`.
const plain = (text: string): boolean => !/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(text)

// A server address may carry a password (`https://ada:secret@host`): its user info is hidden.
const shownValue = (name: string, value: string): string =>
  name === '--server' ? value.replace(/^([^/@]*\/\/)?[^/]*@/, (_, scheme: string | undefined) => `${scheme ?? ''}${HIDDEN}@`) : value

export function titleWithoutSecrets(binaryName: string, argv: readonly string[]): string {
  const shown = [binaryName]
  let commandWords = true
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg.startsWith('-') && arg.length > 1) {
      commandWords = false
      const [name = '', ...value] = arg.split('=')
      if (!OPTION_NAMES.has(name)) shown.push(HIDDEN)
      else if (value.length === 0) shown.push(name)
      else shown.push(`${name}=${SHOWN_VALUES.has(name) && plain(value.join('=')) ? shownValue(name, value.join('=')) : HIDDEN}`)
      continue
    }
    const previous = argv[i - 1]
    if (commandWords && COMMAND_WORDS.has(arg)) shown.push(arg)
    else if (previous !== undefined && SHOWN_VALUES.has(previous) && plain(arg)) shown.push(shownValue(previous, arg))
    else shown.push(HIDDEN)
    if (!COMMAND_WORDS.has(arg)) commandWords = false
  }
  return shown.join(' ')
}

/**
 * Whether `process.title` hides the arguments from other users: libuv rewrites the memory `ps`
 * reads on Linux only. On macOS the title changes the process name and `ps -o args` still shows
 * the command line; on Windows it sets the console window's title, and the command line stays
 * readable to other users (Task Manager, `wmic process`, `Get-CimInstance Win32_Process`).
 */
export const hidesArguments = (platform: NodeJS.Platform): boolean => platform === 'linux'

const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = { win32: 'Windows', darwin: 'macOS' }

/** The warning `--password` gets: shell history everywhere; the process list where it cannot be hidden. */
export const passwordWarning = (platform: NodeJS.Platform, words: Words = english): string =>
  hidesArguments(platform)
    ? words.t('notice.passwordFlag')
    : words.t('notice.passwordFlag.visible', { system: PLATFORM_NAMES[platform] ?? words.t('notice.passwordFlag.thisSystem') })
