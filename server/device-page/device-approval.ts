// Approving or denying a pending device code, the way the library's own device flow would
// finish it: the decision is written onto the library's DeviceCode (and a Grant on approval),
// so its token endpoint answers the polling client by itself. Used by the /device page and by
// `decidePairing` (the `approve` / `deny` commands), which must behave the same.
import type { DeviceCode } from 'oidc-provider'
import type { Provider } from '../oauth/oidc-library.js'
import { grantedScopes } from '../oauth/scopes.js'

type ProviderInstance = InstanceType<typeof Provider>

export type PendingLookup =
  | { kind: 'pending'; code: DeviceCode; userCode: string; processName?: string; hostname?: string; request: DeviceRequest }
  | { kind: 'not_found' | 'expired' | 'used' }

/** What the server itself saw of a device authorization request (deviceInfo in provider.ts). */
export interface DeviceRequest {
  /** Seconds since the epoch. */
  at?: number
  /** The client's address as the server's socket saw it; an IPv4-mapped IPv6 address as IPv4. */
  address?: string
}

function deviceRequest(code: DeviceCode): DeviceRequest {
  const info = (code.deviceInfo ?? {}) as Record<string, unknown>
  const at = typeof info.requestedAt === 'number' ? info.requestedAt : typeof code.iat === 'number' ? code.iat : undefined
  const address = typeof info.ip === 'string' && info.ip ? info.ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') : undefined
  return { at, address }
}

/** Upper case, letters only: `bcdf-ghjk`, `BCDFGHJK` and ` BCDF GHJK ` are the same code. */
export function normalizeUserCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z]/g, '')
}

export function displayUserCode(normalized: string): string {
  return normalized.length === 8 ? `${normalized.slice(0, 4)}-${normalized.slice(4)}` : normalized
}

export async function findPendingDeviceCode(provider: ProviderInstance, userCode: string): Promise<PendingLookup> {
  const normalized = normalizeUserCode(userCode)
  if (normalized.length !== 8) return { kind: 'not_found' }
  const code = await provider.DeviceCode.findByUserCode(normalized, { ignoreExpiration: true })
  if (!code) return { kind: 'not_found' }
  if (code.isExpired) return { kind: 'expired' }
  if (code.error || code.accountId || code.inFlight || code.consumed) return { kind: 'used' }
  const params = (code.params ?? {}) as Record<string, unknown>
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
  return {
    kind: 'pending',
    code,
    userCode: displayUserCode(normalized),
    processName: text(params.process_name),
    hostname: text(params.hostname),
    request: deviceRequest(code),
  }
}

export async function approveDeviceCode(provider: ProviderInstance, code: DeviceCode, accountId: string): Promise<void> {
  // The library drops offline_access from a device request that lacks prompt=consent, so the
  // scope asked for is read from what the request carried (kept in deviceInfo by provider.ts).
  const info = (code.deviceInfo ?? {}) as Record<string, unknown>
  const params = (code.params ?? {}) as Record<string, unknown>
  const asked = typeof info.requestedScope === 'string' ? info.requestedScope : typeof params.scope === 'string' ? params.scope : undefined
  // An empty scope would make the library answer access_denied although approved.
  const scope = grantedScopes(asked)
  const grant = new provider.Grant({ accountId, clientId: code.clientId })
  grant.addOIDCScope(scope.length ? scope : ['openid'])
  const grantId = await grant.save()
  Object.assign(code, {
    accountId,
    grantId,
    scope: (scope.length ? scope : ['openid']).join(' '),
    authTime: Math.floor(Date.now() / 1000),
    amr: ['pwd'],
  })
  await code.save()
}

export async function denyDeviceCode(code: DeviceCode): Promise<void> {
  Object.assign(code, { error: 'access_denied', errorDescription: 'the sign-in request was denied' })
  await code.save()
}

export const LOOKUP_MESSAGES: Record<Exclude<PendingLookup['kind'], 'pending'>, string> = {
  not_found: 'That code is not valid. Check the code shown in your terminal and try again.',
  expired: 'That code has expired. Start the sign-in again in your terminal to get a new code.',
  used: 'That code has already been used.',
}
