// RFC 8628 §3.5 pacing, which node-oidc-provider leaves out: every device code has an interval
// in force (the configured one at first), a poll sooner than that after the previous poll
// answers `slow_down`, and each `slow_down` adds 5 s to that code's interval. The state sits in
// the store next to the code, so a restart does not reset a client that was told to slow down.
// The first poll is never early: a client may poll as soon as it has the code.
// A poll is timed by the moment it arrives, taken before any work: how long the library then
// takes to answer (a busy server, a slow disk) never shortens the gap the next poll is measured
// against, so a client whose requests are the interval apart is not told to slow down however
// loaded the server is.
import type { Middleware } from 'koa'
import { sha256 } from '../storage/hashing.js'
import { greatest, type Sql } from '../storage/sql.js'

export const SLOW_DOWN_STEP_S = 5
// Timers and the network make a client that waits exactly `interval` arrive a little early now and then.
const EARLY_TOLERANCE_MS = 250

export interface DevicePacing {
  issued(deviceCode: string, intervalS: number, expiresInS: number): Promise<void>
  /** Records a poll of a still-pending code that arrived at `at`; returns the new interval when it came too soon. */
  pendingPoll(deviceCode: string, at: number): Promise<{ slowDown: false } | { slowDown: true; intervalS: number }>
  polled(deviceCode: string, at: number): Promise<void>
}

export function createDevicePacing(sql: Sql, defaultIntervalS: number, now = Date.now): DevicePacing {
  const insert = `INSERT INTO device_pacing (device_code_hash, interval_s, last_poll_at, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (device_code_hash) DO UPDATE SET interval_s = excluded.interval_s, last_poll_at = excluded.last_poll_at, expires_at = excluded.expires_at`
  const insertIfMissing = 'INSERT INTO device_pacing (device_code_hash, interval_s, last_poll_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (device_code_hash) DO NOTHING'
  // Early: sooner than the interval in force (less the tolerance) after the previous arrival.
  // The greater stamp is kept: a poll that arrived first but finished last must not move it back.
  const early = `last_poll_at IS NOT NULL AND ? - last_poll_at < interval_s * 1000 - ${EARLY_TOLERANCE_MS}`
  const judge = `UPDATE device_pacing SET
      last_early = CASE WHEN ${early} THEN 1 ELSE 0 END,
      interval_s = CASE WHEN ${early} THEN interval_s + ${SLOW_DOWN_STEP_S} ELSE interval_s END,
      last_poll_at = ${greatest(sql, 'COALESCE(last_poll_at, 0)', '?')}
    WHERE device_code_hash = ? RETURNING interval_s, last_early`
  let lastSweep = 0

  return {
    async issued(deviceCode, intervalS, expiresInS) {
      const at = now()
      if (at - lastSweep > 10_000) {
        lastSweep = at
        await sql.run('DELETE FROM device_pacing WHERE expires_at <= ?', [at])
      }
      await sql.run(insert, [sha256(deviceCode), intervalS, null, at + (expiresInS + 120) * 1000])
    },
    async pendingPoll(deviceCode, at) {
      const key = sha256(deviceCode)
      // One statement reads and writes the row, so two polls at once (at one instance or two)
      // are judged one after the other: PostgreSQL re-evaluates the second against the row the
      // first wrote, SQLite runs one statement at a time.
      for (let attempt = 0; attempt < 2; attempt++) {
        const row = await sql.get<{ interval_s: number; last_early: number }>(judge, [at, at, at, key])
        if (row) return row.last_early ? { slowDown: true as const, intervalS: row.interval_s } : { slowDown: false as const }
        // A code this server did not see issued (issued before pacing was kept): it starts now.
        if (await sql.run(insertIfMissing, [key, defaultIntervalS, at, at + 3_600_000])) return { slowDown: false as const }
      }
      return { slowDown: false as const }
    },
    async polled(deviceCode, at) {
      await sql.run(`UPDATE device_pacing SET last_poll_at = ${greatest(sql, 'COALESCE(last_poll_at, 0)', '?')} WHERE device_code_hash = ?`, [at, sha256(deviceCode)])
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
    // A client that gave up waiting (its connection closed before the answer) never saw this
    // poll answered: it is not counted, so its next poll is measured from the one before. On a
    // server too busy to answer in time, that next poll would otherwise look early.
    if (ctx.req.socket.destroyed) return
    const params = (ctx.oidc as { params?: OidcParams } | undefined)?.params
    if (params?.grant_type !== deviceGrant || typeof params.device_code !== 'string') return
    const body = ctx.body as { error?: unknown } | undefined
    if (ctx.status !== 400 || body?.error !== 'authorization_pending') {
      await pacing.polled(params.device_code, arrivedAt)
      return
    }
    const outcome = await pacing.pendingPoll(params.device_code, arrivedAt)
    if (outcome.slowDown) {
      ctx.body = {
        error: 'slow_down',
        error_description: `polling too often; wait at least ${outcome.intervalS} s between requests`,
        interval: outcome.intervalS,
      }
    }
  }
}

/** Around the library's device authorization endpoint: every code it issues starts at `intervalS`. */
export function pacingOnIssue(pacing: DevicePacing, path: string, intervalS: number, deviceTtlS: number): Middleware {
  return async (ctx, next) => {
    await next()
    if (ctx.method !== 'POST' || ctx.path !== path || ctx.status !== 200) return
    const body = ctx.body as { device_code?: unknown; expires_in?: unknown } | undefined
    if (typeof body?.device_code === 'string') await pacing.issued(body.device_code, intervalS, Number(body.expires_in) || deviceTtlS)
  }
}
