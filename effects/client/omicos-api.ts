// The omicOS additions to OAuth (docs/server-contract.md): account info and process
// registration with a Bearer user token, the process-token check the daemon's heartbeat
// uses, and RFC 7009 revocation for logout.
import type { Account, ProcessRegistration, UserSession, VerifyResult } from '../../machines/contracts.js'
import type { TokenResponse } from './device-grant.js'
import { EngineError } from './engine-error.js'
import { discover, requireEndpoint } from './discovery.js'
import { requestJson, safeDescription, type HttpDeps } from './http.js'
import { hasUnsafeChars, hostOf } from './server-url.js'

const bad = (message: string) => new EngineError('bad_response', message)

const text = (value: unknown, name: string, host: string, maxLength = 320): string => {
  if (typeof value !== 'string' || !value || value.length > maxLength || hasUnsafeChars(value)) {
    throw bad(`${host} sent no usable ${name}`)
  }
  return value
}

/** Asks who a user token belongs to: `valid` with the account, or `invalid` (401/403). */
export const getAccount = async (
  deps: HttpDeps,
  server: string,
  userToken: string,
  signal?: AbortSignal,
): Promise<VerifyResult> => {
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'omicos_account_endpoint', server)
  const host = hostOf(endpoint)
  const answer = await requestJson(deps, endpoint, { headers: { authorization: `Bearer ${userToken}` } }, signal)
  if (answer.status === 401 || answer.status === 403) {
    return { kind: 'invalid', message: `${host} no longer accepts this login (${answer.status}): run omicos login --force` }
  }
  if (answer.status !== 200) throw bad(`${host} answered ${answer.status} to the account request`)
  const body = answer.body!
  return {
    kind: 'valid',
    account: {
      accountId: text(body.account_id, 'account_id', host, 200),
      email: text(body.email, 'email', host),
      tier: text(body.tier, 'tier', host, 100),
    },
  }
}

/** The account of a user token that was just issued; anything but an account is an error. */
export const fetchAccount = async (
  deps: HttpDeps,
  server: string,
  userToken: string,
  signal?: AbortSignal,
): Promise<Account> => {
  const result = await getAccount(deps, server, userToken, signal)
  if (result.kind === 'invalid') throw bad(`${hostOf(server)} rejected the token it had just issued`)
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

/** Registers (again) a process: a fresh process token, the previous one invalidated. */
export const registerProcess = async (
  deps: HttpDeps & { now?: () => number },
  request: RegisterProcessRequest,
  signal?: AbortSignal,
): Promise<ProcessRegistration> => {
  const { server } = request
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'omicos_process_endpoint', server)
  const host = hostOf(endpoint)
  const answer = await requestJson(
    deps,
    endpoint,
    {
      headers: { authorization: `Bearer ${request.userToken}` },
      json: { process_id: request.processId, name: request.name },
    },
    signal,
  )
  const now = (deps.now ?? Date.now)()
  if (answer.status === 401 || answer.status === 403) {
    throw new EngineError('refused', `${host} no longer accepts the saved login: run omicos login --force`)
  }
  if (answer.status !== 200) {
    const why = safeDescription(answer.body?.error_description) ?? `HTTP ${answer.status}`
    throw bad(`${host} refused to register the process: ${why}`)
  }
  const body = answer.body!
  const processToken = text(body.process_token, 'process_token', host, 4096)
  if (body.process_id !== request.processId) throw bad(`${host} registered a different process_id than asked`)
  let expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : NaN
  if (Number.isNaN(expiresAt) && typeof body.expires_in === 'number' && body.expires_in > 0) {
    expiresAt = now + body.expires_in * 1000
  }
  if (Number.isNaN(expiresAt)) throw bad(`${host} sent a process token without a usable expiry`)
  return { processId: request.processId, processToken, processTokenExpiresAt: expiresAt, at: now }
}

export type ProcessTokenCheck =
  | { kind: 'valid'; processId: string; accountId: string; name: string; expiresAt: number }
  | { kind: 'invalid' }

/** What the daemon's heartbeat asks: is this process token still the current one? */
export const checkProcessToken = async (
  deps: HttpDeps,
  server: string,
  processToken: string,
  signal?: AbortSignal,
): Promise<ProcessTokenCheck> => {
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'omicos_process_endpoint', server)
  const host = hostOf(endpoint)
  const answer = await requestJson(
    deps,
    `${endpoint.replace(/\/+$/, '')}/current`,
    { headers: { authorization: `Bearer ${processToken}` } },
    signal,
  )
  if (answer.status === 401 || answer.status === 403) return { kind: 'invalid' }
  if (answer.status !== 200) throw bad(`${host} answered ${answer.status} to the process token check`)
  const body = answer.body!
  const expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : NaN
  if (Number.isNaN(expiresAt)) throw bad(`${host} sent a process without a usable expires_at`)
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
export const revokeTokensOrThrow = async (
  deps: HttpDeps & { clientId: string },
  server: string,
  tokens: string[],
  signal?: AbortSignal,
): Promise<void> => {
  const endpoint = requireEndpoint(await discover(deps, server, signal), 'revocation_endpoint', server)
  for (const token of tokens) {
    const answer = await requestJson(
      deps,
      endpoint,
      { form: { token, client_id: deps.clientId }, allowEmpty: true, lenient: true },
      signal,
    )
    if (answer.status !== 200) throw bad(`${hostOf(endpoint)} refused the revocation (HTTP ${answer.status})`)
  }
}

/** Revokes tokens (RFC 7009), best effort: true when the server confirmed every one. */
export const revokeTokens = async (
  deps: HttpDeps & { clientId: string },
  server: string,
  tokens: string[],
  signal?: AbortSignal,
): Promise<boolean> => {
  try {
    await revokeTokensOrThrow(deps, server, tokens, signal)
    return true
  } catch (error) {
    if (error instanceof EngineError && error.kind === 'cancelled') throw error
    return false
  }
}
