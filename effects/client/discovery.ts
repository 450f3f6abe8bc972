import { EngineError } from './engine-error.js'
import { requestJson, type FetchLike, type HttpDeps } from './http.js'
import { checkServerSentUrl, hostOf } from './server-url.js'

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

const ENDPOINT_KEYS = [
  'device_authorization_endpoint',
  'revocation_endpoint',
  'omicos_account_endpoint',
  'omicos_process_endpoint',
] as const

// Per fetch implementation and server, for the life of the process: one discovery per login
// even though several actors ask. Only successes are kept, so a failure is tried again.
const cache = new WeakMap<object, Map<string, ServerMetadata>>()
const defaultKey = {}

/** Checks a metadata document and keeps the keys the engine uses. */
export const parseMetadata = (doc: Record<string, unknown>): ServerMetadata => {
  const optional = (key: string): string | null =>
    doc[key] === undefined || doc[key] === null ? null : checkServerSentUrl(doc[key], key)
  const metadata: ServerMetadata = {
    issuer: optional('issuer'),
    token_endpoint: checkServerSentUrl(doc.token_endpoint, 'token_endpoint'),
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
 * Reads `{server}/.well-known/oauth-authorization-server` (RFC 8414), or, when that is not
 * found there, `{server}/.well-known/openid-configuration`. Endpoints must be https, or http
 * on loopback, like `--server`.
 */
export const discover = async (deps: HttpDeps, server: string, signal?: AbortSignal): Promise<ServerMetadata> => {
  const key = (deps.fetch as object | undefined) ?? defaultKey
  let perFetch = cache.get(key)
  if (!perFetch) cache.set(key, (perFetch = new Map()))
  const known = perFetch.get(server)
  if (known) return known

  // Lenient: a server without RFC 8414 may answer its 404 page in HTML; the status decides.
  let answer = await requestJson(deps, `${server}/.well-known/oauth-authorization-server`, { lenient: true }, signal)
  if (answer.status !== 200) {
    answer = await requestJson(deps, `${server}/.well-known/openid-configuration`, { lenient: true }, signal)
  }
  if (answer.status === 200 && !answer.body) {
    throw new EngineError('bad_response', `${hostOf(server)} sent authorization server metadata that is not a JSON object`)
  }
  if (answer.status !== 200 || !answer.body) {
    throw new EngineError(
      'bad_response',
      `${hostOf(server)} has no authorization server metadata (HTTP ${answer.status}): is --server the omicOS auth service?`,
    )
  }
  const metadata = parseMetadata(answer.body)
  perFetch.set(server, metadata)
  return metadata
}

/** Forgets what discovery learned (tests, or a server known to have changed). */
export const forgetDiscovery = (fetch?: FetchLike): void => {
  cache.delete((fetch as object | undefined) ?? defaultKey)
}

/** An endpoint the server must advertise for the step at hand. */
export const requireEndpoint = (
  metadata: ServerMetadata,
  key: Exclude<keyof ServerMetadata, 'raw' | 'issuer'>,
  server: string,
): string => {
  const value = metadata[key]
  if (!value) {
    throw new EngineError('bad_response', `${hostOf(server)} does not advertise ${key}: is --server the omicOS auth service?`)
  }
  return value
}
