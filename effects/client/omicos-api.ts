// The omicOS additions to OAuth (docs/server-contract.md): account info and process
// registration with a Bearer user token, the process-token check the daemon's heartbeat
// uses, and RFC 7009 revocation for logout.
import type { ProcessRegistration, RegistrationOutcome } from '../../machines/login.contract.js'
import type { Account, UserSession, VerifyResult } from '../../machines/shared.contract.js'
import { failure, mayHaveReachedServer, toFailure } from '../../machines/failure.js'
import { isProcessId } from '../../machines/process-id.js'
import { EngineError, engineError } from './engine-error.js'
import { discover, requireEndpoint } from './discovery.js'
import { holdSecrets } from './held-secrets.js'
import { sanitizeServerText } from './sanitize-server-text.js'
import { MAX_BODY_BYTES } from './capped-body.js'
import { clockSkewOf, SKEW_TOLERANCE_MS } from './clock.js'
import { requestJson, type HttpDeps } from './http.js'
import { refusal, refusalDetails } from './refusal.js'
import { MAX_TOKEN_LENGTH, type TokenResponse } from './token-response.js'
import { hasUnsafeChars, hostOf } from './server-url.js'

// A field that is shown or saved (email, tier, names) must come through the sanitizer
// unchanged: no invisible characters and no secret the engine holds.
// A token is itself a held secret, so it is only checked for control characters.
const text = (value: unknown, field: string, host: string | null, maxLength = 320, secret = false): string => {
  if (typeof value !== 'string' || !value || value.length > maxLength || hasUnsafeChars(value) || (!secret && sanitizeServerText(value, { maxLength }) !== value)) {
    throw engineError('unusableField', { host, field, problem: 'missing' })
  }
  return value
}

// Expiry times the engine takes at their word: within ten years of now, so a date is always
// one a Date can print (1e300 ms is "Invalid time value").
const MAX_LIFETIME_MS = 10 * 365 * 86_400_000

/**
 * An expiry the server sent (`expires_at` as a date, or `expires_in` seconds) as epoch ms on
 * the clock here, in a sane range. A relative lifetime counts from `now`, when the answer
 * arrived; an absolute time is the server's, moved by `skewMs` (how far the clock here is
 * ahead of the server's, from its Date header) when that is more than the header's rounding.
 */
const expiryOf = (body: Record<string, unknown>, now: number, host: string | null, of: 'processToken' | 'process', skewMs: number | null = null): number => {
  let at = NaN
  const shift = skewMs !== null && Math.abs(skewMs) > SKEW_TOLERANCE_MS ? skewMs : 0
  if (typeof body.expires_at === 'string' && body.expires_at.length <= 64) at = Date.parse(body.expires_at) + shift
  else if (body.expires_at === undefined && typeof body.expires_in === 'number' && Number.isInteger(body.expires_in)) {
    at = now + body.expires_in * 1000
  }
  if (!Number.isFinite(at) || at < now - MAX_LIFETIME_MS || at > now + MAX_LIFETIME_MS) {
    throw engineError('unusableExpiry', { host, of })
  }
  return at
}

// Fillers that render as nothing but are letters to Unicode (Hangul fillers, the halfwidth one).
const FILLERS = /[\u115f\u1160\u3164\uffa0]/u
const LOCAL_PART = /^[\p{L}\p{N}._%+'-]{1,64}$/u
const DOMAIN = /^(?=.{1,253}$)[\p{L}\p{N}-]{1,63}(\.[\p{L}\p{N}-]{1,63})*$/u

/**
 * An email as the server sent it, only when it looks like one: a local part and a domain of
 * letters, digits and the usual marks, no spaces, no combining marks, no invisible fillers.
 * A sentence ("... Credentials written to /etc/shadow") or a mark flood is never shown.
 */
const emailOf = (value: unknown, host: string | null): string => {
  const email = text(value, 'email', host)
  const [local, domain, ...rest] = email.split('@')
  if (rest.length > 0 || !local || !domain || FILLERS.test(email) || !LOCAL_PART.test(local) || !DOMAIN.test(domain)) {
    throw engineError('accountEmailUnusable', { host })
  }
  return email
}

/** Asks who a user token belongs to: `valid` with the account, or `invalid` (401/403). */
export const getAccount = async (deps: HttpDeps, server: string, userToken: string, signal?: AbortSignal): Promise<VerifyResult> => {
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'omicos_account_endpoint', server)
  const host = hostOf(endpoint)
  const answer = await requestJson(deps, endpoint, { headers: { authorization: `Bearer ${userToken}` } }, signal)
  const clockSkewMs = clockSkewOf(answer.headers, Date.now())
  if (answer.status === 401 || answer.status === 403) {
    return { kind: 'invalid', failure: failure('loginRejected', { host, status: answer.status }), clockSkewMs }
  }
  if (answer.status !== 200) throw refusal(endpoint, 'account', answer)
  const body = answer.body!
  return {
    kind: 'valid',
    clockSkewMs,
    account: {
      accountId: text(body.account_id, 'account_id', host, 200),
      email: emailOf(body.email, host),
      tier: text(body.tier, 'tier', host, 100),
    },
  }
}

/** The account of a user token that was just issued; anything but an account is an error. */
export const fetchAccount = async (deps: HttpDeps, server: string, userToken: string, signal?: AbortSignal): Promise<Account> => {
  const result = await getAccount(deps, server, userToken, signal)
  if (result.kind === 'invalid') throw engineError('tokenRejectedAtOnce', { host: hostOf(server) })
  return result.account
}

/** A token response and its account, as the machines carry them. */
export const toUserSession = (tokens: TokenResponse, account: Account, receivedAt: number): UserSession => ({
  userToken: tokens.access_token,
  userTokenExpiresAt: typeof tokens.expires_in === 'number' ? receivedAt + tokens.expires_in * 1000 : null,
  refreshToken: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : null,
  account,
})

export interface RegisterProcessRequest {
  server: string
  userToken: string
  processId: string
  name: string
}

/**
 * The process token a registration answer carries, as far as it can be read, whether or not the
 * answer is usable: owed a revocation when the answer is refused. A body whose fields are only
 * under `__proto__` (an own property after JSON.parse) is read there too.
 */
const strayTokenOf = (body: Record<string, unknown> | null): string | null => {
  if (!body) return null
  const nested = Object.getOwnPropertyDescriptor(body, '__proto__')?.value as Record<string, unknown> | undefined
  const token = Object.hasOwn(body, 'process_token') ? body.process_token : nested && typeof nested === 'object' ? nested.process_token : undefined
  return typeof token === 'string' && token.length > 0 && token.length <= MAX_BODY_BYTES ? token : null
}

/**
 * Registers (again) a process: a fresh process token, the previous one invalidated. An answer
 * the engine cannot use is a value, not an error, when the request reached the server: the
 * server may have rotated the token all the same, and what can be read of the new one is
 * returned for revocation. Errors before the server could act (discovery, connection refused)
 * and 401/403/other 4xx (the server says it did nothing) are thrown.
 */
export const registerProcessOutcome = async (
  deps: HttpDeps & { now?: () => number },
  request: RegisterProcessRequest,
  signal?: AbortSignal,
): Promise<RegistrationOutcome> => {
  const { server } = request
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'omicos_process_endpoint', server)
  const host = hostOf(endpoint)
  // A registration is ordered by when it was asked for: the server registers between asking and
  // answering, and an answer can arrive long after (a process stopped as it came), later than
  // a registration that another process asked for meanwhile.
  const askedAt = (deps.now ?? Date.now)()
  let answer: Awaited<ReturnType<typeof requestJson>>
  try {
    answer = await requestJson(
      deps,
      endpoint,
      {
        headers: { authorization: `Bearer ${request.userToken}` },
        json: { process_id: request.processId, name: request.name },
        lenient: true,
      },
      signal,
    )
  } catch (error) {
    // A cut or malformed answer, or a time-out waiting: the server may have registered.
    if (error instanceof EngineError && mayHaveReachedServer(error.failure)) {
      return { kind: 'refused', failure: toFailure(error), strayProcessToken: null, mayHaveRotated: true }
    }
    throw error
  }
  const now = (deps.now ?? Date.now)()
  if (answer.status === 401 || answer.status === 403) {
    throw engineError('registrationUnauthorized', { host, status: answer.status })
  }
  holdSecrets(strayTokenOf(answer.body))
  const refused = (error: EngineError): RegistrationOutcome => ({
    kind: 'refused',
    failure: toFailure(error),
    strayProcessToken: strayTokenOf(answer.body),
    mayHaveRotated: true,
  })
  // A server error may come after the registration was made (the answer failed, not the work).
  if (answer.status >= 500) return refused(engineError('registrationServerError', refusalDetails(endpoint, 'processRegistration', answer)))
  if (answer.status !== 200) throw engineError('registrationRefused', refusalDetails(endpoint, 'processRegistration', answer))
  if (!answer.body) return refused(engineError('registrationNotJson', { host }))
  const body = answer.body
  try {
    if (!Object.hasOwn(body, 'process_token')) throw engineError('registrationField', { host, field: 'process_token' })
    const processToken = text(body.process_token, 'process_token', host, MAX_TOKEN_LENGTH, true)
    if (!isProcessId(body.process_id) || body.process_id !== request.processId) {
      throw engineError('registrationProcessId', { host })
    }
    // An absolute expires_at is the server's clock: moved by the skew its Date header shows.
    const clockSkewMs = clockSkewOf(answer.headers, now)
    const expiresAt = expiryOf(body, now, host, 'processToken', clockSkewMs)
    if (expiresAt <= now) {
      throw engineError('processTokenExpired', { host })
    }
    return { kind: 'registered', processId: request.processId, processToken, processTokenExpiresAt: expiresAt, at: askedAt, clockSkewMs }
  } catch (error) {
    if (error instanceof EngineError) return refused(error)
    throw error
  }
}

/** registerProcessOutcome for callers that only go on with a registration: a refused answer throws. */
export const registerProcess = async (
  deps: HttpDeps & { now?: () => number },
  request: RegisterProcessRequest,
  signal?: AbortSignal,
): Promise<ProcessRegistration> => {
  const outcome = await registerProcessOutcome(deps, request, signal)
  if (outcome.kind === 'refused') throw new EngineError(outcome.failure)
  return outcome
}

export type ProcessTokenCheck = { kind: 'valid'; processId: string; accountId: string; name: string; expiresAt: number } | { kind: 'invalid' }

/** What the daemon's heartbeat asks: is this process token still the current one? */
export const checkProcessToken = async (deps: HttpDeps, server: string, processToken: string, signal?: AbortSignal): Promise<ProcessTokenCheck> => {
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'omicos_process_endpoint', server)
  const host = hostOf(endpoint)
  const answer = await requestJson(deps, `${endpoint.replace(/\/+$/, '')}/current`, { headers: { authorization: `Bearer ${processToken}` } }, signal)
  if (answer.status === 401 || answer.status === 403) return { kind: 'invalid' }
  if (answer.status !== 200) throw refusal(endpoint, 'processCheck', answer)
  const body = answer.body!
  const at = Date.now()
  const expiresAt = expiryOf({ expires_at: body.expires_at ?? null }, at, host, 'process', clockSkewOf(answer.headers, at))
  return {
    kind: 'valid',
    processId: text(body.process_id, 'process_id', host),
    accountId: text(body.account_id, 'account_id', host),
    name: text(body.name, 'name', host),
    expiresAt,
  }
}

/**
 * Revokes tokens (RFC 7009) and throws unless the server confirmed every one: `bad_response`
 * when it offers no revocation endpoint or refuses, `unreachable` when it cannot be reached.
 */
export const revokeTokensOrThrow = async (deps: HttpDeps & { clientId: string }, server: string, tokens: string[], signal?: AbortSignal): Promise<void> => {
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'revocation_endpoint', server)
  for (const token of tokens) {
    const answer = await requestJson(deps, endpoint, { form: { token, client_id: deps.clientId }, allowEmpty: true, lenient: true }, signal)
    if (answer.status !== 200) throw refusal(endpoint, 'revocation', answer)
  }
}

/** Revokes tokens (RFC 7009), best effort: true when the server confirmed every one. */
export const revokeTokens = async (deps: HttpDeps & { clientId: string }, server: string, tokens: string[], signal?: AbortSignal): Promise<boolean> => {
  try {
    await revokeTokensOrThrow(deps, server, tokens, signal)
    return true
  } catch (error) {
    if (error instanceof EngineError && error.kind === 'cancelled') throw error
    return false
  }
}

/** Best effort and bounded: the tokens of a grant whose login went no further. */
export const revokeIssuedSession = async (deps: HttpDeps, server: string, clientId: string, tokens: TokenResponse): Promise<void> => {
  const issued = [tokens.refresh_token, tokens.access_token].filter((t): t is string => typeof t === 'string' && t.length > 0)
  await revokeTokens({ ...deps, clientId, timeoutMs: 2_000 }, server, issued).catch(() => false)
}
