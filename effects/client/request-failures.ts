// How a request that got no usable answer becomes a failure: the tables of Node's and undici's
// error codes (before sending or after, DNS, TLS, llhttp's parse errors) and the failures made
// of them.
import { type EngineError, engineError } from './engine-error.js'
import { hostOf } from './server-url.js'

// Node/undici error codes of certificate and handshake failures: retrying cannot fix them.
// The words for every code are the front end's (cli/words/); a code is passed on only when it
// looks like one, never the library's message (it holds the full URL).
export const TLS_CODES: ReadonlySet<string> = new Set([
  'EPROTO',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_)/

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

const isTlsCode = (code: string | undefined): code is string => Boolean(code && (TLS_CODES.has(code) || TLS_CODE.test(code)))

/** The error code of a failed connection, when it looks like one (`ECONNREFUSED`), else null. */
export const networkErrorCode = (error: unknown): string | null => {
  const code = errorCode(error)
  return code && /^[A-Z0-9_]{2,40}$/.test(code) ? code : null
}

// Failures that come before a request is written: nothing reached the server, so a POST may be
// tried again. Anything else (a reset, a time-out waiting, a cut answer) may come after the
// server acted on it.
const BEFORE_SENDING = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NODATA',
  'EAI_NONAME',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  // The connection time limit (effects/node/node-fetch.ts) fires only before the connection is up.
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
])

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME'])

// OpenSSL's words when the other end answered something that is no TLS record: an http server.
const PLAIN_HTTP = /wrong version number|packet length too long|http request/i

const answersPlainHttp = (error: unknown): boolean => {
  const seen = new Set<unknown>()
  let current = error as Caused
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current)
    if (typeof current.message === 'string' && PLAIN_HTTP.test(current.message)) return true
    if (typeof current.code === 'string' && /WRONG_VERSION_NUMBER|HTTP_REQUEST/.test(current.code)) return true
    current = current.cause as Caused
  }
  return false
}

/**
 * A connection failure as data: `tls` for certificate and handshake failures (retrying cannot
 * fix a certificate; the way out is to trust the server's CA, or, when the server speaks plain
 * http, `plainHttp`), `dns` for a host not found, `connectionRefused`, else `network`.
 * `sent`: the request was written already, so any failure may come after the server acted on it;
 * `acts`: the request is one that can act (a POST), else it never counts as acted on.
 */
export const connectionFailure = (url: string, error: unknown, sent: boolean, acts: boolean): EngineError => {
  const code = errorCode(error)
  const host = hostOf(url)
  if (!sent && isTlsCode(code)) return engineError('tls', { host, code, plainHttp: answersPlainHttp(error), mayHaveReachedServer: false })
  const details = { host, code: networkErrorCode(error), status: null, mayHaveReachedServer: acts && (sent || !(code && BEFORE_SENDING.has(code))) }
  if (code && DNS_CODES.has(code)) return engineError('dns', details)
  return engineError(code === 'ECONNREFUSED' ? 'connectionRefused' : 'network', details)
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
