// Where a grant sends its requests: the endpoints passed in, or those discovery finds.
import { discover } from './discovery.js'
import { engineError } from './engine-error.js'
import type { FetchLike } from './http.js'

/** The two endpoints the grant needs; pass them, or pass `server` and let discovery find them. */
export interface DeviceGrantEndpoints {
  device_authorization_endpoint: string | null
  token_endpoint: string
  /** where tokens in an answer the client refuses are taken back (RFC 7009), when offered */
  revocation_endpoint?: string | null
  /** the issuer the metadata speaks for; the pairing addresses must be on its origin */
  issuer?: string | null
}

export interface DeviceGrantOptions {
  fetch?: FetchLike
  /** per request (default 5000 ms) */
  timeoutMs?: number
  metadata?: DeviceGrantEndpoints
  /** discovered (RFC 8414, then OpenID) when `metadata` is absent */
  server?: string
  clientId: string
  /** clock for `receivedAt` and `at` (default Date.now; runDeviceGrant: a steady clock) */
  now?: () => number
}

/** `options.metadata`, else what discovery of `options.server` finds (RFC 8414, then OpenID). */
export const grantEndpoints = async (options: DeviceGrantOptions, signal?: AbortSignal): Promise<DeviceGrantEndpoints> => {
  if (options.metadata) return options.metadata
  if (!options.server) throw engineError('noEndpoints', {})
  return discover(options, options.server, signal)
}
