#!/usr/bin/env node
// The `omicos` bin as built (scripts/build.mjs bundles it to dist/cli/omicos.cjs). CommonJS, so
// the answers it gives itself never start Node's ES module loader. It answers `--version` and
// `--help` with the texts the build rendered with the CLI itself (dist/cli/rendered-texts.json,
// keyed by the exact command line) without loading the command-line parser; answers the plain
// forms of `login --status` the same way, from a bundle of their own (cli/status-main.ts, built to
// dist/cli/status-main.cjs) compiled from V8's code cache the build made for it; and loads the
// CLI (cli/main.ts, dist/cli/main.js, an ES module) for everything else. Where the runtime has
// V8's compile cache for modules (Node >= 22.1) it is turned on first, for that CLI.
import fs = require('node:fs')
import nodeModule = require('node:module')
import path = require('node:path')
import type { StatusRequest } from './status-command.js'

const withCache = nodeModule as unknown as { enableCompileCache?: () => unknown }
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
if (!renderedByBuild(args) && !answeredStatus(args)) void import('./main.js')

/**
 * `login --status` in its plain forms, without the command-line parser. Its bundle is compiled
 * with the code cache beside it (dist/cli/status-main.cjs.cache, written by the build after a
 * status run, so it holds the functions a status calls too): V8 then reads compiled code instead
 * of parsing half a megabyte, most of which (the request code of --verify) a plain status never
 * runs. A cache V8 rejects (another Node version) costs nothing but the read: the bundle is
 * compiled as usual. Nothing is written at run time: the package folder may be read-only, and a
 * cache is code, which only the build writes.
 */
function answeredStatus(argv: string[]): boolean {
  const request = plainStatusRequest(argv)
  if (!request) return false
  const file = path.join(__dirname, 'status-main.cjs')
  const statusMain = loadCompiled(file) as typeof import('./status-main.js')
  void statusMain.answerStatus(argv, request)
  return true
}

/** Runs a CommonJS bundle as require() would, compiled with its code cache when there is one that fits. */
function loadCompiled(file: string): unknown {
  // Loaded only here: a --version or a --help never needs it.
  const vm = require('node:vm') as typeof import('node:vm')
  let cachedData: Buffer | undefined
  try {
    cachedData = fs.readFileSync(`${file}.cache`)
  } catch {}
  const script = new vm.Script(nodeModule.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData })
  const module = { exports: {} }
  script.runInThisContext()(module.exports, nodeModule.createRequire(file), module, file, path.dirname(file))
  return module.exports
}

/**
 * `login --status` with any of --json, --verify and --trace, each at most once; anything else
 * (a --server, a typo, a repeated flag) is left to the parser, which knows every rule and
 * message. Decided here, before either bundle loads, so one process never loads both.
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
    texts = JSON.parse(fs.readFileSync(path.join(__dirname, 'rendered-texts.json'), 'utf8'))
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
