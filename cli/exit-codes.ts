import type { FailureKind } from '../machines/index.js'
import type { WordKey } from './words/en.js'
import { english, type Words } from './words/english.js'

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

/** The codes of the table, in its order (their meanings are in the catalog, `exit.<code>`). */
const CODES = [
  ExitCode.ok,
  ExitCode.notLoggedIn,
  ExitCode.usage,
  ExitCode.unreachable,
  ExitCode.refused,
  ExitCode.expired,
  ExitCode.badResponse,
  ExitCode.localFiles,
  ExitCode.internal,
  ExitCode.cancelled,
]

/** The table as README.md's "Exit codes" section shows it, row for row (a spec compares them). */
export const exitCodeRows = (words: Words = english): ReadonlyArray<readonly [code: number, meaning: string]> =>
  CODES.map((code) => [code, words.t(`exit.${code}` as WordKey)] as const)

export const EXIT_CODE_ROWS = exitCodeRows()

// For a command's `details`: clipanion joins the lines of a paragraph, so each row is a list
// item, which it keeps on a line of its own. `without`: the codes a command never returns
// (`cli login` has no --status: no 1).
export const exitCodeTable = (words: Words = english, without: readonly number[] = []): string =>
  [
    words.t('exit.title'),
    '',
    ...exitCodeRows(words)
      .filter(([code]) => !without.includes(code))
      .map(([code, meaning]) => `- ${String(code).padEnd(4)} ${meaning}`),
  ].join('\n')
