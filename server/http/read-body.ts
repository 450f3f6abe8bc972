// Reads a small request body for the server's own routes. The library has its own reader
// (56 KiB); these routes take JSON or a form and refuse anything larger than 64 KiB.
import type { Context } from 'koa'
import { parse as parseForm } from 'node:querystring'
import { invalidRequest, RouteError } from './http-errors.js'

export const BODY_LIMIT = 64 * 1024

async function readRaw(ctx: Context): Promise<string> {
  const declared = ctx.request.length
  if (declared !== undefined && declared > BODY_LIMIT) throw new RouteError(413, 'invalid_request', `the request body is larger than ${BODY_LIMIT} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > BODY_LIMIT) throw new RouteError(413, 'invalid_request', `the request body is larger than ${BODY_LIMIT} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** The body as a flat object; JSON or form encoded. */
export async function readBody(ctx: Context, accept: Array<'json' | 'form'>): Promise<Record<string, unknown>> {
  const kind = ctx.is('application/json') ? 'json' : ctx.is('application/x-www-form-urlencoded') ? 'form' : undefined
  if (!kind || !accept.includes(kind)) {
    const wanted = accept.map((k) => (k === 'json' ? 'application/json' : 'application/x-www-form-urlencoded')).join(' or ')
    throw invalidRequest(`the request body must be ${wanted}`)
  }
  const raw = await readRaw(ctx)
  if (kind === 'form') {
    const form = parseForm(raw)
    return Object.fromEntries(Object.entries(form).map(([key, value]) => [key, Array.isArray(value) ? value : (value ?? '')]))
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw invalidRequest('the request body is not valid JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidRequest('the request body must be a JSON object')
  return parsed as Record<string, unknown>
}
