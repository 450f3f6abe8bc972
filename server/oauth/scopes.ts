export const SUPPORTED_SCOPES = ['openid', 'email', 'offline_access'] as const

/** Known scopes of a request in a stable order; unknown ones are dropped, as the library does. */
export function grantedScopes(requested: string | undefined): string[] {
  const asked = new Set((requested ?? SUPPORTED_SCOPES.join(' ')).split(' ').filter(Boolean))
  return SUPPORTED_SCOPES.filter((scope) => asked.has(scope))
}
