import { described, failure, isFailureReason, type Failure, type FailureDetails, type FailureKind, type FailureReason } from '../../machines/failure.js'

/** What an embedder's effect that words its own failure may add: the cause, and a code of its own. */
export interface WordedOptions {
  cause?: unknown
  reason?: string
}

/**
 * The one error class effects throw for the unexpected: the server could not be reached, it
 * answered something unusable, or a local file is unsafe. It carries a failure as data
 * (`kind`, `reason`, `details`, machines/failure.ts) that a front end words; `message` is the
 * reason code, or the line an embedder's own effect worded itself (`described`). Nothing in it is a
 * token, a password or a device code, so callers may show any of it.
 */
export class EngineError extends Error {
  override name = 'EngineError'
  readonly kind: FailureKind
  /** the failure's reason, or the code an embedder's effect gave its own line, else `described` */
  readonly reason: FailureReason | (string & {})
  readonly details: Failure['details']

  /**
   * `new EngineError(failure, { cause })` (or `engineError(reason, details, cause)`), as every
   * effect of this package throws; or, for an effect an embedder wrote that words its own line
   * (in its own language: a front end cannot translate it), `new EngineError(kind, text, { cause, reason })`.
   */
  constructor(failure: Failure, options?: { cause?: unknown })
  constructor(kind: FailureKind, text: string, options?: WordedOptions)
  constructor(what: Failure | FailureKind, text?: string | { cause?: unknown }, options?: WordedOptions) {
    const worded = typeof what === 'string'
    const cause = worded ? options?.cause : (text as { cause?: unknown } | undefined)?.cause
    const failure: Failure = worded ? described(what, String(text ?? ''), options?.reason) : what
    super(failure.reason === 'described' ? failure.details.text : failure.reason, cause === undefined ? undefined : { cause })
    this.kind = failure.kind
    this.reason = failure.reason === 'described' ? (failure.details.code ?? 'described') : failure.reason
    this.details = failure.details
  }

  /** `kind`, `reason` and `details` together (a worded line has reason `described`, its code in details). */
  get failure(): Failure {
    if ('text' in this.details && !isFailureReason(this.reason)) return described(this.kind, this.details.text, this.details.code)
    return { kind: this.kind, reason: this.reason, details: this.details } as Failure
  }
}

/** An `EngineError` of `reason`, its kind from the table. */
export const engineError = <R extends Exclude<FailureReason, 'described'>>(reason: R, details: FailureDetails[R], cause?: unknown): EngineError =>
  new EngineError(failure(reason, details) as Failure, cause === undefined ? undefined : { cause })
