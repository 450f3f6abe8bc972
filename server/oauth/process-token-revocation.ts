// RFC 7009 revocation of process tokens at the library's revocation endpoint. The library
// answers first (it authenticates the client and parses the form, and answers 200 for a token
// it does not know, as the RFC asks); then a token that is one of ours is deleted.
import type { Middleware } from 'koa'
import type { Sql } from '../storage/sql.js'
import { revokeProcessToken } from './process-tokens.js'

export function processTokenRevocation(sql: Sql, revocationPath: string): Middleware {
  return async (ctx, next) => {
    await next()
    if (ctx.method !== 'POST' || ctx.path !== revocationPath || ctx.status !== 200 || !('oidc' in ctx)) return
    const token = (ctx.oidc as { params?: { token?: unknown } } | undefined)?.params?.token
    if (typeof token === 'string') await revokeProcessToken(sql, token)
  }
}
