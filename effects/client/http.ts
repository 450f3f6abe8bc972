// The one door to the network (requestJson): how a request is sent and its answer read.
// What a failed request becomes is connection-codes.ts; the body is read by capped-body.ts.
import { isSecretKey } from '../../machines/redact.js'
import { EngineError, engineError } from './engine-error.js'
import { BodyTooLarge, MAX_BODY_BYTES, readCapped } from './capped-body.js'
import { holdSecrets } from './held-secrets.js'
import { exchangeFailure } from './connection-codes.js'
import { cancelled, timedOut } from './request-failures.js'
import { hostOf } from './server-url.js'

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
export const requestJson = async (deps: HttpDeps, url: string, options: RequestOptions = {}, signal?: AbortSignal): Promise<JsonResponse> => {
  const fetchImpl: FetchLike = deps.fetch ?? ((url, init) => globalThis.fetch(url, init))
  if (signal?.aborted) throw cancelled()
  const left = deps.deadline === undefined ? Infinity : deps.deadline - Date.now()
  if (left <= 0) throw timedOut(url, null, false)
  const ownLimitMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const timeoutMs = Math.min(ownLimitMs, left)
  const byDeadline = timeoutMs < ownLimitMs
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
    // Form fields whose values are secrets (the password, the device code, a token) are named as a
    // snapshot's secret keys are (machines/redact.ts): one rule for what is never shown.
    for (const [name, value] of Object.entries(options.form)) if (isSecretKey(name)) holdSecrets(value)
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
      throw exchangeFailure(error, { url, sent: false, acts, expired, timeoutMs, byDeadline })
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
      throw exchangeFailure(error, { url, sent: true, acts, expired, timeoutMs, byDeadline })
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
