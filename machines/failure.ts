// What ended a flow, as data every front end can switch on and word in its own language:
// `kind` picks the exit code (cli/exit-codes.ts), `reason` is a stable code and `details` the
// typed facts of that reason (a host, a path, a wait, a count of tries). Nothing here or in
// effects/client/ is a sentence for a person: the CLI words a failure from its reason and
// details (cli/words/), and so can any other front end. Details never hold a token, a
// password or a device code; text a server sent is there only after the sanitizer.
import { NODE_REASON_KIND } from './node-reasons.js'

export type FailureKind =
  | 'usage' //         2: bad or conflicting options, input needed and no terminal
  | 'unreachable' //   3: DNS, refused, timeout, TLS, after the allowed retries
  | 'refused' //       4: wrong email or password, too many attempts, pairing declined
  | 'expired' //       5: the pairing code ran out before approval
  | 'bad_response' //  6: malformed, missing fields, unsafe values
  | 'local_files' //   7: permissions, symlink, not owned by you, disk full, lock held
  | 'internal' //     70: an effect threw something that is not a failure: a bug in the effect
  | 'cancelled' //   130: the user stopped it

/** Why an address (`--server`, or one a server sent) is not usable. */
export type AddressProblem = 'controlChars' | 'notUrl' | 'userInfo' | 'credentials' | 'plainHttp' | 'scheme' | 'queryOrFragment'

/** What was wrong with a field a server sent. */
export type FieldProblem =
  | { problem: 'missing' }
  | { problem: 'controlChars' }
  | { problem: 'tooLong' }
  | { problem: 'unsafeAddress'; address: AddressProblem; scheme: string | null }
  | { problem: 'notHttps' }
  | { problem: 'otherSite'; site: string | null }
  | { problem: 'hidesSecret' }
  | { problem: 'notUserCode'; min: number; max: number }
  | { problem: 'outOfRange'; value: number | null; min: number; max: number }

/** Which request a server refused, for `serverRefused`. */
export type RefusedRequest = 'login' | 'deviceAuthorization' | 'deviceToken' | 'account' | 'processRegistration' | 'processCheck' | 'revocation' | 'renewal'

/** What a cancelled failure stopped. */
export type CancelledFlow = 'login' | 'pairing' | 'logout' | 'status' | 'request' | 'deviceAuthorization'

/** How a proxy failed a request, for `proxy`. */
export type ProxyProblem =
  | { problem: 'auth'; status: number; hasCredentials: boolean }
  | { problem: 'closedBeforeTunnel' }
  | { problem: 'status'; status: number }
  | { problem: 'network'; code: string | null }

// `host` is the host of the address the step talked to (sanitized: metadata may name any
// host), or null when it does not parse; the words then say "the server".
type Host = { host: string | null }

/**
 * Whether the request may have reached the server and been acted on (the answer was lost, cut
 * or malformed): a POST is then never repeated, and whatever it may have rotated is treated as
 * rotated. False when the failure came before anything was sent (DNS, refused, a 503).
 */
type Reached = { mayHaveReachedServer: boolean }

/** A failed connection: the error code (`ECONNRESET`) when it looks like one, or the gateway's status. */
export type NetworkDetails = Host & Reached & { code: string | null; status: number | null }

/** A refusal as the server said it: its `error` ('' when it sent one that cannot be shown) and description, sanitized. */
export type RefusalDetails = Host & { request: RefusedRequest; error: string | null; description: string | null; status: number }

// --- the credential store's files (effects/store/) -------------------------------------------

/** A path of the store; `variable` names the variable that chose it (`OMICOS_HOME`), when one did. */
export type StorePath = { path: string; variable?: string }

/** How a file or folder is open to others: its POSIX mode and the one wanted, or (Windows) who else its ACL lets in. */
export type FileOpenness = { mode: string; wanted: string } | { others: string[] }

/** What is wrong with a file or folder the store found (not an I/O step on it), for `fileUnsafe`. */
export type FileProblem =
  | { problem: 'symlink' }
  | { problem: 'notDirectory' }
  | { problem: 'notRegular' }
  | { problem: 'notOwned'; entry: 'dir' | 'file'; ownerUid: number }
  /** `fix`: the command that makes it private (`chmod 600 …`, `icacls …`), as a person types it */
  | ({ problem: 'notPrivate'; fix: string } & FileOpenness)
  | { problem: 'tooLarge' }
  /** a folder removed by someone else while it was being created */
  | { problem: 'vanished' }

/**
 * Which I/O step on a path failed, for `fileIo`: `makePrivate` names the tool (`chmod 700`,
 * `icacls`); `writeIn` is the probe of a folder, `nearest` the existing folder it would have been
 * created in when it is not there yet (else null); `replaceHeld` is a replace another program
 * refused for `waitedMs` by keeping the file open (Windows).
 */
export type FileStep =
  | { step: 'open' | 'create' | 'read' | 'write' | 'remove' | 'list' | 'lock' }
  | { step: 'makePrivate'; tool: string }
  | { step: 'writeIn'; nearest: string | null }
  | { step: 'replaceHeld'; waitedMs: number }

/** What is wrong in a credential file that is there and readable, for `fileInvalid`; never its contents. */
export type CredentialFileProblem =
  | { problem: 'notJson' }
  | { problem: 'notObject' }
  | { problem: 'newerVersion'; version: number }
  | { problem: 'version' }
  | { problem: 'missing'; field: string }
  | { problem: 'tooLong'; field: string; max: number }
  | { problem: 'controlChars'; field: string }
  | { problem: 'notTime'; field: string }
  | { problem: 'processId' }
  | { problem: 'authMethod' }
  | { problem: 'server' }
  | { problem: 'cloudBase' }
  | { problem: 'notFingerprint'; field: string }
  | { problem: 'notObjectField'; field: string }
  | { problem: 'notPid'; field: string }
  | { problem: 'notInteger'; field: string }

/** What holds a store lock, by its purpose (effects/store/lock.ts). */
export type LockPurpose = 'login' | 'register' | 'renew' | 'logout' | 'repair' | 'write'

/** The facts of each reason. A new reason gets words in every catalog of cli/words/ (a spec checks). */
export interface FailureDetails {
  // usage
  /** credentials are needed and there is no terminal to ask on */
  needsTerminal: Record<string, never>
  /** the login here is on another server than the one asked */
  wrongServer: { here: string; asked: string }
  /** `--server` (or the variable named by `option`) is not a usable address; `value` is null when it cannot be shown */
  unusableAddress: { option: string; value: string | null; problem: AddressProblem; scheme: string | null }
  /** `runDeviceGrant` was given neither metadata nor a server */
  noEndpoints: Record<string, never>
  /** a front end's `processId` that no server registers (LoginInput.processId says which are) */
  unusableProcessId: { processId: string }
  // refused
  /** the server said wrong email or password; `serverText` is its own reason, sanitized */
  wrongCredentials: { serverText: string | null; attempts: number }
  /** too many attempts; the wait the server asked for */
  rateLimited: Host & { retryAfterMs: number }
  /** the approver declined */
  pairingDenied: Record<string, never>
  /** invalid_grant after pending (maybe approved, answer lost) */
  pairingCodeUnusable: Record<string, never>
  /** the server refuses new pairing requests for now (429) */
  pairingRequestsLimited: Host
  /** the refresh token no longer works either */
  renewRejected: Host
  /** the server no longer accepts the user token (401/403 to the account request) */
  loginRejected: Host & { status: number }
  /** the server does not accept the user token a process registration was sent with (401/403) */
  registrationUnauthorized: Host & { status: number }
  /** the refresh token no longer works, after a renewal that may have landed and whose answer was lost */
  renewalLost: Host
  // local_files
  /** the credential file of a login was removed while it was being used */
  fileGone: { path: string }
  /** the login a front end keeps in its own storage (`place`) is gone */
  storedLoginGone: { place: string }
  /** a front end's storage refused to keep the login */
  storageRefused: { place: string }
  // expired
  /** the code ran out before approval */
  pairingExpired: Record<string, never>
  // unreachable
  /** reset, closed, a gateway answering 502/503/504 (`status`), anything but the two below */
  network: NetworkDetails
  /** the host is unknown (DNS) */
  dns: NetworkDetails
  /** nothing listens at that address and port */
  connectionRefused: NetworkDetails
  /** a certificate or handshake failure, or `plainHttp`: an https address whose server speaks plain http; never retried */
  tls: Host & Reached & { code: string | null; plainHttp: boolean }
  /**
   * no answer in time: after `afterMs` (null when the shared deadline had passed before the
   * request); `deadline` when the command's shared deadline, not the request's own limit, ended it
   */
  timeout: Host & Reached & { afterMs: number | null; reading: boolean; deadline: boolean }
  /** a proxy between here and the server failed the request */
  proxy: Host & { proxy: string; variable: string } & ProxyProblem
  /** the server did not confirm a revocation in time */
  revocationTimeout: { afterMs: number }
  // bad_response
  /** a server refused a request in a way the protocol does not expect */
  serverRefused: RefusalDetails
  /** an HTTP answer Node's parser could not read (`HPE_*`): the server answered, and may have acted */
  malformedHttp: Host & Reached & { code: string }
  /** the server closed the connection before the answer it announced was complete */
  answerCutShort: Host & Reached
  /** a registration answered with a server error: it may have been made all the same */
  registrationServerError: RefusalDetails
  /** a registration refused with another 4xx: the server says it did nothing */
  registrationRefused: RefusalDetails
  /** a registration answer that is not a JSON object */
  registrationNotJson: Host
  /** a registration answer without a field the engine needs */
  registrationField: Host & { field: string }
  /** a registration answered for another (or a malformed) process id */
  registrationProcessId: Host
  /** a registration answered with a process token already past its expiry */
  processTokenExpired: Host
  /** a 3xx where an answer was expected (redirects are not followed) */
  redirect: Host & { status: number }
  /** an answer larger than the engine reads */
  tooLarge: Host & { maxBytes: number }
  /** an answer that is not JSON */
  notJson: Host & { status: number }
  /** JSON that is not an object */
  notObject: Host & { status: number }
  /** a Retry-After of more than a day */
  retryAfterTooLong: Host
  /** a field of an answer the engine cannot use */
  unusableField: Host & { field: string } & FieldProblem
  /** a token response without a usable token or type */
  unusableTokenResponse: Host & { field: 'access_token' | 'token_type' | 'refresh_token' }
  /** a token of a type other than Bearer (RFC 6750): only Bearer tokens are presented */
  tokenTypeNotBearer: Host
  /** a token longer than the engine keeps */
  tokenTooLong: Host & { field: 'access_token' | 'refresh_token'; maxLength: number }
  /** a renewal answer that could not be used (`answer` says why); what it carried was revoked, the login is kept */
  renewAnswerRefused: { answer: Failure }
  /** as renewAnswerRefused, and the answer had spent the stored refresh token: log in again */
  renewAnswerRefusedSpent: { answer: Failure }
  /** an expiry that is not a date within ten years */
  unusableExpiry: Host & { of: 'processToken' | 'process' }
  /** RFC 8414 metadata for another issuer than the server asked; `named`: the one it names, when plausibly the same server by another name */
  issuerMismatch: Host & { issuer: string | null; named: string | null }
  /** metadata that puts an endpoint receiving credentials on another origin than the issuer's (null: none) */
  endpointOffOrigin: Host & { field: string; endpointOrigin: string | null; issuerOrigin: string }
  /** no metadata at either well-known address */
  noMetadata: Host & { status: number }
  /** metadata that is not a JSON object */
  metadataNotObject: Host
  /** an endpoint the step needs is not in the metadata */
  notAdvertised: Host & { field: string }
  /** the metadata has no device authorization endpoint */
  noDeviceAuthorization: Host
  /** the server does not take the password grant */
  noPasswordLogin: Host
  /** the server logged in another account than the email typed (`askedEmail`), or answers for another than the file's (`storedEmail`) */
  accountMismatch: { askedEmail: string | null; answeredEmail: string } | { storedEmail: string | null; answeredEmail: string }
  /** an account email that does not look like one: never shown */
  accountEmailUnusable: Host
  /** the account endpoint refused a token the server had just issued */
  tokenRejectedAtOnce: Host
  /** the device grant ended without a token response */
  noTokenResponse: Record<string, never>
  // internal
  /**
   * An effect rejected with something that is not a failure (a `TypeError`, `throw new
   * Error('stop')`): a bug in that effect, not an answer of the server. `effect` is the id of
   * the invocation that threw (`pollToken`), null when not known; `message` is what it threw.
   */
  effectException: { effect: string | null; message: string }
  // cancelled
  cancelled: { flow: CancelledFlow }
  // Node effects (effects/node/): the environment they read, the prompts, the files a login is
  // renewed or realigned in
  /** a proxy variable that is not an address, or names a proxy of a scheme other than http(s) (`proxy`: it without credentials) */
  unusableProxy: { variable: string } & ({ problem: 'notUrl' } | { problem: 'scheme'; scheme: string; proxy: string })
  /** a CA bundle variable naming a file that cannot be used; `code` the error code of one that cannot be read otherwise */
  unusableCaBundle: { variable: string; path: string; problem: 'missing' | 'denied' | 'folder' | 'unreadable' | 'noPem'; code: string | null }
  /** `--password-stdin` found a terminal, more than `maxBytes`, or nothing */
  passwordStdin: { problem: 'terminal' } | { problem: 'tooLarge'; maxBytes: number } | { problem: 'empty' }
  /** the server did not confirm the revocation of `count` tokens: they are queued to try again */
  revocationsKept: { count: number }
  /** the credential file of a login was removed while this process renewed (or realigned) the login in it */
  removedWhileUsed: { path: string; during: 'renewal' | 'realignment' }
  /** another process (`pid`) is renewing this login, maybe stopped: its refresh token is not sent again until it ends */
  renewalInFlight: { pid: number }
  // the credential store (effects/store/)
  /** neither HOME (absolute) nor OMICOS_HOME names a home for the global login */
  fileNoHome: { home: 'unset' | 'relative' }
  /** OMICOS_WORKSPACE is not an existing folder (`value` null when it cannot be shown), or `--workspace` in the home folder (`path` null: not shown) */
  workspaceUnusable: { problem: 'notDirectory'; variable: string; value: string | null } | { problem: 'homeFolder'; path: string | null }
  /** a file or folder of the store that omicos does not use as it is */
  fileUnsafe: StorePath & FileProblem
  /** an I/O step on a path failed; `io` is the error code (`EACCES`, `EROFS`), null when there is none */
  fileIo: StorePath & FileStep & { io: string | null }
  /** a credential file that is there but not one omicos can use */
  fileInvalid: StorePath & CredentialFileProblem
  /** the lock of `path` is held by a live process (`pid`, `purpose` null when not known) past the wait */
  lockHeld: StorePath & { pid: number | null; purpose: LockPurpose | null }
  /** the lock of `path` was taken over while this process was stopped: nothing was written */
  lockLost: StorePath
  /** another `omicos cli login` is waiting for the pairing of `path` (same server and workspace) */
  lockPairing: StorePath
  // any kind
  /**
   * An effect an embedder wrote worded this failure itself: `text` is that one line, in the
   * embedder's language, `code` a reason of its own, if any. Kept for those effects (built with
   * `described()` or `new EngineError(kind, text)`); no effect of this package uses it, as a
   * front end cannot word such a line in another language (spec/cli/failure-words.spec.ts
   * fails on one in machines/ or effects/).
   */
  described: { text: string; code?: string }
}

export type FailureReason = keyof FailureDetails

/** A failure of one reason. */
export type FailureOf<R extends FailureReason> = { kind: FailureKind; reason: R; details: FailureDetails[R] }

/** A failure, narrowed by `switch (failure.reason)`. */
export type Failure = { [R in FailureReason]: FailureOf<R> }[FailureReason]

// The kinds of the reasons only Node gives (its connection codes, the environment, the prompts,
// the credential store's files and locks) are in node-reasons.ts, which a browser bundle
// replaces with an empty table (package.json `browser`): a page never meets those reasons, and
// their names are near a third of the table. Everywhere else (Node, the CLI, the specs) the table is whole.
type NodeReason = keyof typeof NODE_REASON_KIND

// A reason of node-reasons.ts that FailureDetails does not name fails to compile here.
const NODE_KIND: { [R in NodeReason]: R extends FailureReason ? FailureKind : never } = NODE_REASON_KIND

/** The kind of each reason (`described` takes the kind it is given). */
export const REASON_KIND: { [R in Exclude<FailureReason, 'described'>]: FailureKind } = {
  needsTerminal: 'usage',
  wrongServer: 'usage',
  unusableAddress: 'usage',
  noEndpoints: 'usage',
  unusableProcessId: 'usage',
  wrongCredentials: 'refused',
  rateLimited: 'refused',
  pairingDenied: 'refused',
  pairingCodeUnusable: 'refused',
  pairingRequestsLimited: 'refused',
  renewRejected: 'refused',
  loginRejected: 'refused',
  registrationUnauthorized: 'refused',
  storedLoginGone: 'local_files',
  storageRefused: 'local_files',
  pairingExpired: 'expired',
  network: 'unreachable',
  timeout: 'unreachable',
  revocationTimeout: 'unreachable',
  serverRefused: 'bad_response',
  registrationServerError: 'bad_response',
  registrationRefused: 'bad_response',
  registrationNotJson: 'bad_response',
  registrationField: 'bad_response',
  registrationProcessId: 'bad_response',
  processTokenExpired: 'bad_response',
  tokenTypeNotBearer: 'bad_response',
  tokenTooLong: 'bad_response',
  renewAnswerRefused: 'bad_response',
  renewAnswerRefusedSpent: 'bad_response',
  redirect: 'bad_response',
  tooLarge: 'bad_response',
  notJson: 'bad_response',
  notObject: 'bad_response',
  retryAfterTooLong: 'bad_response',
  unusableField: 'bad_response',
  unusableTokenResponse: 'bad_response',
  unusableExpiry: 'bad_response',
  issuerMismatch: 'bad_response',
  endpointOffOrigin: 'bad_response',
  noMetadata: 'bad_response',
  metadataNotObject: 'bad_response',
  notAdvertised: 'bad_response',
  noDeviceAuthorization: 'bad_response',
  noPasswordLogin: 'bad_response',
  accountMismatch: 'bad_response',
  accountEmailUnusable: 'bad_response',
  tokenRejectedAtOnce: 'bad_response',
  noTokenResponse: 'bad_response',
  effectException: 'internal',
  cancelled: 'cancelled',
  ...NODE_KIND,
}

/** Every reason, for a front end's catalog to be checked against. */
// Pure: a bundle that does not read the list (a front end's own catalog check) drops it.
export const FAILURE_REASONS = /* @__PURE__ */ Object.keys(REASON_KIND).concat('described') as FailureReason[]

/** A failure of `reason`, its kind from the table. */
export const failure = <R extends Exclude<FailureReason, 'described'>>(reason: R, details: FailureDetails[R]): FailureOf<R> =>
  ({ kind: REASON_KIND[reason], reason, details }) as FailureOf<R>

/** A failure an embedder's own effect worded itself (see `described`); the package's effects use `failure()`. */
export const described = (kind: FailureKind, text: string, code?: string): FailureOf<'described'> => ({
  kind,
  reason: 'described',
  details: code === undefined ? { text } : { text, code },
})

/** The request may have reached the server and been acted on (see `Reached`). */
export const mayHaveReachedServer = (error: Failure): boolean => 'mayHaveReachedServer' in error.details && error.details.mayHaveReachedServer === true

/** Whether `value` is a reason of the table (or `described`), not a code an embedder's effect gave its own line. */
// Own keys only: `toString` is in every object, not a reason.
export const isFailureReason = (value: unknown): value is FailureReason => typeof value === 'string' && (value === 'described' || Object.hasOwn(REASON_KIND, value))

// Effects reject with an Error that carries a failure (effects/client/engine-error.ts); an
// error with only a kind and a message is one worded where it was raised; anything else that
// reaches a machine is a bug in the effect (`effect`: the invocation's id), reported as such
// rather than crashing the actor or passing for a server's answer.
export const toFailure = (error: unknown, effect: string | null = null): Failure => {
  if (error && typeof error === 'object' && 'kind' in error) {
    const { kind, reason, details, message } = error as { kind: FailureKind; reason?: unknown; details?: unknown; message?: unknown }
    if (isFailureReason(reason) && reason !== 'described' && details && typeof details === 'object') return { kind, reason, details } as Failure
    if (reason === 'described' && details && typeof details === 'object' && 'text' in details) return { kind, reason, details } as Failure
    return described(kind, String(message), typeof reason === 'string' ? reason : undefined)
  }
  return failure('effectException', { effect, message: error instanceof Error ? error.message : String(error) })
}

const ERROR_EVENT_PREFIX = 'xstate.error.actor.'

/** The failure an effect's rejection (`xstate.error.actor.<id>`) stands for, its id named. */
export const effectFailure = (event: { type: string; error: unknown }): Failure =>
  toFailure(event.error, event.type.startsWith(ERROR_EVENT_PREFIX) ? event.type.slice(ERROR_EVENT_PREFIX.length) : null)

export const notProvided = (name: string) => async (): Promise<never> => {
  // For a developer, not a user: the front end forgot to provide an effect.
  throw new Error(`the "${name}" effect was not provided: pass it with machine.provide({ actors })`)
}
