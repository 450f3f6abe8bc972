// The forms of `omicos login --status` the bin answers without its command-line parser. No
// imports: cli/start.ts decides with it before loading either bundle, so a command line goes
// to exactly one of them (the status bundle, cli/status-main.ts, or the CLI's, cli/main.ts).

export interface StatusRequest {
  /** --verify: ask the server too */
  online: boolean
  /** --server, with --verify: the server the login must be on */
  server?: string
  json: boolean
  trace: boolean
}

const PLAIN_STATUS_FLAGS = new Set(['--status', '--json', '--verify', '--trace'])

/**
 * `login --status` with any of --json, --verify and --trace, each at most once. Anything else
 * (a --server, a typo, a repeated flag) is left to the parser, which knows every rule and message.
 */
export function plainStatusRequest(argv: readonly string[]): StatusRequest | null {
  if (argv[0] !== 'login' || !argv.includes('--status')) return null
  const flags = argv.slice(1)
  if (new Set(flags).size !== flags.length || !flags.every((flag) => PLAIN_STATUS_FLAGS.has(flag))) return null
  return { online: flags.includes('--verify'), json: flags.includes('--json'), trace: flags.includes('--trace') }
}
