#!/usr/bin/env node
// The `omicos` bin as built (scripts/build.mjs bundles it to dist/cli/main.js). It turns on
// V8's compile cache where the runtime has one (Node >= 22.1), before any other module is
// compiled, so later starts read compiled code instead of parsing the bundle again; answers
// `--version` and `--help`, with the texts the build rendered with the CLI itself
// (dist/cli/rendered-texts.json, keyed by the exact command line), without loading the command
// line parser; answers the plain forms of `login --status` the same way (cli/status-main.ts);
// and loads the CLI (cli/main.ts) for everything else. On Node 20 there is no
// compile cache and the call is skipped.
import { readFileSync } from 'node:fs'
import module from 'node:module'
import type { StatusRequest } from './status-command.js'

const withCache = module as unknown as { enableCompileCache?: () => unknown }
if (typeof withCache.enableCompileCache === 'function') withCache.enableCompileCache()

// gh and az habits: `omicos logout` and `omicos status` do what `omicos login --logout` and
// `omicos login --status` do (those stay the documented forms). Rewritten in place, before the
// process title or the parser reads the command line.
if (process.argv[2] === 'logout' || process.argv[2] === 'status') process.argv.splice(2, 1, 'login', `--${process.argv[2]}`)
const args = process.argv.slice(2)
// A reader that goes early (`omicos --help | head -1`) is no error for these one-write answers
// (cli/output-streams.ts says why for the CLI).
const writeAll = (text: string) => {
  process.stdout.on('error', () => {})
  process.stdout.write(text)
}
if (!renderedByBuild(args) && !(await answeredStatus(args))) await import('./main.js')

/** `login --status` in its plain forms, without the command-line parser (cli/status-main.ts). */
async function answeredStatus(argv: string[]): Promise<boolean> {
  const request = plainStatusRequest(argv)
  if (!request) return false
  const { answerStatus } = await import('./status-main.js')
  await answerStatus(argv, request)
  return true
}

/**
 * `login --status` with any of --json, --verify and --trace, each at most once; anything else
 * (a --server, a typo, a repeated flag) is left to the parser, which knows every rule and
 * message. Decided here, before either bundle loads, so one process never loads both; and here
 * rather than imported: an import from this entry adds a module (esbuild's runtime chunk) to
 * every start, which measured 4 MiB more peak RSS for a status.
 */
function plainStatusRequest(argv: readonly string[]): StatusRequest | null {
  if (argv[0] !== 'login' || !argv.includes('--status')) return null
  const flags = argv.slice(1)
  // Listed here, not in a constant of the module: the code above this function runs first.
  const plainFlags = ['--status', '--json', '--verify', '--trace']
  if (new Set(flags).size !== flags.length || !flags.every((flag) => plainFlags.includes(flag))) return null
  return { online: flags.includes('--verify'), json: flags.includes('--json'), trace: flags.includes('--trace') }
}

function renderedByBuild(argv: string[]): boolean {
  const asks = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v'))
  if (!asks) return false
  let texts: Record<string, unknown>
  try {
    texts = JSON.parse(readFileSync(new URL('./rendered-texts.json', import.meta.url), 'utf8'))
  } catch {
    return false
  }
  // Help was rendered in English: in a language with a catalog of its own, the CLI (cli/main.ts)
  // renders it. A version number is the same in every language.
  const lang = (process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '').split(/[_.@-]/)[0]!.toLowerCase()
  const translated = texts['#languages']
  const help = !(argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v'))
  if (help && (!Array.isArray(translated) || translated.includes(lang))) return false
  const text = texts[JSON.stringify(argv)]
  if (typeof text !== 'string') return false
  writeAll(text)
  return true
}
