import type { AddressProblem } from '../../machines/failure.js'
import { engineError } from './engine-error.js'
import { sanitizeServerText } from './sanitize-server-text.js'

export const DEFAULT_SERVER = 'https://auth.omicos.cn'

// Plain http is allowed only where nothing leaves the machine: a token sent over http to
// any other host could be read on the way.
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]'])

export const isLoopbackHost = (hostname: string): boolean => LOOPBACK_HOSTS.has(hostname.toLowerCase())

// Control characters (C0, DEL, C1) and the bidirectional overrides that can make a terminal
// show something other than what was sent.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/

export const hasUnsafeChars = (value: string): boolean => UNSAFE_CHARS.test(value)

// Pure (from the regex itself, not its `.source`): a bundle that never replaces, a browser page's, drops it.
const UNSAFE_CHARS_ALL = /* @__PURE__ */ new RegExp(UNSAFE_CHARS, 'g')

/** `value` with every such character replaced by `by` (for one printable line). */
export const replaceUnsafeChars = (value: string, by: string): string => value.replace(UNSAFE_CHARS_ALL, by)

type UrlProblem = { problem: AddressProblem; scheme: string | null } | null

/** Why `url` is not a safe address for a server or endpoint, or null when it is. */
const urlProblem = (value: string): { url: URL | null; problem: UrlProblem } => {
  if (hasUnsafeChars(value)) return { url: null, problem: { problem: 'controlChars', scheme: null } }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return { url: null, problem: { problem: 'notUrl', scheme: null } }
  }
  if (url.username || url.password) return { url, problem: { problem: 'userInfo', scheme: null } }
  if (url.protocol === 'https:') return { url, problem: null }
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? { url, problem: null } : { url, problem: { problem: 'plainHttp', scheme: null } }
  }
  return { url, problem: { problem: 'scheme', scheme: url.protocol.replace(/:$/, '') } }
}

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/** Whether `value` names its scheme (`https://...`); a bare host or HOST:PORT does not. */
export const namesScheme = (value: string): boolean => HAS_SCHEME.test(value.trim())

/**
 * A server address as people type it: a bare host (`auth.omicos.cn`) means https, a loopback
 * host (`127.0.0.1:4000`, `localhost:4000`) means http, where a local server listens without
 * TLS. An address that names its scheme is left as it is.
 */
export const withScheme = (value: string): string => {
  const trimmed = value.trim()
  if (trimmed === '' || namesScheme(trimmed)) return trimmed
  try {
    return `${isLoopbackHost(new URL(`http://${trimmed}`).hostname) ? 'http' : 'https'}://${trimmed}`
  } catch {
    return trimmed
  }
}

/**
 * Checks and normalizes a `--server` value (or OMICOS_SERVER's, named by `option`): https
 * anywhere, http only on loopback, no user info, query or fragment; the scheme may be left out
 * (withScheme); the result has no trailing slash (`https://auth.omicos.cn`). A value holding
 * a user name or password is never repeated: the password is a secret.
 */
export const parseServerUrl = (value: string, option = '--server'): string => {
  const { url, problem } = urlProblem(withScheme(value))
  const shown = hasUnsafeChars(value) || url?.username || url?.password || /@/.test(value) ? null : value
  if (url && (url.username || url.password)) throw engineError('unusableAddress', { option, value: null, problem: 'credentials', scheme: null })
  if (problem || !url) throw engineError('unusableAddress', { option, value: shown, problem: problem!.problem, scheme: problem!.scheme })
  if (url.search || url.hash) throw engineError('unusableAddress', { option, value: shown, problem: 'queryOrFragment', scheme: null })
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/**
 * Checks an address a server sent (an endpoint or a verification page) with the same rules
 * as `--server`. The failure names what was wrong but never holds a value with control
 * characters, since it may be printed on a terminal.
 */
export const checkServerSentUrl = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || value.length === 0) throw engineError('unusableField', { host: null, field: what, problem: 'missing' })
  if (value.length > 2048) throw engineError('unusableField', { host: null, field: what, problem: 'tooLong' })
  const { problem } = urlProblem(value)
  if (problem) throw engineError('unusableField', { host: null, field: what, problem: 'unsafeAddress', address: problem.problem, scheme: problem.scheme })
  return value
}

/**
 * The origin of a URL as the WHATWG URL parser normalizes it (scheme and host lower-cased,
 * IDN to punycode, default port dropped), or null when it does not parse or has no origin.
 * A trailing dot is kept: `https://auth.omicos.cn.` is another origin, as browsers hold.
 */
export const originOf = (value: string): string | null => {
  try {
    const { origin } = new URL(value)
    return origin === 'null' ? null : origin
  } catch {
    return null
  }
}

/**
 * Checks an address a server sent that a person is told to open (RFC 8628 section 5.4,
 * remote phishing): safe as `checkServerSentUrl` says, and on `origin` exactly once parsed, so
 * `https://auth.omicos.cn@evil.example`, a lookalike in another script or a trailing dot is
 * refused. The message never repeats the value: it is what a phisher wants shown.
 */
export const checkSameOriginUrl = (value: unknown, what: string, origin: string): string => {
  const url = checkServerSentUrl(value, what)
  const expected = originOf(origin)
  if (!expected || originOf(url) !== expected) throw engineError('unusableField', { host: null, field: what, problem: 'otherSite', site: hostOf(origin) })
  return url
}

/** `host[:port]` of a server URL: the `user.cloud_base` of the credential file. */
export const cloudBase = (server: string): string => new URL(server).host

/**
 * The host of a URL for a failure, or null when it does not parse. An endpoint's host is
 * server text too (metadata may name any host), so it passes the sanitizer's redaction.
 */
export const hostOf = (url: string): string | null => {
  try {
    return sanitizeServerText(new URL(url).host, { maxLength: 260 }) || null
  } catch {
    return null
  }
}
