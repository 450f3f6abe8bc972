// An RFC 8628 device authorization grant client that works against any conforming server:
// no omicOS additions are needed or assumed. Public entry: `omicos-auth/device-grant`.
//
//   const tokens = await runDeviceGrant({ server, clientId: 'my-cli', scope: 'openid',
//     onCode: (auth) => show(auth.verificationUri, auth.userCode), signal })
//
// `runDeviceGrant` is the whole grant, paced as RFC 8628 section 3.5 says; the two requests it
// is made of (`requestDeviceAuthorization`, `pollDeviceToken`) are exported for callers that
// pace themselves, such as the login machine's device grant.
//
// Everything a server sends that can reach a terminal (user code, verification addresses) is
// checked first: no control characters or escape sequences, https or loopback http only, the
// addresses on the issuer's origin (RFC 8628 section 5.4), a user code that looks like one
// (section 6.1). Every number is range-checked where it is parsed.
import { createActor, type ActorOptions, type AnyActorLogic } from 'xstate'
import type { DeviceAuthorization, PairingView } from '../../machines/contracts.js'
import type { Inspector } from '../../machines/inspection.js'
import { deviceGrantMachine } from '../../machines/device-grant.machine.js'
import { createPairingActors } from './pairing-actors.js'
import { steadyClock } from './clock.js'
import { runToEnd } from './run-actor.js'
import { secretSafeInspector } from './safe-inspector.js'
import { EngineError, engineError } from './engine-error.js'
import { discover } from './discovery.js'
import { holdSecrets } from './held-secrets.js'
import { sanitizeServerText } from './sanitize-server-text.js'
import { parseRetryAfter, refusal, requestJson, type FetchLike, type HttpDeps } from './http.js'
import { checkSameOriginUrl, hasUnsafeChars, hostOf, originOf } from './server-url.js'
import { MAX_TOKEN_LENGTH } from './token-set.js'

export type { FetchLike } from './http.js'

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'

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

export interface DeviceAuthorizationRequest extends DeviceGrantOptions {
  scope?: string
  /** extra form parameters, for servers that take them */
  extraParams?: Record<string, string>
}

/** The device machine's own shape: the client hands its answer over unchanged. */
export type DeviceAuthorizationResponse = DeviceAuthorization

export interface DeviceTokenRequest extends DeviceGrantOptions {
  deviceCode: string
}

/** A successful token response (RFC 6749 section 5.1), as sent, after basic checks. */
export interface TokenResponse {
  access_token: string
  token_type: string
  expires_in?: number
  refresh_token?: string
  scope?: string
  id_token?: string
  [key: string]: unknown
}

/** The answers of one poll, as machines/contracts.ts `PollResult` names them, with the tokens as sent. */
export type DevicePollResult = (
  | { kind: 'pending' }
  | { kind: 'slowDown' }
  | { kind: 'denied' }
  | { kind: 'expired' }
  /** invalid_grant: the code can no longer be used (it may have been approved and the answer lost) */
  | { kind: 'invalidGrant' }
  /** any 5xx or a 429: back off as after a connection error; Retry-After (429, 503) when sent */
  | { kind: 'unavailable'; status: number; retryAfterMs: number | null }
  | { kind: 'granted'; tokens: TokenResponse }
) & { /** epoch ms at which the answer arrived */ at: number }

export const DEFAULT_INTERVAL_S = 5
const MAX_INTERVAL_S = 300
const MAX_EXPIRES_IN_S = 86_400
/** The longest token lifetime taken at its word: ten years. */
const MAX_TOKEN_LIFETIME_S = 10 * 365 * 86_400
// RFC 8628 section 6.1: a code typed by a person is short. Counted without separators.
const MIN_USER_CODE = 4
const MAX_USER_CODE = 20

const endpoints = async (options: DeviceGrantOptions, signal?: AbortSignal): Promise<DeviceGrantEndpoints> => {
  if (options.metadata) return options.metadata
  if (!options.server) throw engineError('noEndpoints', {})
  return discover(options, options.server, signal)
}

/**
 * A whole number of seconds in range; numeric strings are accepted (some servers send them).
 * Anything else (1e300, -1, 2.5, "soon") is a failure with its range, never a JavaScript error later.
 */
const seconds = (value: unknown, field: string, min: number, max: number, host: string | null = null): number => {
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) throw engineError('unusableField', { host, field, problem: 'missing' })
  if (!Number.isInteger(n) || n < min || n > max) {
    const shown = Number.isInteger(n) && Math.abs(n) < 1e12 ? n : null
    throw engineError('unusableField', { host, field, problem: 'outOfRange', value: shown, min, max })
  }
  return n
}

const printable = (value: unknown, field: string, maxLength: number): string => {
  if (typeof value !== 'string' || value.length === 0) throw engineError('unusableField', { host: null, field, problem: 'missing' })
  if (hasUnsafeChars(value)) throw engineError('unusableField', { host: null, field, problem: 'controlChars' })
  if (value.length > maxLength) throw engineError('unusableField', { host: null, field, problem: 'tooLong' })
  return value
}

/**
 * A code a person reads and types (RFC 8628 section 6.1): ASCII letters and digits, groups
 * split by one hyphen or space, 4..20 of them. Anything else, a shell command for one, is
 * not shown as "the pairing code".
 */
export const isUserCode = (value: string): boolean => {
  if (!/^[A-Za-z0-9]+(?:[- ][A-Za-z0-9]+)*$/.test(value)) return false
  const significant = value.replace(/[- ]/g, '').length
  return significant >= MIN_USER_CODE && significant <= MAX_USER_CODE
}

/**
 * An address shown and turned into a QR code: on the issuer's origin, and holding nothing the
 * sanitizer would change (no secret, such as the device code in its path, nothing invisible).
 */
const pairingAddress = (value: unknown, what: string, origin: string): string => {
  const url = checkSameOriginUrl(value, what, origin)
  if (sanitizeServerText(url, { maxLength: 4096 }) !== url) {
    throw engineError('unusableField', { host: null, field: what, problem: 'hidesSecret' })
  }
  return url
}

/**
 * Checks a device authorization response (RFC 8628 section 3.2). `origin` is the issuer's: the
 * addresses a person is told to open must be on it (section 5.4).
 */
export const parseDeviceAuthorization = (
  body: Record<string, unknown>,
  receivedAt: number,
  origin: string,
): DeviceAuthorizationResponse => {
  const deviceCode = printable(body.device_code, 'device_code', 4096)
  holdSecrets(deviceCode)
  const userCode = printable(body.user_code, 'user_code', 64)
  if (!isUserCode(userCode)) {
    throw engineError('unusableField', { host: null, field: 'user_code', problem: 'notUserCode', min: MIN_USER_CODE, max: MAX_USER_CODE })
  }
  const verificationUri = pairingAddress(body.verification_uri ?? body.verification_url, 'verification_uri', origin)
  const complete = body.verification_uri_complete ?? null
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: complete === null ? null : pairingAddress(complete, 'verification_uri_complete', origin),
    expiresIn: seconds(body.expires_in, 'expires_in', 1, MAX_EXPIRES_IN_S),
    interval:
      body.interval === undefined || body.interval === null
        ? DEFAULT_INTERVAL_S
        : seconds(body.interval, 'interval', 1, MAX_INTERVAL_S),
    receivedAt,
  }
}

/** Starts a device authorization (RFC 8628 section 3.1): the codes to show and to poll with. */
export const requestDeviceAuthorization = async (
  request: DeviceAuthorizationRequest,
  signal?: AbortSignal,
): Promise<DeviceAuthorizationResponse> => {
  const metadata = await endpoints(request, signal)
  const where = request.server ?? metadata.token_endpoint
  const endpoint = metadata.device_authorization_endpoint
  if (!endpoint) throw engineError('noDeviceAuthorization', { host: hostOf(where) })
  const form: Record<string, string> = { ...request.extraParams, client_id: request.clientId }
  if (request.scope) form.scope = request.scope
  const answer = await requestJson(request, endpoint, { form }, signal)
  const now = (request.now ?? Date.now)()
  if (answer.status === 429) throw engineError('pairingRequestsLimited', { host: hostOf(endpoint) })
  if (answer.status !== 200) throw refusal(endpoint, 'deviceAuthorization', answer)
  // The issuer discovery vouched for (RFC 8414 section 3.3), else the server asked, else the endpoint's own.
  const issuer = metadata.issuer ?? request.server ?? endpoint
  return parseDeviceAuthorization(answer.body!, now, originOf(issuer) ?? issuer)
}

/**
 * Checks the fields of a successful token response the engine relies on. The tokens are held
 * (held-secrets.ts) first, so no later server text can show them, whatever this decides.
 */
export const parseTokenResponse = (body: Record<string, unknown>, host: string | null): TokenResponse => {
  const { access_token, token_type, expires_in, refresh_token } = body
  holdSecrets(access_token, refresh_token, body.id_token)
  if (typeof access_token !== 'string' || !access_token || hasUnsafeChars(access_token)) {
    throw engineError('unusableTokenResponse', { host, field: 'access_token' })
  }
  if (typeof token_type !== 'string' || !token_type) throw engineError('unusableTokenResponse', { host, field: 'token_type' })
  // The engine only knows how to present a Bearer token (RFC 6750); a `mac` or `DPoP` token sent
  // as one would not be what the server meant (RFC 6749 section 7.1). The type is case-insensitive.
  if (token_type.toLowerCase() !== 'bearer') {
    throw engineError('tokenTypeNotBearer', { host })
  }
  if (refresh_token !== undefined && refresh_token !== null && (typeof refresh_token !== 'string' || hasUnsafeChars(refresh_token))) {
    throw engineError('unusableTokenResponse', { host, field: 'refresh_token' })
  }
  for (const [field, token] of [['access_token', access_token], ['refresh_token', refresh_token]] as const) {
    if (typeof token === 'string' && token.length > MAX_TOKEN_LENGTH) {
      throw engineError('tokenTooLong', { host, field, maxLength: MAX_TOKEN_LENGTH })
    }
  }
  if (expires_in === undefined || expires_in === null) return body as TokenResponse
  const lifetime = seconds(expires_in, 'token expires_in', 1, MAX_TOKEN_LIFETIME_S, host)
  return { ...body, expires_in: lifetime } as TokenResponse
}

/**
 * Takes back tokens the server issued in an answer the engine refuses (an absurd lifetime, a
 * missing field), best effort and bounded, so no live session is left that nothing holds.
 */
export const revokeIssued = async (
  deps: HttpDeps,
  revocationEndpoint: string | null | undefined,
  clientId: string,
  body: Record<string, unknown> | null,
): Promise<void> => {
  if (!revocationEndpoint || !body) return
  // The refresh token first: revoking it ends the grant, and with it the access token (RFC 7009 section 2.1).
  const tokens = [body.refresh_token, body.access_token].filter((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= 8192)
  for (const token of tokens) {
    await requestJson({ ...deps, timeoutMs: Math.min(deps.timeoutMs ?? 2_000, 2_000) }, revocationEndpoint, {
      form: { token, client_id: clientId },
      allowEmpty: true,
      lenient: true,
    }).catch(() => undefined)
  }
}

/** A token response the engine can use, or the tokens in it revoked and `bad_response` thrown. */
export const acceptTokenResponse = async (
  deps: HttpDeps,
  metadata: Pick<DeviceGrantEndpoints, 'revocation_endpoint'>,
  clientId: string,
  body: Record<string, unknown>,
  endpoint: string,
): Promise<TokenResponse> => {
  try {
    return parseTokenResponse(body, hostOf(endpoint))
  } catch (error) {
    await revokeIssued(deps, metadata.revocation_endpoint, clientId, body)
    throw error
  }
}

/**
 * One poll of the token endpoint (RFC 8628 section 3.4). The protocol's answers are values:
 * `authorization_pending`, `slow_down`, `access_denied`, `expired_token`, `invalid_grant` (the
 * code is unknown now: past its lifetime, or already redeemed by an answer that was lost), and
 * success. Any 5xx and any 429 are `unavailable`, with the wait `Retry-After` asks for (429
 * and 503): a bad minute on the server is not the end of a pairing. Anything else throws
 * `bad_response`; a connection failure throws `unreachable`.
 */
export const pollDeviceToken = async (request: DeviceTokenRequest, signal?: AbortSignal): Promise<DevicePollResult> => {
  const metadata = await endpoints(request, signal)
  const endpoint = metadata.token_endpoint
  const answer = await requestJson(
    request,
    endpoint,
    { form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: request.deviceCode, client_id: request.clientId }, serverErrors: true },
    signal,
  )
  const at = (request.now ?? Date.now)()
  const { status } = answer
  if (status === 200 && answer.body) {
    return { kind: 'granted', tokens: await acceptTokenResponse(request, metadata, request.clientId, answer.body, endpoint), at }
  }
  if (status === 429 || status >= 500) {
    const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(answer.headers.get('retry-after'), at, hostOf(endpoint)) : null
    return { kind: 'unavailable', status, retryAfterMs, at }
  }
  switch (answer.body?.error) {
    case 'authorization_pending':
      return { kind: 'pending', at }
    case 'slow_down':
      return { kind: 'slowDown', at }
    case 'access_denied':
      return { kind: 'denied', at }
    case 'expired_token':
      return { kind: 'expired', at }
    case 'invalid_grant':
      return { kind: 'invalidGrant', at }
  }
  throw refusal(endpoint, 'deviceToken', answer)
}

// --- the whole grant ------------------------------------------------------------------------

export interface RunDeviceGrantOptions extends DeviceAuthorizationRequest {
  /** called once with the codes to show, before the first wait */
  onCode: (auth: PairingView) => void
  /** aborting ends the grant with an `EngineError` of kind `cancelled` */
  signal?: AbortSignal
  /** the clock the grant waits on (default: real timers); XState's SimulatedClock in tests */
  clock?: ActorOptions<AnyActorLogic>['clock']
  /** cap on the backoff after connection errors (default 60000); the interval always wins over it */
  maxBackoffMs?: number
  /** XState inspection events of the grant's machine, for tracing; secrets are replaced before it sees them */
  inspect?: Inspector
}

/**
 * The whole device authorization grant (RFC 8628): runs device-grant.machine.ts, the pacing
 * of section 3.5 included, with `requestDeviceAuthorization` and `pollDeviceToken` as its two
 * effects. Resolves with the token response as the server sent it. Rejects with `EngineError`:
 * `refused` (access_denied, or invalid_grant: the code can no longer be used), `expired`
 * (expired_token, or expires_in passed here), `cancelled` (the signal), or what a request threw
 * (`unreachable`, `bad_response`).
 */
export const runDeviceGrant = async (options: RunDeviceGrantOptions): Promise<TokenResponse> => {
  if (options.signal?.aborted) throw engineError('cancelled', { flow: 'deviceAuthorization' })
  // Discovered once: every request of the grant goes to the same endpoints.
  const metadata = await endpoints(options, options.signal)
  let tokens: TokenResponse | null = null
  // Deadline and poll stamps on a steady clock: a wall-clock jump does not end the grant early.
  const http = { fetch: options.fetch, timeoutMs: options.timeoutMs, now: options.now ?? steadyClock() }
  const actors = createPairingActors(http, {
    clientId: options.clientId,
    scope: options.scope ?? '',
    metadata,
    extraParams: options.extraParams ?? {},
    onTokens: (response) => (tokens = response),
  })
  const actor = createActor(deviceGrantMachine.provide({ actors }), {
    input: { server: options.server ?? metadata.token_endpoint, name: '', hostname: '', maxBackoffMs: options.maxBackoffMs },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.inspect ? { inspect: secretSafeInspector(options.inspect) } : {}),
  })
  let shown = false
  actor.subscribe({
    next: (snapshot) => {
      const c = snapshot.context
      if (!shown && snapshot.matches('awaitingApproval') && c.userCode && c.verificationUri && c.deadline !== null) {
        shown = true
        options.onCode({
          userCode: c.userCode,
          verificationUri: c.verificationUri,
          verificationUriComplete: c.verificationUriComplete,
          deadline: c.deadline,
          intervalMs: c.intervalMs,
          waitMs: c.waitMs,
          retrying: c.retrying,
          polls: c.polls,
        })
      }
    },
    error: () => {},
  })
  const output = await runToEnd(actor, { signal: options.signal })
  if (output.kind === 'granted' && tokens) return tokens
  throw output.kind === 'failed' ? new EngineError(output.failure) : engineError('noTokenResponse', {})
}
