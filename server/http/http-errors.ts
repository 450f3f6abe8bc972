// OAuth-style errors for the server's own routes: a status, an `error` code and a sentence,
// rendered as JSON. Anything else that is thrown becomes a bare `server_error`, never a stack.
import type { Context } from 'koa'

export class RouteError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description)
  }
}

export const invalidRequest = (description: string) => new RouteError(400, 'invalid_request', description)
export const invalidToken = (description = 'the token is missing, expired, revoked or unknown') => new RouteError(401, 'invalid_token', description)

export function sendJson(ctx: Context, status: number, body: unknown): void {
  ctx.status = status
  ctx.set('Cache-Control', 'no-store')
  ctx.body = body
}

export function sendRouteError(ctx: Context, error: RouteError): void {
  if (error.status === 401) ctx.set('WWW-Authenticate', `Bearer error="${error.error}"`)
  sendJson(ctx, error.status, { error: error.error, error_description: error.description })
}
