// What a request that failed without a usable answer becomes, by the error codes Node, undici
// and llhttp give (a browser's fetch gives none: `TypeError: Failed to fetch`). A bundle for the
// browser takes connection-codes.browser.ts instead (package.json `browser`), which knows no
// code: the tables below are then never shipped to a page, where they would match nothing.
import { engineError, type EngineError } from './engine-error.js'
import { errorCode, networkErrorCode, timedOut } from './request-failures.js'
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

const isTlsCode = (code: string | undefined): code is string => Boolean(code && (TLS_CODES.has(code) || TLS_CODE.test(code)))

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

/** An error as far as its cause chain is read: each link may carry a code, a message, a cause. */
type Caused = { code?: unknown; message?: unknown; cause?: unknown } | null | undefined

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
 * A failed connection by its code: `tls` for certificate and handshake failures before the
 * request went out (with `plainHttp` when the server speaks plain http), else `dns`,
 * `connectionRefused` or `network`, and whether the failure came before the request was written.
 */
export type ConnectionKind = { reason: 'tls'; code: string; plainHttp: boolean } | { reason: 'dns' | 'connectionRefused' | 'network'; beforeSending: boolean }

/** What `code` (the first in the error's cause chain) says of a connection that failed; `sent`: the request was written. */
export const connectionKind = (code: string | undefined, error: unknown, sent: boolean): ConnectionKind => {
  if (!sent && isTlsCode(code)) return { reason: 'tls', code, plainHttp: answersPlainHttp(error) }
  const beforeSending = Boolean(code && BEFORE_SENDING.has(code))
  if (code && DNS_CODES.has(code)) return { reason: 'dns', beforeSending }
  return { reason: code === 'ECONNREFUSED' ? 'connectionRefused' : 'network', beforeSending }
}

// Node's HTTP parser (llhttp) names what it could not parse HPE_*: a header too large, a bad
// chunk size, a NUL, HTTP/0.9, a Content-Length beside Transfer-Encoding. The server answered,
// so it is a bad response (not worth a retry), and it may have acted on the request.
export const isParseErrorCode = (code: string | undefined): code is string => Boolean(code && /^HPE_[A-Z_]{1,40}$/.test(code))

export const malformedHttp = (url: string, code: string, acts: boolean): EngineError =>
  engineError('malformedHttp', { host: hostOf(url), code, mayHaveReachedServer: acts })

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

/**
 * A request that failed: where it went, whether it was written (`sent`: the answer was being
 * read) and can act (a POST), and whether its own time limit (`timeoutMs`, cut short by the
 * shared deadline when `byDeadline`) ended it.
 */
export interface Exchange {
  url: string
  sent: boolean
  acts: boolean
  expired: boolean
  timeoutMs: number
  byDeadline: boolean
}

/**
 * What a request that failed becomes (a cancel and a too large body are the caller's): an answer
 * llhttp could not parse, an answer cut short, a time-out, else a connection failure.
 */
export const exchangeFailure = (error: unknown, exchange: Exchange): EngineError => {
  const { url, sent, acts } = exchange
  const code = errorCode(error)
  if (isParseErrorCode(code)) return malformedHttp(url, code, acts)
  // The answer began and stopped short of what it announced: the server's doing, not the network's.
  if (sent && code === 'ERR_STREAM_PREMATURE_CLOSE') return engineError('answerCutShort', { host: hostOf(url), mayHaveReachedServer: acts })
  if (exchange.expired) return timedOut(url, exchange.timeoutMs, acts, sent, exchange.byDeadline)
  return connectionFailure(url, error, sent, acts)
}
