// The parts of a failed request's failure: its error code (Node's and undici's; what a failed
// exchange becomes, by its code, is connection-codes.ts), time-outs, a cancel.
import { type EngineError, engineError } from './engine-error.js'
import { hostOf } from './server-url.js'

/** An error as far as its cause chain is read: each link may carry a code, a message, a cause. */
type Caused = { code?: unknown; message?: unknown; cause?: unknown } | null | undefined

export const errorCode = (error: unknown): string | undefined => {
  const seen = new Set<unknown>()
  let current = error as Caused
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current)
    if (typeof current.code === 'string' && current.code !== 'ERR_INVALID_URL') return current.code
    current = current.cause as Caused
  }
  return undefined
}

/** The error code of a failed connection, when it looks like one (`ECONNREFUSED`), else null. */
export const networkErrorCode = (error: unknown): string | null => {
  const code = errorCode(error)
  return code && /^[A-Z0-9_]{2,40}$/.test(code) ? code : null
}

/**
 * No answer in time: after `afterMs`, or at once when the shared deadline had passed (null).
 * `deadline`: the shared deadline cut the request's own limit short, so `afterMs` is only what
 * was left of the command's time, not a limit worth naming.
 */
export const timedOut = (url: string, afterMs: number | null, acts: boolean, reading = false, deadline = afterMs === null): EngineError =>
  engineError('timeout', { host: hostOf(url), afterMs, reading, deadline, mayHaveReachedServer: acts && afterMs !== null })

export const cancelled = () => engineError('cancelled', { flow: 'request' })
