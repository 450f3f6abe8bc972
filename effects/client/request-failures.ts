// How a request that got no usable answer becomes a failure: its error code (Node's and
// undici's; what each connection code means is connection-codes.ts), llhttp's parse errors,
// time-outs, and the failures made of them.
import { connectionKind } from './connection-codes.js'
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
 * A connection failure as data: `tls` for certificate and handshake failures (retrying cannot
 * fix a certificate; the way out is to trust the server's CA, or, when the server speaks plain
 * http, `plainHttp`), `dns` for a host not found, `connectionRefused`, else `network`.
 * `sent`: the request was written already, so any failure may come after the server acted on it;
 * `acts`: the request is one that can act (a POST), else it never counts as acted on.
 */
export const connectionFailure = (url: string, error: unknown, sent: boolean, acts: boolean): EngineError => {
  const host = hostOf(url)
  const connection = connectionKind(errorCode(error), error, sent)
  if (connection.reason === 'tls') return engineError('tls', { host, code: connection.code, plainHttp: connection.plainHttp, mayHaveReachedServer: false })
  const details = { host, code: networkErrorCode(error), status: null, mayHaveReachedServer: acts && (sent || !connection.beforeSending) }
  return engineError(connection.reason, details)
}

// Node's HTTP parser (llhttp) names what it could not parse HPE_*: a header too large, a bad
// chunk size, a NUL, HTTP/0.9, a Content-Length beside Transfer-Encoding. The server answered,
// so it is a bad response (not worth a retry), and it may have acted on the request.
export const isParseErrorCode = (code: string | undefined): code is string => Boolean(code && /^HPE_[A-Z_]{1,40}$/.test(code))

export const malformedHttp = (url: string, code: string, acts: boolean): EngineError =>
  engineError('malformedHttp', { host: hostOf(url), code, mayHaveReachedServer: acts })

/**
 * No answer in time: after `afterMs`, or at once when the shared deadline had passed (null).
 * `deadline`: the shared deadline cut the request's own limit short, so `afterMs` is only what
 * was left of the command's time, not a limit worth naming.
 */
export const timedOut = (url: string, afterMs: number | null, acts: boolean, reading = false, deadline = afterMs === null): EngineError =>
  engineError('timeout', { host: hostOf(url), afterMs, reading, deadline, mayHaveReachedServer: acts && afterMs !== null })

export const cancelled = () => engineError('cancelled', { flow: 'request' })
