// RFC 8628 §3.5 pacing, which node-oidc-provider leaves out: every device code has an interval
// in force (the configured one at first), a poll sooner than that after the previous poll
// answers `slow_down`, and each `slow_down` adds 5 s to that code's interval. The state sits in
// SQLite next to the code, so a restart does not reset a client that was told to slow down.
// The first poll is never early: a client may poll as soon as it has the code.
// A poll is timed by the moment it arrives, taken before any work: how long the library then
// takes to answer (a busy server, a slow disk) never shortens the gap the next poll is measured
// against, so a client whose requests are the interval apart is not told to slow down however
// loaded the server is.
import type { Middleware } from 'koa'
import type { Db } from '../storage/database.js'
import { sha256 } from '../storage/hashing.js'

export const SLOW_DOWN_STEP_S = 5
// Timers and the network make a client that waits exactly `interval` arrive a little early now and then.
const EARLY_TOLERANCE_MS = 250

interface PacingRow {
  interval_s: number
  last_poll_at: number | null
}

export interface DevicePacing {
  issued(deviceCode: string, intervalS: number, expiresInS: number): void
  /** Records a poll of a still-pending code that arrived at `at`; returns the new interval when it came too soon. */
  pendingPoll(deviceCode: string, at: number): { slowDown: false } | { slowDown: true; intervalS: number }
  polled(deviceCode: string, at: number): void
}

export function createDevicePacing(db: Db, defaultIntervalS: number, now = Date.now): DevicePacing {
  const insert = db.prepare('INSERT OR REPLACE INTO device_pacing (device_code_hash, interval_s, last_poll_at, expires_at) VALUES (?, ?, NULL, ?)')
  const get = db.prepare('SELECT interval_s, last_poll_at FROM device_pacing WHERE device_code_hash = ?')
  // MAX: a poll that arrived first but finished last must not move the stamp back.
  const update = db.prepare('UPDATE device_pacing SET interval_s = ?, last_poll_at = MAX(COALESCE(last_poll_at, 0), ?) WHERE device_code_hash = ?')
  const sweep = db.prepare('DELETE FROM device_pacing WHERE expires_at <= ?')

  return {
    issued(deviceCode, intervalS, expiresInS) {
      sweep.run(now())
      insert.run(sha256(deviceCode), intervalS, now() + (expiresInS + 120) * 1000)
    },
    pendingPoll(deviceCode, at) {
      const key = sha256(deviceCode)
      const row = get.get(key) as PacingRow | undefined
      if (!row) {
        insert.run(key, defaultIntervalS, at + 3_600_000)
        update.run(defaultIntervalS, at, key)
        return { slowDown: false }
      }
      const early = row.last_poll_at !== null && at - row.last_poll_at < row.interval_s * 1000 - EARLY_TOLERANCE_MS
      const intervalS = early ? row.interval_s + SLOW_DOWN_STEP_S : row.interval_s
      update.run(intervalS, at, key)
      return early ? { slowDown: true, intervalS } : { slowDown: false }
    },
    polled(deviceCode, at) {
      const key = sha256(deviceCode)
      const row = get.get(key) as PacingRow | undefined
      if (row) update.run(row.interval_s, at, key)
    },
  }
}

interface OidcParams {
  grant_type?: unknown
  device_code?: unknown
}

/**
 * Around the library's token endpoint: turns an `authorization_pending` that came too soon
 * into `slow_down`. Only pending answers are rewritten; a code that was approved, denied or
 * has expired answers what the library says, however fast the client polls.
 */
export function slowDownMiddleware(
  pacing: DevicePacing,
  tokenPath: string,
  deviceGrant: string,
  now: () => number = Date.now,
  hold?: () => Promise<void>,
): Middleware {
  return async (ctx, next) => {
    const arrivedAt = now()
    if (hold && ctx.method === 'POST' && ctx.path === tokenPath) await hold()
    await next()
    if (ctx.method !== 'POST' || ctx.path !== tokenPath || !('oidc' in ctx)) return
    const params = (ctx.oidc as { params?: OidcParams } | undefined)?.params
    if (params?.grant_type !== deviceGrant || typeof params.device_code !== 'string') return
    const body = ctx.body as { error?: unknown } | undefined
    if (ctx.status !== 400 || body?.error !== 'authorization_pending') {
      pacing.polled(params.device_code, arrivedAt)
      return
    }
    const outcome = pacing.pendingPoll(params.device_code, arrivedAt)
    if (outcome.slowDown) {
      ctx.body = {
        error: 'slow_down',
        error_description: `polling too often; wait at least ${outcome.intervalS} s between requests`,
        interval: outcome.intervalS,
      }
    }
  }
}
