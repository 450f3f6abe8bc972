// The node-oidc-provider instance: configured, not extended. Everything omicOS-specific that
// the library has no setting for (password grant, interval and slow_down, the omicOS routes,
// the /device page) is added around it by http/start-server.ts, on the library's own models.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider'
import { findAccountById } from '../storage/accounts.js'
import type { Sql } from '../storage/sql.js'
import { isDisplayText, MAX_DISPLAY_TEXT } from '../device-page/display-text.js'
import type { ServerKeys } from '../storage/keys.js'
import { Provider, errors } from './oidc-library.js'
import { registerPasswordGrant } from './password-grant.js'
import { SUPPORTED_SCOPES } from './scopes.js'
import type { SignInLimiter } from './sign-in-limiter.js'
import { renderErrorPage } from '../device-page/page-layout.js'
import { storeAdapterFactory, type ReadAhead } from '../storage/oidc-adapter.js'

export const CLIENT_ID = 'omicos-cli'
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
export const ACCOUNT_PATH = '/omicos/account'
export const PROCESS_PATH = '/omicos/processes'
export const DEVICE_PAGE_PATH = '/device'

const DAY_S = 86_400

export interface ProviderOptions {
  issuer: string
  sql: Sql
  keys: ServerKeys
  deviceTtl: number
  /** Seconds a user token (access token) lives; default 30 days. The refresh token outlives it. */
  userTokenTtl?: number
  corsOrigins: string[]
  limiter: SignInLimiter
  /** Reads of the library's models that other work fetches in the same round trip (device pacing). */
  readAhead?: ReadAhead
}

export type OmicosProvider = InstanceType<typeof Provider>

// Shown back to the approver, so only short printable text is accepted: no control
// characters and no bidi overrides or marks (display-text.ts, the client's own rule).
function shortText(name: string) {
  return (_ctx: KoaContextWithOIDC, value: string | undefined) => {
    if (value === undefined || value === '') return
    if (!isDisplayText(value)) {
      throw new errors.InvalidRequest(`${name} must be printable text of at most ${MAX_DISPLAY_TEXT} characters, without control or bidi formatting characters`)
    }
  }
}

export function createProvider(options: ProviderOptions): OmicosProvider {
  const { issuer, sql, keys, deviceTtl, corsOrigins } = options
  const configuration: Configuration = {
    adapter: storeAdapterFactory(sql, options.readAhead),
    clients: [
      {
        client_id: CLIENT_ID,
        client_name: 'omicOS command line',
        token_endpoint_auth_method: 'none',
        grant_types: ['password', DEVICE_CODE_GRANT, 'refresh_token'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: keys.jwks,
    cookies: { keys: keys.cookieKeys },
    scopes: [...SUPPORTED_SCOPES],
    claims: { openid: ['sub'], email: ['email', 'email_verified'] },
    async findAccount(_ctx, accountId) {
      const account = await findAccountById(sql, accountId)
      if (!account) return undefined
      return {
        accountId: account.accountId,
        claims: () => ({ sub: account.accountId, email: account.email, email_verified: true }),
      }
    },
    extraParams: {
      process_name: shortText('process_name'),
      hostname: shortText('hostname'),
    },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        // A token may be revoked by the client it was issued to (the only client is omicos-cli).
        allowedPolicy: (_ctx, client, token) => client.clientId === token.clientId,
      },
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        deviceInfo(ctx: KoaContextWithOIDC) {
          // The request's own scope, before the library drops offline_access from it. The
          // address and time are the server's own view, shown on the /device review beside
          // what the device says about itself.
          const body = (ctx.oidc as unknown as { body?: Record<string, unknown> }).body
          return {
            ip: ctx.ip,
            ua: ctx.get('user-agent'),
            requestedScope: typeof body?.scope === 'string' ? body.scope : undefined,
            requestedAt: Math.floor(Date.now() / 1000),
          }
        },
      },
    },
    ttl: {
      AccessToken: options.userTokenTtl ?? 30 * DAY_S,
      RefreshToken: 180 * DAY_S,
      Grant: 365 * DAY_S,
      DeviceCode: deviceTtl,
      IdToken: 3600,
      Session: 14 * DAY_S,
      Interaction: 3600,
    },
    discovery: {
      omicos_account_endpoint: `${issuer}${ACCOUNT_PATH}`,
      omicos_process_endpoint: `${issuer}${PROCESS_PATH}`,
    },
    // Only the origins given with --cors-origin; the library's default allows the origins of a
    // client's redirect_uris, and a device client has none.
    clientBasedCORS: (_ctx, origin) => corsOrigins.includes(origin),
    async renderError(ctx, out) {
      ctx.type = 'html'
      ctx.body = renderErrorPage(out.error, out.error_description)
    },
  }
  const provider = new Provider(issuer, configuration)
  // Forwarded headers are not trusted: a client could write them. With a public issuer
  // (--issuer), http/start-server.ts turns this on and writes those headers itself.
  provider.proxy = false
  registerPasswordGrant(provider, sql, options.limiter)
  return provider
}
