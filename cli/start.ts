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
import { plainStatusRequest } from './status-forms.js'

const withCache = module as unknown as { enableCompileCache?: () => unknown }
if (typeof withCache.enableCompileCache === 'function') withCache.enableCompileCache()

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

function renderedByBuild(argv: string[]): boolean {
  const asks = argv.length === 0 || argv.includes('--help') || argv.includes('-h') || (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v'))
  if (!asks) return false
  let texts: Record<string, string>
  try {
    texts = JSON.parse(readFileSync(new URL('./rendered-texts.json', import.meta.url), 'utf8'))
  } catch {
    return false
  }
  const text = texts[JSON.stringify(argv)]
  if (typeof text !== 'string') return false
  writeAll(text)
  return true
}
