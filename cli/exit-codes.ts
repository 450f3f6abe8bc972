import type { FailureKind } from '../machines/failure.js'

// One table for every command; README.md and each command's --help show the same.
export const ExitCode = {
  ok: 0,
  notLoggedIn: 1,
  usage: 2,
  unreachable: 3,
  refused: 4,
  expired: 5,
  badResponse: 6,
  localFiles: 7,
  internal: 70,
  cancelled: 130,
} as const

export const exitCodeFor = (kind: FailureKind): number =>
  ({
    usage: ExitCode.usage,
    unreachable: ExitCode.unreachable,
    refused: ExitCode.refused,
    expired: ExitCode.expired,
    bad_response: ExitCode.badResponse,
    local_files: ExitCode.localFiles,
    internal: ExitCode.internal,
    cancelled: ExitCode.cancelled,
  })[kind]

/** The table as README.md's "Exit codes" section shows it, row for row (a spec compares them). */
export const EXIT_CODE_ROWS: ReadonlyArray<readonly [code: number, meaning: string]> = [
  [ExitCode.ok, 'done (also: already logged in; logout when nobody was logged in)'],
  [ExitCode.notLoggedIn, '`--status`: not logged in'],
  [ExitCode.usage, 'usage: bad or conflicting options, or input needed and no terminal to ask on'],
  [ExitCode.unreachable, 'server unreachable: DNS, refused, timeout, TLS, after the allowed retries'],
  [ExitCode.refused, 'refused: wrong email or password, too many attempts, pairing declined'],
  [ExitCode.expired, 'expired: the pairing code ran out before approval'],
  [ExitCode.badResponse, 'bad server response: malformed (HTTP or body), missing fields, unsafe values, another account or origin than expected'],
  [ExitCode.localFiles, 'local files: permissions, symlink, not owned by you, disk full, lock held'],
  [ExitCode.internal, 'internal error (a bug: the message says so; please report it with `--trace`)'],
  [ExitCode.cancelled, 'cancelled by the user (Ctrl-C)'],
]

// For a command's `details`: clipanion joins the lines of a paragraph, so each row is a list
// item, which it keeps on a line of its own.
export const exitCodeTable = ['Exit codes:', '', ...EXIT_CODE_ROWS.map(([code, meaning]) => `- ${String(code).padEnd(4)} ${meaning}`)].join('\n')

/** The table without the rows of codes a command never returns (`cli login` has no --status: no 1). */
export const exitCodeTableWithout = (codes: readonly number[]): string =>
  ['Exit codes:', '', ...EXIT_CODE_ROWS.filter(([code]) => !codes.includes(code)).map(([code, meaning]) => `- ${String(code).padEnd(4)} ${meaning}`)].join('\n')
