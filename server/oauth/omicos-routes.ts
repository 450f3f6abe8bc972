// The omicOS extensions to OAuth (docs/server-contract.md): account info and process
// registration behind the user token, and the process token check the daemon's heartbeat
// calls. User tokens are the library's access tokens, checked the way the library checks them
// for its own Bearer endpoints (lib/shared/access_token.js): token, then grant, then account.
import type { Context, Middleware } from 'koa'
import { findAccountById, type Account } from '../storage/accounts.js'
import { applyCors } from './cors.js'
import type { Sql } from '../storage/sql.js'
import { invalidRequest, invalidToken, RouteError, sendJson, sendRouteError } from '../http/http-errors.js'
import { findProcessToken, isValidProcessId, isValidProcessName, registerProcess } from './process-tokens.js'
import { ACCOUNT_PATH, PROCESS_PATH, type OmicosProvider } from './provider.js'
import { readBody } from '../http/read-body.js'

export interface OmicosRouteOptions {
  provider: OmicosProvider
  sql: Sql
  processTokenTtl: number
  corsOrigins: string[]
}

const CURRENT_PROCESS_PATH = `${PROCESS_PATH}/current`

function bearerToken(ctx: Context): string {
  const match = /^Bearer +([\x21-\x7e]+)$/i.exec(ctx.get('Authorization'))
  if (!match) throw invalidToken('an Authorization: Bearer token is required')
  return match[1]!
}

async function accountFromUserToken(options: OmicosRouteOptions, ctx: Context): Promise<Account & { grantId: string }> {
  const { provider, sql } = options
  const token = await provider.AccessToken.find(bearerToken(ctx))
  // find() allows the clock tolerance; an expired user token must fail here all the same.
  if (!token || token.isExpired || !token.accountId || !token.grantId) throw invalidToken()
  const grant = await provider.Grant.find(token.grantId, { ignoreExpiration: true })
  if (!grant || grant.isExpired || grant.clientId !== token.clientId || grant.accountId !== token.accountId) throw invalidToken()
  const account = await findAccountById(sql, token.accountId)
  if (!account) throw invalidToken('the account of this token no longer exists')
  return { ...account, grantId: token.grantId }
}

const routes: Record<string, Partial<Record<string, (options: OmicosRouteOptions, ctx: Context) => Promise<void>>>> = {
  [ACCOUNT_PATH]: {
    async GET(options, ctx) {
      const account = await accountFromUserToken(options, ctx)
      sendJson(ctx, 200, { account_id: account.accountId, email: account.email, tier: account.tier })
    },
  },
  [PROCESS_PATH]: {
    async POST(options, ctx) {
      const account = await accountFromUserToken(options, ctx)
      const body = await readBody(ctx, ['json', 'form'])
      const processId = body.process_id
      const name = body.name
      if (!isValidProcessId(processId)) throw invalidRequest('process_id is missing or malformed (letters, digits, . _ : -, at most 128)')
      if (!isValidProcessName(name))
        throw invalidRequest('name is missing or malformed (printable text, at most 200 characters, without control or bidi formatting characters)')
      const { processToken, expiresAt } = await registerProcess(options.sql, account.accountId, processId, name, options.processTokenTtl, account.grantId)
      sendJson(ctx, 200, {
        process_id: processId,
        name,
        process_token: processToken,
        expires_in: options.processTokenTtl,
        expires_at: expiresAt.toISOString(),
      })
    },
  },
  [CURRENT_PROCESS_PATH]: {
    async GET(options, ctx) {
      const record = await findProcessToken(options.sql, bearerToken(ctx))
      if (!record) throw invalidToken('the process token is unknown, rotated, revoked or expired')
      if (!(await findAccountById(options.sql, record.accountId))) throw invalidToken('the account of this token no longer exists')
      if (record.grantId !== null) {
        const grant = await options.provider.Grant.find(record.grantId, { ignoreExpiration: true })
        if (!grant || grant.isExpired || grant.accountId !== record.accountId) throw invalidToken('the login that registered this process has ended')
      }
      sendJson(ctx, 200, {
        process_id: record.processId,
        account_id: record.accountId,
        name: record.name,
        expires_at: record.expiresAt.toISOString(),
      })
    },
  },
}

export function omicosRoutes(options: OmicosRouteOptions): Middleware {
  return async (ctx, next) => {
    const route = routes[ctx.path.replace(/\/+$/, '')]
    if (!route) return next()
    if (applyCors(ctx as Context, options.corsOrigins)) return
    const handler = route[ctx.method]
    try {
      if (!handler) {
        ctx.set('Allow', Object.keys(route).join(', '))
        throw new RouteError(405, 'invalid_request', `${ctx.method} is not supported on ${ctx.path}`)
      }
      await handler(options, ctx as Context)
    } catch (error) {
      if (error instanceof RouteError) sendRouteError(ctx as Context, error)
      else throw error
    }
  }
}
