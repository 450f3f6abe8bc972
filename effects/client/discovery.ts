import { engineError } from './engine-error.js'
import { requestJson, type FetchLike, type HttpDeps } from './http.js'
import { sanitizeServerText } from './sanitize-server-text.js'
import { checkServerSentUrl, hasUnsafeChars, hostOf, isLoopbackHost, originOf } from './server-url.js'

/** The RFC 8414 metadata keys the engine reads; endpoints already checked for safety. */
export interface ServerMetadata {
  issuer: string | null
  token_endpoint: string
  device_authorization_endpoint: string | null
  revocation_endpoint: string | null
  omicos_account_endpoint: string | null
  omicos_process_endpoint: string | null
  /** the whole document as sent */
  raw: Record<string, unknown>
}

// The endpoints a credential goes to: the password and refresh token (token), the user token
// (account, process), every stored token (revocation). Like the pairing addresses (RFC 8628
// section 5.4), they must be on the issuer's own origin: metadata that sends a credential
// anywhere else is not followed, whatever else it says.
const CREDENTIAL_KEYS = ['token_endpoint', 'revocation_endpoint', 'omicos_account_endpoint', 'omicos_process_endpoint'] as const

const ENDPOINT_KEYS = ['device_authorization_endpoint', 'revocation_endpoint', 'omicos_account_endpoint', 'omicos_process_endpoint'] as const

// Per fetch implementation and server, for the life of the process: one discovery per login
// even though several actors ask. Only successes are kept, so a failure is tried again.
const cache = new WeakMap<object, Map<string, ServerMetadata>>()
const defaultKey = {}

/** `server` as an issuer identifier: the origin and path, as the URL parser normalizes them, without a trailing slash. */
const issuerOf = (value: string): string | null => {
  try {
    const url = new URL(value)
    if (url.search || url.hash || url.username || url.password) return null
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  } catch {
    return null
  }
}

const hostnameOf = (url: string): string | null => {
  try {
    return new URL(url).hostname.toLowerCase()
  } catch {
    return null
  }
}

/** Both on this machine (loopback), or both on the same host name. */
const sameMachine = (a: string, b: string): boolean => {
  const [x, y] = [hostnameOf(a), hostnameOf(b)]
  return x !== null && y !== null && (x === y || (isLoopbackHost(x) && isLoopbackHost(y)))
}

/**
 * Checks a metadata document and keeps the keys the engine uses. With `server` (the address
 * the metadata was read from), RFC 8414 section 3.3 applies: `issuer` must be that server, or
 * the document speaks for someone else and nothing is sent to its endpoints; and an endpoint
 * may be plain http only when the server itself is on loopback.
 */
export const parseMetadata = (doc: Record<string, unknown>, server?: string): ServerMetadata => {
  if (server !== undefined) {
    const wanted = issuerOf(server)
    if (typeof doc.issuer !== 'string' || hasUnsafeChars(doc.issuer) || issuerOf(doc.issuer) !== wanted) {
      // Which address it calls itself, only when that is plausibly the same server by another
      // name (localhost for 127.0.0.1, another port or path on the same host): any other name
      // is what a phishing server would want a person to type next.
      const named = typeof doc.issuer === 'string' && doc.issuer.length <= 2048 && !hasUnsafeChars(doc.issuer) ? issuerOf(doc.issuer) : null
      const safeNamed = named !== null && /^https?:\/\/[^\s@]+$/.test(named) && sameMachine(named, server) ? named : null
      throw engineError('issuerMismatch', { host: hostOf(server), issuer: wanted, named: safeNamed })
    }
  }
  const serverIsLoopback = server !== undefined && isLoopbackHost(originOf(server)?.replace(/^\w+:\/\/|:\d+$/g, '') ?? '')
  const issuerOrigin = server === undefined ? null : originOf(server)
  const endpoint = (value: unknown, key: string): string => {
    const url = checkServerSentUrl(value, key)
    if (server !== undefined && !serverIsLoopback && new URL(url).protocol !== 'https:') {
      throw engineError('unusableField', { host: hostOf(server), field: key, problem: 'notHttps' })
    }
    if (issuerOrigin !== null && (CREDENTIAL_KEYS as readonly string[]).includes(key) && originOf(url) !== issuerOrigin) {
      // The other origin is server text: passed on only through the sanitizer.
      const elsewhere = originOf(url) === null ? null : sanitizeServerText(originOf(url)!, { maxLength: 260 }) || null
      throw engineError('endpointOffOrigin', { host: hostOf(server!), field: key, endpointOrigin: elsewhere, issuerOrigin })
    }
    return url
  }
  const optional = (key: string): string | null => (doc[key] === undefined || doc[key] === null ? null : endpoint(doc[key], key))
  const metadata: ServerMetadata = {
    issuer: typeof doc.issuer === 'string' && !hasUnsafeChars(doc.issuer) ? doc.issuer : null,
    token_endpoint: endpoint(doc.token_endpoint, 'token_endpoint'),
    device_authorization_endpoint: null,
    revocation_endpoint: null,
    omicos_account_endpoint: null,
    omicos_process_endpoint: null,
    raw: doc,
  }
  for (const key of ENDPOINT_KEYS) metadata[key] = optional(key)
  return metadata
}

/**
 * Where the metadata of `server` is read: RFC 8414 section 3.1 puts the well-known part between
 * the host and an issuer's path (`https://host/.well-known/oauth-authorization-server/sub` for
 * the issuer `https://host/sub`); OpenID Connect Discovery 1.0 section 4 appends it to the
 * issuer (`https://host/sub/.well-known/openid-configuration`). Without a path both read as
 * `{server}/.well-known/...`.
 */
export const metadataUrls = (server: string): [oauth: string, openid: string] => {
  const url = new URL(server)
  const path = url.pathname.replace(/\/+$/, '')
  return [`${url.origin}/.well-known/oauth-authorization-server${path}`, `${url.origin}${path}/.well-known/openid-configuration`]
}

/**
 * Reads the RFC 8414 metadata of `server` (see metadataUrls), or, when that is not found
 * there, its OpenID configuration. Endpoints must be https, or http on loopback, like
 * `--server`, and those that receive credentials on the issuer's origin.
 */
export const discover = async (deps: HttpDeps, server: string, signal?: AbortSignal): Promise<ServerMetadata> => {
  const key = (deps.fetch as object | undefined) ?? defaultKey
  let perFetch = cache.get(key)
  if (!perFetch) cache.set(key, (perFetch = new Map()))
  const known = perFetch.get(server)
  if (known) return known

  // Lenient: a server without RFC 8414 may answer its 404 page in HTML; the status decides.
  const [oauthUrl, openidUrl] = metadataUrls(server)
  let answer = await requestJson(deps, oauthUrl, { lenient: true }, signal)
  if (answer.status !== 200) {
    answer = await requestJson(deps, openidUrl, { lenient: true }, signal)
  }
  if (answer.status === 200 && !answer.body) {
    throw engineError('metadataNotObject', { host: hostOf(server) })
  }
  if (answer.status !== 200 || !answer.body) {
    throw engineError('noMetadata', { host: hostOf(server), status: answer.status })
  }
  const metadata = parseMetadata(answer.body, server)
  perFetch.set(server, metadata)
  return metadata
}

/** Forgets what discovery learned (tests, or a server known to have changed). */
export const forgetDiscovery = (fetch?: FetchLike): void => {
  cache.delete((fetch as object | undefined) ?? defaultKey)
}

/** An endpoint the server must advertise for the step at hand. */
export const requireEndpoint = (metadata: ServerMetadata, key: Exclude<keyof ServerMetadata, 'raw' | 'issuer'>, server: string): string => {
  const value = metadata[key]
  if (!value) throw engineError('notAdvertised', { host: hostOf(server), field: key })
  return value
}
