import { EngineError } from './engine-error.js'
import { hostOf, replaceUnsafeChars } from './server-url.js'

/**
 * The part of the WHATWG fetch the effects use. Injectable: the Node actors
 * (effects/node-actors.ts) pass cross-fetch with connection time limits, tests their own;
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
}

const MAX_BODY_CHARS = 1_000_000

// Causes a person can act on, keyed by the Node/undici error code. Anything unlisted is shown
// by its code alone, never by the library's message (it holds the full URL).
const CAUSES: Record<string, string> = {
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed (temporary)',
  EAI_NODATA: 'host not found (DNS)',
  EAI_NONAME: 'host not found (DNS)',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ECONNABORTED: 'connection aborted',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENETDOWN: 'network down',
  EPROTO: 'TLS error',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for an answer',
  CERT_HAS_EXPIRED: 'TLS error: the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS error: self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS error: self-signed certificate in chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS error: certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS error: certificate not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS error: certificate does not match the host',
}

const errorCode = (error: unknown): string | undefined => {
  const seen = new Set<unknown>()
  let current: any = error
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current)
    if (typeof current.code === 'string' && current.code !== 'ERR_INVALID_URL') return current.code
    current = current.cause
  }
  return undefined
}

/** A plain cause for a failed connection: "connection refused", "TLS error (...)". */
export const describeNetworkError = (error: unknown): string => {
  const code = errorCode(error)
  if (code && CAUSES[code]) return CAUSES[code]
  if (code && /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_)/.test(code)) return `TLS error (${code})`
  if (code && /^[A-Z0-9_]{2,40}$/.test(code)) return `network error (${code})`
  return 'network error'
}

export const unreachable = (url: string, cause: string): EngineError =>
  new EngineError('unreachable', `cannot reach ${hostOf(url)}: ${cause}`)

const cancelled = () => new EngineError('cancelled', 'cancelled')

/**
 * One request whose answer must be a JSON object, with a time limit. Connection failures,
 * time-outs and gateway errors (502/503/504) become `unreachable`; a body that is not a JSON
 * object becomes `bad_response`. Any status is returned to the caller, who knows what it means.
 * No message carries a header or a body, so tokens stay out of them.
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
  if (left <= 0) throw unreachable(url, 'timed out (no answer in the time allowed)')
  const timeoutMs = Math.min(deps.timeoutMs ?? DEFAULT_TIMEOUT_MS, left)
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, timeoutMs)
  const onAbort = () => controller.abort()
  signal?.addEventListener('abort', onAbort, { once: true })

  const headers: Record<string, string> = { accept: 'application/json', ...options.headers }
  let body: string | undefined
  if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  } else if (options.json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(options.json)
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST')
  try {
    let response: Response
    let text: string
    try {
      response = await fetchImpl(url, {
        method,
        headers,
        body,
        // A POST carrying a password or a token is never replayed to another address.
        redirect: method === 'GET' ? 'follow' : 'manual',
        signal: controller.signal,
      })
      text = await response.text()
    } catch (error) {
      if (signal?.aborted) throw cancelled()
      // The Node fetch words what only it knows: a proxy that failed, a CA bundle that is unusable.
      if (error instanceof EngineError) throw error
      if (timedOut) throw unreachable(url, `timed out after ${Math.round(timeoutMs / 100) / 10} s`)
      throw unreachable(url, describeNetworkError(error))
    }
    const { status } = response
    if (status === 502 || status === 503 || status === 504) {
      throw unreachable(url, `the server answered ${status} (${status === 503 ? 'unavailable' : 'gateway error'})`)
    }
    if (status >= 300 && status < 400) {
      throw new EngineError('bad_response', `${hostOf(url)} answered with a redirect (${status}) where an answer was expected`)
    }
    if (text.length > MAX_BODY_CHARS) {
      throw new EngineError('bad_response', `${hostOf(url)} sent an answer that is too large`)
    }
    if (text.trim() === '' && options.allowEmpty) return { status, headers: response.headers, body: null }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      if (options.lenient) return { status, headers: response.headers, body: null }
      throw new EngineError('bad_response', `${hostOf(url)} answered ${status} with something that is not JSON`)
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      if (options.lenient) return { status, headers: response.headers, body: null }
      throw new EngineError('bad_response', `${hostOf(url)} answered ${status} with JSON that is not an object`)
    }
    return { status, headers: response.headers, body: parsed as Record<string, unknown> }
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

/** An OAuth `error` code fit for a message: short and printable, or a placeholder. */
export const safeErrorCode = (value: unknown): string =>
  typeof value === 'string' && /^[\x21-\x7e]{1,64}$/.test(value) ? value : 'unknown error'

/** A server's `error_description` fit for one line of a terminal, or null. */
export const safeDescription = (value: unknown): string | null => {
  if (typeof value !== 'string') return null
  const line = replaceUnsafeChars(value, ' ').replace(/\s+/g, ' ').trim()
  if (!line) return null
  return line.length > 160 ? `${line.slice(0, 157)}...` : line
}

/** Reads `Retry-After` (delay seconds or an HTTP date, RFC 9110 section 10.2.3) as ms from `now`. */
export const retryAfterMs = (header: string | null, now: number, fallbackMs = 60_000): number => {
  if (header == null) return fallbackMs
  const value = header.trim()
  if (/^\d+$/.test(value)) return Math.min(Number(value), 86_400) * 1000
  const date = Date.parse(value)
  if (Number.isNaN(date)) return fallbackMs
  return Math.max(0, Math.min(date - now, 86_400_000))
}
