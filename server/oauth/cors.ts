// CORS for the server's own routes (the library's endpoints get theirs from clientBasedCORS):
// only the origins given with --cors-origin, so a web pairing page there can call them.
import type { Context } from 'koa'

/** Sets the CORS headers; returns true when the request was a preflight and is answered. */
export function applyCors(ctx: Context, allowedOrigins: string[]): boolean {
  const origin = ctx.get('Origin')
  ctx.vary('Origin')
  if (!origin || !allowedOrigins.includes(origin)) return false
  ctx.set('Access-Control-Allow-Origin', origin)
  if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
    ctx.set('Access-Control-Allow-Methods', 'GET, POST')
    ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type')
    ctx.set('Access-Control-Max-Age', '600')
    ctx.status = 204
    return true
  }
  ctx.set('Access-Control-Expose-Headers', 'WWW-Authenticate, Retry-After')
  return false
}
