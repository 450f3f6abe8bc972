#!/usr/bin/env node
// The `omicos` bin as built (scripts/build.mjs bundles it to dist/cli/main.js). It turns on
// V8's compile cache where the runtime has one (Node >= 22.1), before any other module is
// compiled, so later starts read compiled code instead of parsing the bundle again; answers
// `--version`, and the help texts the build rendered with the CLI itself
// (dist/cli/help-texts.json, keyed by the exact command line), without loading the command
// line parser; and loads the CLI (cli/main.ts) for everything else. On Node 20 there is no
// compile cache and the call is skipped.
import { readFileSync } from 'node:fs'
import module from 'node:module'

const withCache = module as unknown as { enableCompileCache?: () => unknown }
if (typeof withCache.enableCompileCache === 'function') withCache.enableCompileCache()

const args = process.argv.slice(2)
// A reader that goes early (`omicos --help | head -1`) is no error for these one-write answers
// (cli/output-streams.ts says why for the CLI).
const writeAll = (text: string) => {
  process.stdout.on('error', () => {})
  process.stdout.write(text)
}
// What clipanion's `--version` prints. Read here, not from ./version.js, so that this file
// imports no chunk it shares with the CLI; the bin stays at dist/cli/main.js, as this file's
// copy is at dist/cli/start.js, so the package root is two folders up from both.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const { version } = module.createRequire(import.meta.url)('../../package.json') as { version: string }
  writeAll(`${version}\n`)
} else if (!helpFromBuild(args)) await import('./main.js')

function helpFromBuild(argv: string[]): boolean {
  if (argv.length > 0 && !argv.includes('--help') && !argv.includes('-h')) return false
  let texts: Record<string, string>
  try {
    texts = JSON.parse(readFileSync(new URL('./help-texts.json', import.meta.url), 'utf8'))
  } catch {
    return false
  }
  const text = texts[JSON.stringify(argv)]
  if (typeof text !== 'string') return false
  writeAll(text)
  return true
}
