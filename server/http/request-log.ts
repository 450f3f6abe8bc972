// What the server answered, for tests and the demo: no tokens, passwords or device codes,
// only a short hash of a device code so polls of one code can be told apart.
import type { Middleware } from 'koa'
import { deviceCodeId } from '../storage/hashing.js'

export interface RequestLogEntry {
  at: number
  method: string
  path: string
  status: number
  grantType?: string
  deviceCodeId?: string
  error?: string
}

export const REQUEST_LOG_LIMIT = 10_000

export function requestLogMiddleware(entries: RequestLogEntry[]): Middleware {
  return async (ctx, next) => {
    const at = Date.now()
    try {
      await next()
    } finally {
      const entry: RequestLogEntry = { at, method: ctx.method, path: ctx.path, status: ctx.status }
      const params = 'oidc' in ctx ? (ctx.oidc as { params?: Record<string, unknown> } | undefined)?.params : undefined
      const body = ctx.body as Record<string, unknown> | undefined
      if (typeof params?.grant_type === 'string') entry.grantType = params.grant_type
      const deviceCode = typeof params?.device_code === 'string' ? params.device_code : typeof body?.device_code === 'string' ? body.device_code : undefined
      if (deviceCode) entry.deviceCodeId = deviceCodeId(deviceCode)
      if (body && typeof body === 'object' && typeof body.error === 'string') entry.error = body.error
      entries.push(entry)
      if (entries.length > REQUEST_LOG_LIMIT) entries.splice(0, entries.length - REQUEST_LOG_LIMIT)
    }
  }
}
