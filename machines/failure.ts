// What ended a login, as a value every front end can switch on. The CLI maps `kind` to an
// exit code (cli/exit-codes.ts); `message` is one line for a person and never holds a token,
// a password or a device code.
export type FailureKind =
  | 'usage' //         2: bad or conflicting options, input needed and no terminal
  | 'unreachable' //   3: DNS, refused, timeout, TLS, after the allowed retries
  | 'refused' //       4: wrong email or password, too many attempts, pairing declined
  | 'expired' //       5: the pairing code ran out before approval
  | 'bad_response' //  6: malformed, missing fields, unsafe values
  | 'local_files' //   7: permissions, symlink, not owned by you, disk full, lock held
  | 'cancelled' //   130: the user stopped it

// Why, within a kind, as a code a front end words in its own way; `message` is a plain default
// that names no command. Effects set a reason on the errors they throw when a machine's
// decision depends on it (a TLS failure is never retried).
export type FailureReason =
  | 'needsTerminal' //       usage: credentials are needed and there is no terminal to ask on
  | 'wrongServer' //         usage: the login here is on another server than the one asked
  | 'wrongCredentials' //    refused: the server said wrong email or password
  | 'rateLimited' //         refused: too many attempts, longer than the login waits
  | 'pairingDenied' //       refused: the approver declined
  | 'pairingCodeUnusable' // refused: invalid_grant after pending (maybe approved, answer lost)
  | 'pairingExpired' //      expired: the code ran out before approval
  | 'renewRejected' //       refused: the refresh token no longer works
  | 'renewalLost' //         refused: as renewRejected, after a renewal that may have landed and whose answer was lost
  | 'renewAnswerRefused' //  bad_response: a renewal answer could not be used (what it carried was revoked)
  | 'renewAnswerRefusedSpent' // bad_response: as renewAnswerRefused, and it had spent the stored refresh token
  | 'tls' | 'network' | 'timeout' | 'proxy' // unreachable
  | 'dns' | 'connectionRefused' //              unreachable: the host is unknown, or nothing listens there
  | 'issuerMismatch' //                          bad_response: the metadata names another issuer
  | (string & {})

/**
 * Typed facts about a failure (a host, an origin, an email, a flag), for a front end to word and
 * for a machine to decide on; never a token, a password or a device code.
 */
export type FailureDetails = Readonly<Record<string, string | number | boolean | null | readonly string[]>>

export interface Failure {
  kind: FailureKind
  message: string
  reason?: FailureReason
  details?: FailureDetails
}

export const failure = (kind: FailureKind, message: string, reason?: FailureReason, details?: FailureDetails): Failure => ({
  kind,
  message,
  ...(reason === undefined ? {} : { reason }),
  ...(details === undefined ? {} : { details }),
})

/**
 * The request may have reached the server and been acted on (the answer was lost, cut or
 * malformed): a POST is then never repeated, and whatever it may have rotated is treated as rotated.
 */
export const mayHaveReachedServer = (error: Failure): boolean => error.details?.mayHaveReachedServer === true

// Effects reject with an Error subclass that carries `kind`; anything else that reaches a
// machine is a bug in an effect, reported as a bad response rather than crashing the actor.
export const toFailure = (error: unknown): Failure => {
  if (error && typeof error === 'object' && 'kind' in error && 'message' in error) {
    const { kind, message, reason, details } = error as { kind: FailureKind; message: string; reason?: FailureReason; details?: FailureDetails }
    return failure(kind, String(message), reason ?? undefined, details ?? undefined)
  }
  return { kind: 'bad_response', message: error instanceof Error ? error.message : String(error) }
}

export const notProvided = (name: string) => async (): Promise<never> => {
  throw new Error(`the "${name}" effect was not provided: pass it with machine.provide({ actors })`)
}
