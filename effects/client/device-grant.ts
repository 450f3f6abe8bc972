// An RFC 8628 device authorization grant client that works against any conforming server:
// no omicOS additions are needed or assumed. Public entry: `omicos-auth/device-grant`.
//
//   const tokens = await runDeviceGrant({ server, clientId: 'my-cli', scope: 'openid',
//     onCode: (auth) => show(auth.verificationUri, auth.userCode), signal })
//
// `runDeviceGrant` is the whole grant, paced as RFC 8628 section 3.5 says; the two requests it
// is made of (`requestDeviceAuthorization`, `pollDeviceToken`) are exported for callers that
// pace themselves, such as the device-login machine.
//
// Everything a server sends that can reach a terminal (user code, verification addresses) is
// checked first: no control characters or escape sequences, https or loopback http only.
import { createActor, type ActorOptions, type AnyActorLogic } from 'xstate'
import type { DeviceAuthorization, PairingView } from '../../machines/contracts.js'
import { deviceGrant } from '../../machines/device-grant.machine.js'
import { createPairingActors } from './pairing-actors.js'
import { runToEnd } from './run-actor.js'
import { EngineError } from './engine-error.js'
import { discover } from './discovery.js'
import { requestJson, safeErrorCode, type FetchLike } from './http.js'
import { checkServerSentUrl, hasUnsafeChars, hostOf } from './server-url.js'

export type { FetchLike } from './http.js'

export const DEVICE_CODE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'

/** The two endpoints the grant needs; pass them, or pass `server` and let discovery find them. */
export interface DeviceGrantEndpoints {
  device_authorization_endpoint: string | null
  token_endpoint: string
}

export interface DeviceGrantOptions {
  fetch?: FetchLike
  /** per request (default 5000 ms) */
  timeoutMs?: number
  metadata?: DeviceGrantEndpoints
  /** discovered (RFC 8414, then OpenID) when `metadata` is absent */
  server?: string
  clientId: string
  /** clock for `receivedAt` and `at` (default Date.now) */
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

export type DevicePollResult = (
  | { kind: 'pending' }
  | { kind: 'slowDown' }
  | { kind: 'denied' }
  | { kind: 'expired' }
  | { kind: 'granted'; tokens: TokenResponse }
) & { /** epoch ms at which the answer arrived */ at: number }

export const DEFAULT_INTERVAL_S = 5
const MAX_INTERVAL_S = 300
const MAX_EXPIRES_IN_S = 86_400

const bad = (message: string) => new EngineError('bad_response', message)

const endpoints = async (options: DeviceGrantOptions, signal?: AbortSignal): Promise<DeviceGrantEndpoints> => {
  if (options.metadata) return options.metadata
  if (!options.server) throw new EngineError('usage', 'the device grant needs either metadata or a server')
  return discover(options, options.server, signal)
}

/** A whole number of seconds in range; numeric strings are accepted (some servers send them). */
const seconds = (value: unknown, name: string, min: number, max: number): number => {
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) throw bad(`the server sent no usable ${name}`)
  if (n < min || n > max) throw bad(`the server sent ${name} ${n}, outside ${min}..${max} seconds`)
  return Math.ceil(n)
}

const printable = (value: unknown, name: string, maxLength: number): string => {
  if (typeof value !== 'string' || value.length === 0) throw bad(`the server sent no usable ${name}`)
  if (hasUnsafeChars(value)) throw bad(`the server sent a ${name} containing control characters`)
  if (value.length > maxLength) throw bad(`the server sent a ${name} that is too long`)
  return value
}

/** Checks a device authorization response (RFC 8628 section 3.2). */
export const parseDeviceAuthorization = (body: Record<string, unknown>, receivedAt: number): DeviceAuthorizationResponse => {
  const deviceCode = printable(body.device_code, 'device_code', 4096)
  const userCode = printable(body.user_code, 'user_code', 64)
  if (/\s{2,}|^\s|\s$/.test(userCode)) throw bad('the server sent a user_code with stray spaces')
  const verificationUri = checkServerSentUrl(body.verification_uri ?? body.verification_url, 'verification_uri')
  const complete = body.verification_uri_complete ?? null
  return {
    deviceCode,
    userCode,
    verificationUri,
    verificationUriComplete: complete === null ? null : checkServerSentUrl(complete, 'verification_uri_complete'),
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
  if (!endpoint) throw bad(`${hostOf(where)} does not offer device authorization (no device_authorization_endpoint)`)
  const form: Record<string, string> = { ...request.extraParams, client_id: request.clientId }
  if (request.scope) form.scope = request.scope
  const answer = await requestJson(request, endpoint, { form }, signal)
  const now = (request.now ?? Date.now)()
  if (answer.status === 429) {
    throw new EngineError('refused', `${hostOf(endpoint)} is refusing new pairing requests for now (too many); try again later`)
  }
  if (answer.status !== 200) {
    throw bad(`${hostOf(endpoint)} refused the device authorization request: ${safeErrorCode(answer.body?.error)} (HTTP ${answer.status})`)
  }
  return parseDeviceAuthorization(answer.body!, now)
}

/** Checks the fields of a successful token response the engine relies on. */
export const parseTokenResponse = (body: Record<string, unknown>, host: string): TokenResponse => {
  const { access_token, token_type, expires_in, refresh_token } = body
  if (typeof access_token !== 'string' || !access_token || hasUnsafeChars(access_token)) {
    throw bad(`${host} sent a token response without a usable access_token`)
  }
  if (typeof token_type !== 'string' || !token_type) throw bad(`${host} sent a token response without token_type`)
  if (expires_in !== undefined && (typeof expires_in !== 'number' || !(expires_in > 0))) {
    throw bad(`${host} sent a token response with an unusable expires_in`)
  }
  if (refresh_token !== undefined && refresh_token !== null && (typeof refresh_token !== 'string' || hasUnsafeChars(refresh_token))) {
    throw bad(`${host} sent a token response with an unusable refresh_token`)
  }
  return body as TokenResponse
}

/**
 * One poll of the token endpoint (RFC 8628 section 3.4). The protocol's answers are values:
 * `authorization_pending`, `slow_down` (or HTTP 429), `access_denied`, `expired_token`, and
 * success. `invalid_grant` counts as expired: a server answers it for a code it no longer
 * knows, which is what a code past its lifetime becomes (node-oidc-provider, after its clock
 * tolerance). Anything else throws `bad_response`.
 */
export const pollDeviceToken = async (request: DeviceTokenRequest, signal?: AbortSignal): Promise<DevicePollResult> => {
  const metadata = await endpoints(request, signal)
  const endpoint = metadata.token_endpoint
  const answer = await requestJson(
    request,
    endpoint,
    { form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: request.deviceCode, client_id: request.clientId } },
    signal,
  )
  const at = (request.now ?? Date.now)()
  if (answer.status === 200) return { kind: 'granted', tokens: parseTokenResponse(answer.body!, hostOf(endpoint)), at }
  if (answer.status === 429) return { kind: 'slowDown', at }
  switch (answer.body?.error) {
    case 'authorization_pending':
      return { kind: 'pending', at }
    case 'slow_down':
      return { kind: 'slowDown', at }
    case 'access_denied':
      return { kind: 'denied', at }
    case 'expired_token':
    case 'invalid_grant':
      return { kind: 'expired', at }
  }
  throw bad(`${hostOf(endpoint)} answered the device token request with ${safeErrorCode(answer.body?.error)} (HTTP ${answer.status})`)
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
  /** XState inspection events of the grant's machine, for tracing */
  inspect?: ActorOptions<AnyActorLogic>['inspect']
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
  if (options.signal?.aborted) throw new EngineError('cancelled', 'the device authorization was cancelled')
  // Discovered once: every request of the grant goes to the same endpoints.
  const metadata = await endpoints(options, options.signal)
  let tokens: TokenResponse | null = null
  const http = { fetch: options.fetch, timeoutMs: options.timeoutMs, now: options.now ?? Date.now }
  const actors = createPairingActors(http, {
    clientId: options.clientId,
    scope: options.scope ?? '',
    metadata,
    extraParams: options.extraParams ?? {},
    onTokens: (response) => (tokens = response),
  })
  const actor = createActor(deviceGrant.provide({ actors }), {
    input: { server: options.server ?? metadata.token_endpoint, name: '', hostname: '', maxBackoffMs: options.maxBackoffMs },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
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
        })
      }
    },
    error: () => {},
  })
  const output = await runToEnd(actor, { signal: options.signal })
  if (output.kind === 'granted' && tokens) return tokens
  const failure = output.kind === 'failed' ? output.failure : { kind: 'bad_response' as const, message: 'no token response' }
  throw new EngineError(failure.kind, failure.message, { reason: failure.reason })
}
