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
    cancelled: ExitCode.cancelled,
  })[kind]

export const exitCodeTable = `Exit codes:
  0    done (also: already logged in; logout when nobody was logged in)
  1    --status: not logged in
  2    usage: bad or conflicting options, or input needed and no terminal to ask on
  3    server unreachable: DNS, refused, timeout, TLS, after the allowed retries
  4    refused: wrong email or password, too many attempts, pairing declined
  5    expired: the pairing code ran out before approval
  6    bad server response: malformed, missing fields, unsafe values
  7    local files: permissions, symlink, not owned by you, disk full, lock held
  70   internal error (a bug: please report it with --trace)
  130  cancelled by the user (Ctrl-C)`
