// A refresh-token reuse interval around the library's own refresh_token grant. The library
// rotates the refresh token of a public client on every use and, when a spent one comes back,
// revokes the whole grant (lib/actions/grants/refresh_token.js: `refreshToken.consumed`). A
// client killed after the server answered and before it saved the answer can only present the
// spent token again, and would lose the login for it. Within `reuseSeconds` of the first use,
// as Auth0's reuse interval and Okta's grace period do, the spent token is honoured instead:
// - only while its successor is unused (a successor that was used is a real replay: the
//   library revokes the grant as before);
// - the successor and the access token issued with it are destroyed first, so the answer that
//   was lost leaves no live token behind, and the new answer is the only one;
// - the interval runs from the first use, however many times it is honoured.
// The grant itself stays the library's: this wrapper only clears the consumed mark before it,
// and notes after it which tokens a rotation issued.
import type { KoaContextWithOIDC } from 'oidc-provider'
import instance from 'oidc-provider/lib/helpers/weak_cache.js'
import { storeAdapterFactory } from '../storage/oidc-adapter.js'
import type { Sql } from '../storage/sql.js'
import { errors } from './oidc-library.js'
import type { OmicosProvider } from './provider.js'

/** A few seconds: long enough for a client that died while saving to try again on its next start. */
export const DEFAULT_REFRESH_REUSE_SECONDS = 5

/** The model the successors of rotated refresh tokens are noted under, in the library's table. */
export const SUCCESSOR_MODEL = 'RefreshSuccessor'

interface Successor {
  /** the refresh token (id) the rotation issued */
  refreshId: string
  /** the access token (id) issued with it */
  accessId: string | null
  /** epoch s of the first use of the rotated token: the interval runs from here */
  firstUsedAt: number
}

type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>

interface LibraryInternals {
  grantTypeHandlers: Map<string, GrantHandler>
  grantTypeParams: Map<string, Set<string>>
}

interface TokenModel {
  jti: string
  consumed?: unknown
  clientId?: string
  isExpired?: boolean
  grantId?: string
}

export function honourRefreshReuse(provider: OmicosProvider, sql: Sql, reuseSeconds: number): void {
  if (reuseSeconds <= 0) return
  const internals = instance(provider) as LibraryInternals
  const grant = internals.grantTypeHandlers.get('refresh_token')
  const params = internals.grantTypeParams.get('refresh_token')
  if (!grant || !params) throw new Error('the OIDC library registered no refresh_token grant to wrap')
  const adapters = storeAdapterFactory(sql)
  const successors = adapters(SUCCESSOR_MODEL)
  const accessTokens = adapters('AccessToken')
  const refreshTokens = adapters('RefreshToken')
  const nowS = () => Math.floor(Date.now() / 1000)

  const honoured = async (ctx: KoaContextWithOIDC): Promise<number | null> => {
    const value = ctx.oidc.params?.refresh_token
    if (typeof value !== 'string' || !value) return null
    const token = (await provider.RefreshToken.find(value, { ignoreExpiration: true })) as TokenModel | undefined
    if (!token?.consumed || token.isExpired || token.clientId !== ctx.oidc.client?.clientId) return null
    const noted = (await successors.find(token.jti)) as unknown as Successor | undefined
    if (!noted || nowS() - noted.firstUsedAt > reuseSeconds) return null
    const next = (await provider.RefreshToken.find(noted.refreshId, { ignoreExpiration: true })) as TokenModel | undefined
    // A successor that was used makes this a real replay: the library ends the grant.
    if (next?.consumed) return null
    // A successor already gone was destroyed by another replay honoured a moment ago; so is a
    // mark another replay cleared first. Either is refused without ending the grant.
    if (!next) throw new errors.InvalidGrant('refresh token already renewed by another request')
    const cleared = await sql.run('UPDATE oidc_models SET consumed = NULL WHERE model = ? AND id = ? AND consumed IS NOT NULL', ['RefreshToken', token.jti])
    if (!cleared) throw new errors.InvalidGrant('refresh token already renewed by another request')
    await refreshTokens.destroy(noted.refreshId)
    if (noted.accessId) await accessTokens.destroy(noted.accessId)
    return noted.firstUsedAt
  }

  provider.registerGrantType(
    'refresh_token',
    async (ctx) => {
      const firstUsedAt = await honoured(ctx)
      await grant(ctx)
      const entities = ctx.oidc.entities as Record<string, TokenModel | undefined>
      const rotated = entities.RotatedRefreshToken
      const issued = entities.RefreshToken
      if (!rotated || !issued || rotated.jti === issued.jti) return
      const successor: Successor = { refreshId: issued.jti, accessId: entities.AccessToken?.jti ?? null, firstUsedAt: firstUsedAt ?? nowS() }
      await successors.upsert(rotated.jti, { ...successor, grantId: rotated.grantId } as never, reuseSeconds + 60)
    },
    [...params].filter((name) => name !== 'grant_type'),
  )
}
