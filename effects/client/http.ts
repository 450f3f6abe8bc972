import type { RefusalDetails, RefusedRequest } from '../../machines/failure.js'
import { EngineError, engineError } from './engine-error.js'
import { holdSecrets } from './held-secrets.js'
import { serverErrorCode, serverText } from './sanitize-server-text.js'
import { hostOf } from './server-url.js'
import { SKEW_TOLERANCE_MS } from './clock.js'

/**
 * The part of the WHATWG fetch the effects use. Injectable: the Node actors
 * (effects/node/node-fetch.ts) pass cross-fetch with connection time limits, tests their own;
 * without one, the platform's globalThis.fetch.
 */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>

export interface HttpDeps {
  fetch?: FetchLike
  /** per request, connection and answer included (default 5000) */
  timeoutMs?: number
  /**
   * epoch ms (Date.now) by which every request must have its answer: each request's time limit
   * is cut to what is left, and once it has passed a request fails as `unreachable` at once
   */
  deadline?: number
}

export const DEFAULT_TIMEOUT_MS = 5_000

export interface JsonResponse {
  status: number
  headers: Headers
  /** the parsed body: a JSON object, or null for an empty body when `allowEmpty` */
  body: Record<string, unknown> | null
}

export interface RequestOptions {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** sent as application/x-www-form-urlencoded */
  form?: Record<string, string>
  /** sent as application/json */
  json?: unknown
  /** accept an answer without a body (RFC 7009 revocation) */
  allowEmpty?: boolean
  /** return a body that is not a JSON object as null instead of failing (to look at the status first) */
  lenient?: boolean
  /**
   * return 5xx answers to the caller instead of failing as `unreachable` (a device poll tells
   * a bad minute from a dead code by the status)
   */
  serverErrors?: boolean
  /**
   * secrets this request sends that are not in a Bearer header or a secret-named form field;
   * they are held (held-secrets.ts) so no server text can show them
   */
  secrets?: string[]
}

/** The largest body read, compressed or not: metadata and token answers are a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024

// Form fields whose values are secrets, sent by the password, device and revocation requests.
const SECRET_FIELDS = /^(password|device_code|token|refresh_token|client_secret|code_verifier|assertion)$/

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

const errorCode = (error: unknown): string | undefined => {
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
const connectionFailure = (url: string, error: unknown, sent: boolean, acts: boolean): EngineError => {
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
const isParseErrorCode = (code: string | undefined): code is string => Boolean(code && /^HPE_[A-Z_]{1,40}$/.test(code))

const malformedHttp = (url: string, code: string, acts: boolean): EngineError =>
  engineError('malformedHttp', { host: hostOf(url), code, mayHaveReachedServer: acts })

/** No answer in time: after `afterMs`, or at once when the shared deadline had passed (null). */
const timedOut = (url: string, afterMs: number | null, acts: boolean, reading = false): EngineError =>
  engineError('timeout', { host: hostOf(url), afterMs, reading, mayHaveReachedServer: acts && afterMs !== null })

const cancelled = () => engineError('cancelled', { flow: 'request' })

class BodyTooLarge extends Error {}

type Chunks = AsyncIterable<Uint8Array | string>

/**
 * The body as text, read as a stream and cut at `MAX_BODY_BYTES` decoded bytes: neither a
 * 100 MiB answer, nor an endless one, nor a small one that inflates (the fetch decompresses)
 * is ever held whole. Works with WHATWG streams (browsers, undici) and Node streams (node-fetch).
 */
const readCapped = async (response: Response, stop: () => void): Promise<string> => {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    stop()
    throw new BodyTooLarge()
  }
  const body = response.body as unknown
  if (body == null) return ''
  const decoder = new TextDecoder()
  let size = 0
  let text = ''
  const take = (chunk: Uint8Array | string) => {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    size += bytes.byteLength
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge()
    text += decoder.decode(bytes, { stream: true })
  }
  const reader = (body as { getReader?: () => ReadableStreamDefaultReader<Uint8Array> }).getReader?.()
  try {
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        take(value)
      }
    } else if (typeof (body as Chunks)[Symbol.asyncIterator] === 'function') {
      for await (const chunk of body as Chunks) take(chunk)
    } else {
      const whole = await response.text()
      if (whole.length > MAX_BODY_BYTES) throw new BodyTooLarge()
      return whole
    }
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      stop()
      reader?.cancel().catch(() => {})
      ;(body as { destroy?: () => void }).destroy?.()
    }
    throw error
  }
  return text + decoder.decode()
}

/**
 * The one door to the network: every request the engine makes goes through here. It sends
 * with redirects off (a 3xx is a bad response; nothing, least of all a password or a Bearer
 * token, is ever sent to a Location), reads at most `MAX_BODY_BYTES`, keeps to the time limit
 * and the shared deadline, and holds the secrets it sends (held-secrets.ts) so no server text
 * can show them. Connection failures, time-outs and gateway errors (502/503/504, unless
 * `serverErrors`) become `unreachable` (reason `tls` for certificate and handshake failures,
 * never worth a retry); a body that is not a JSON object becomes `bad_response`. Any other
 * status is returned to the caller, who knows what it means. No message carries a header or
 * a body.
 */
export const requestJson = async (
  deps: HttpDeps,
  url: string,
  options: RequestOptions = {},
  signal?: AbortSignal,
): Promise<JsonResponse> => {
  const fetchImpl: FetchLike = deps.fetch ?? ((url, init) => globalThis.fetch(url, init))
  if (signal?.aborted) throw cancelled()
  const left = deps.deadline === undefined ? Infinity : deps.deadline - Date.now()
  if (left <= 0) throw timedOut(url, null, false)
  const timeoutMs = Math.min(deps.timeoutMs ?? DEFAULT_TIMEOUT_MS, left)
  const controller = new AbortController()
  let expired = false
  const timer = setTimeout(() => {
    expired = true
    controller.abort()
  }, timeoutMs)
  const onAbort = () => controller.abort()
  signal?.addEventListener('abort', onAbort, { once: true })

  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  const bearer = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1]
  holdSecrets(bearer?.replace(/^\S+\s+/, ''), ...(options.secrets ?? []))
  let body: string | undefined
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
    for (const [name, value] of Object.entries(options.form)) if (SECRET_FIELDS.test(name)) holdSecrets(value)
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.json)
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST')
  const host = hostOf(url)
  // Only a POST can have done something at the server worth not doing twice; a GET is safe to repeat.
  const acts = method === 'POST'
  try {
    let response: Response
    try {
      // Redirects off for every method: a GET carries a Bearer token too, and an answer the
      // engine did not ask for is not an answer.
      response = await fetchImpl(url, { method, headers, body, redirect: 'manual', signal: controller.signal })
    } catch (error) {
      if (signal?.aborted) throw cancelled()
      // The Node fetch words what only it knows: a proxy that failed, a CA bundle that is unusable.
      if (error instanceof EngineError) throw error
      const code = errorCode(error)
      if (isParseErrorCode(code)) throw malformedHttp(url, code, acts)
      if (expired) throw timedOut(url, timeoutMs, acts)
      throw connectionFailure(url, error, false, acts)
    }
    const { status } = response
    // A browser's fetch shows a manual redirect as an opaque answer with status 0.
    if ((status >= 300 && status < 400) || response.type === 'opaqueredirect') {
      controller.abort()
      throw engineError('redirect', { host, status })
    }
    if (!options.serverErrors && (status === 502 || status === 503 || status === 504)) {
      controller.abort()
      // 503 says the server did not take the request; a gateway's 502 or 504 does not say.
      throw engineError('network', { host, code: null, status, mayHaveReachedServer: acts && status !== 503 })
    }
    let text: string
    try {
      text = await readCapped(response, () => controller.abort())
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        throw engineError('tooLarge', { host, maxBytes: MAX_BODY_BYTES })
      }
      if (signal?.aborted) throw cancelled()
      const code = errorCode(error)
      if (isParseErrorCode(code)) throw malformedHttp(url, code, acts)
      // The answer began and stopped short of what it announced: the server's doing, not the network's.
      if (code === 'ERR_STREAM_PREMATURE_CLOSE') throw engineError('answerCutShort', { host, mayHaveReachedServer: acts })
      if (expired) throw timedOut(url, timeoutMs, acts, true)
      throw connectionFailure(url, error, true, acts)
    }
    if (text.trim() === '' && options.allowEmpty) return { status, headers: response.headers, body: null }
    // An error page from a proxy in front of the server is not a protocol answer: its status says enough.
    const lenient = options.lenient || status === 429 || status >= 500
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      if (lenient) return { status, headers: response.headers, body: null }
      throw engineError('notJson', { host, status })
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      if (lenient) return { status, headers: response.headers, body: null }
      throw engineError('notObject', { host, status })
    }
    return { status, headers: response.headers, body: parsed as Record<string, unknown> }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** A refusal's details: the host, the request, the server's `error` and `error_description` after the sanitizer, the status. */
export const refusalDetails = (url: string, request: RefusedRequest, answer: Pick<JsonResponse, 'status' | 'body'>): RefusalDetails => ({
  host: hostOf(url),
  request,
  error: answer.body?.error === undefined ? null : (serverErrorCode(answer.body.error) ?? ''),
  description: serverText(answer.body?.error_description),
  status: answer.status,
})

/** The one place that turns a server's refusal into a failure; nothing else puts text a server sent into one. */
export const refusal = (url: string, request: RefusedRequest, answer: Pick<JsonResponse, 'status' | 'body'>): EngineError =>
  engineError('serverRefused', refusalDetails(url, request, answer))

const MAX_RETRY_AFTER_S = 86_400

/**
 * Reads `Retry-After` (delay seconds or an HTTP date, RFC 9110 section 10.2.3) as ms from
 * `now`: null when absent or unreadable (the header is then ignored, as RFC 9110 allows), a
 * bad response when it asks for more than a day.
 */
export const parseRetryAfter = (header: string | null, now: number, host: string | null = null): number | null => {
  if (header == null) return null
  const value = header.trim()
  let ms: number
  if (/^\d{1,15}$/.test(value)) ms = Number(value) * 1000
  else if (/^[A-Za-z]{3},/.test(value) && !Number.isNaN(Date.parse(value))) ms = Math.max(0, Date.parse(value) - now)
  else return null
  if (ms > MAX_RETRY_AFTER_S * 1000) {
    throw engineError('retryAfterTooLong', { host })
  }
  return ms
}

/** `Retry-After` as ms from `now`, or `fallbackMs` when the server sent none that can be read. */
export const retryAfterMs = (header: string | null, now: number, fallbackMs = 60_000, host: string | null = null): number =>
  parseRetryAfter(header, now, host) ?? fallbackMs

/**
 * How far the clock here is ahead of the server's (ms; negative: behind), from an answer's
 * `Date` header (RFC 9110 section 6.6.1) and the local time it arrived: null without a usable
 * header. The header has whole seconds and the answer took a while, so only a skew of a few
 * seconds or more means anything: under SKEW_TOLERANCE_MS it is 0.
 */
export const clockSkewOf = (headers: { get(name: string): string | null } | undefined, receivedAt: number): number | null => {
  const text = headers?.get('date')
  if (!text || text.length > 64) return null
  const serverAt = Date.parse(text)
  if (!Number.isFinite(serverAt)) return null
  // Under the tolerance the figure is the header's rounding and the answer's own time, and it
  // differs from one request to the next: it is told as no skew, so status stays the same
  // from one check to the next.
  const skew = Math.round(receivedAt - serverAt)
  return Math.abs(skew) < SKEW_TOLERANCE_MS ? 0 : skew
}
