import type { FailureDetails, FailureKind, FailureReason } from '../../machines/failure.js'

/**
 * The one error class effects throw for the unexpected: the server could not be reached, it
 * answered something unusable, or a local file is unsafe. `message` is a single line a person
 * can act on; it never carries a token, a password or a device code, so callers may print it.
 */
export class EngineError extends Error {
  override name = 'EngineError'
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown; reason?: FailureReason; details?: FailureDetails },
  ) {
    super(message, options)
    this.reason = options?.reason
    this.details = options?.details
  }
  readonly reason: FailureReason | undefined
  readonly details: FailureDetails | undefined
}
