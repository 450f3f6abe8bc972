// `grant_type=password` (username = email) for the public client, on the library's own Grant,
// AccessToken and RefreshToken models, so refresh, revocation and the Bearer routes treat these
// tokens exactly like device-flow ones.
import type { KoaContextWithOIDC } from 'oidc-provider'
import { checkPassword } from '../storage/accounts.js'
import type { Sql } from '../storage/sql.js'
import { errors, type Provider } from './oidc-library.js'
import { grantedScopes } from './scopes.js'
import type { SignInLimiter } from './sign-in-limiter.js'
import { languageOf, WRONG_CREDENTIALS_TEXT } from '../http/languages.js'

export const PASSWORD_GRANT = 'password'
export const WRONG_CREDENTIALS = WRONG_CREDENTIALS_TEXT.en

function tooManyAttempts(ctx: KoaContextWithOIDC, seconds: number): never {
  ctx.set('Retry-After', String(seconds))
  throw new errors.InvalidRequest(`too many failed sign-ins for this email; try again in ${seconds} s`, 429)
}

export function registerPasswordGrant(provider: InstanceType<typeof Provider>, sql: Sql, limiter: SignInLimiter): void {
  provider.registerGrantType(
    PASSWORD_GRANT,
    async (ctx) => {
      const { username, password, scope } = ctx.oidc.params as { username?: string; password?: string; scope?: string }
      if (!username || !password) throw new errors.InvalidRequest('username and password are required')

      const wait = await limiter.retryAfter(username)
      if (wait) tooManyAttempts(ctx, wait)

      const account = await checkPassword(sql, username, password)
      if (!account) {
        const blocked = await limiter.fail(username)
        if (blocked) tooManyAttempts(ctx, blocked)
        // Said to a person by the client as it is: in the language the client asked for.
        throw new errors.CustomOIDCProviderError('invalid_grant', WRONG_CREDENTIALS_TEXT[languageOf(ctx.get('accept-language'))])
      }
      await limiter.succeed(username)

      const scopes = grantedScopes(scope)
      if (scopes.length === 0) throw new errors.InvalidScope('none of the requested scopes is supported', scope ?? '')
      const scopeValue = scopes.join(' ')
      const client = ctx.oidc.client!

      const grant = new provider.Grant({ accountId: account.accountId, clientId: client.clientId })
      grant.addOIDCScope(scopeValue)
      const grantId = await grant.save()

      const authTime = Math.floor(Date.now() / 1000)
      const accessToken = new provider.AccessToken({
        accountId: account.accountId,
        client,
        grantId,
        gty: PASSWORD_GRANT,
        scope: scopeValue,
      })
      const body: Record<string, unknown> = {
        access_token: await accessToken.save(),
        token_type: 'Bearer',
        expires_in: accessToken.expiration,
        scope: scopeValue,
      }
      if (scopes.includes('offline_access') && client.grantTypeAllowed('refresh_token')) {
        const refreshToken = new provider.RefreshToken({
          accountId: account.accountId,
          client,
          grantId,
          gty: PASSWORD_GRANT,
          scope: scopeValue,
          authTime,
          rotations: 0,
        } as ConstructorParameters<typeof provider.RefreshToken>[0])
        body.refresh_token = await refreshToken.save()
      }
      ctx.body = body
    },
    ['username', 'password', 'scope'],
  )
}
