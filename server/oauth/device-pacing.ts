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
import { LIVE_ROW, type ModelRow, type ReadAhead } from '../storage/oidc-adapter.js'
import { greatest, type Sql } from '../storage/sql.js'
import { statementBatch } from '../storage/statement-batch.js'

export const SLOW_DOWN_STEP_S = 5
// Timers and the network make a client that waits exactly `interval` arrive a little early now and then.
const EARLY_TOLERANCE_MS = 250
const STORABLE_CODE = /^[\x21-\x7e]{1,512}$/

export type PollJudgment = { slowDown: false } | { slowDown: true; intervalS: number }

export interface DevicePacing {
  issued(deviceCode: string, intervalS: number, expiresInS: number): Promise<void>
  /**
   * Stamps a poll of `deviceCode` that arrived at `at`, judges it against the interval in force,
   * and reads the code's own row, in one round trip on PostgreSQL.
   */
  poll(deviceCode: string, at: number): Promise<{ judgment: PollJudgment; row: ModelRow | undefined }>
}

export function createDevicePacing(sql: Sql, defaultIntervalS: number, now = Date.now): DevicePacing {
  const insert = `INSERT INTO device_pacing (device_code_hash, interval_s, last_poll_at, expires_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (device_code_hash) DO UPDATE SET interval_s = excluded.interval_s, last_poll_at = excluded.last_poll_at, expires_at = excluded.expires_at`
  const insertIfMissing =
    'INSERT INTO device_pacing (device_code_hash, interval_s, last_poll_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (device_code_hash) DO NOTHING'
  // Early: sooner than the interval in force (less the tolerance) after the previous arrival.
  // The greater stamp is kept: a poll that arrived first but was judged last must not move it back.
  const early = (at: string) => `last_poll_at IS NOT NULL AND ${at} - last_poll_at < interval_s * 1000 - ${EARLY_TOLERANCE_MS}`
  const judgement = (at: string) => `
      last_early = CASE WHEN ${early(at)} THEN 1 ELSE 0 END,
      interval_s = CASE WHEN ${early(at)} THEN interval_s + ${SLOW_DOWN_STEP_S} ELSE interval_s END,
      last_poll_at = ${greatest(sql, 'COALESCE(last_poll_at, 0)', at)}`
  // One statement reads and writes the pacing row, so two polls at once (at one instance or two)
  // are judged one after the other: PostgreSQL re-evaluates the second against the row the first
  // wrote, SQLite runs one statement at a time.
  const judge = `UPDATE device_pacing SET ${judgement('?')} WHERE device_code_hash = ? RETURNING interval_s, last_early`
  const readCode = `SELECT payload, consumed FROM oidc_models WHERE model = 'DeviceCode' AND id = ? AND ${LIVE_ROW}`
  // On PostgreSQL the polls that arrive together are judged, and their codes read, in one
  // statement (statement-batch.ts): a statement is a round trip, and a poll is the server's most
  // frequent request. Each pacing row is found and locked by its key, in the order of the keys,
  // before any is written, so two batches (at one instance or two) that share codes cannot
  // deadlock; the UPDATE then finds the rows it locked by their row ids (a locked row keeps its
  // id until this statement writes it). Every row is reached through an index or its row id,
  // never by a scan (see postgres.ts on plans). The answers come in the order of the input, each
  // with its code, which is checked before it is handed out.
  const judgeAndReadAll = `WITH input AS (
      SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[]) WITH ORDINALITY AS i(key, at, id, n)
    ), locked AS MATERIALIZED (
      SELECT row.device_code_hash, row.ctid AS row_id, poll.at
      FROM (SELECT key, at FROM input ORDER BY key) AS poll
      CROSS JOIN LATERAL (SELECT device_code_hash, ctid FROM device_pacing WHERE device_code_hash = poll.key FOR UPDATE) AS row
    ), judged AS (
      UPDATE device_pacing AS pacing SET ${judgement('poll.at')}
      FROM locked AS poll
      WHERE pacing.ctid = poll.row_id
      RETURNING pacing.device_code_hash, pacing.interval_s, pacing.last_early
    )
    SELECT input.id, judged.interval_s, judged.last_early, code.payload, code.consumed
    FROM input
    LEFT JOIN judged ON judged.device_code_hash = input.key
    LEFT JOIN LATERAL (
      SELECT payload, consumed FROM oidc_models WHERE model = 'DeviceCode' AND id = input.id AND ${LIVE_ROW} LIMIT 1
    ) AS code ON TRUE
    ORDER BY input.n`
  // New codes come in bursts (a classroom pairing at once): on PostgreSQL their pacing rows go
  // in together too, in key order (so two batches that share a key lock it in the same order).
  const insertAll = `INSERT INTO device_pacing (device_code_hash, interval_s, last_poll_at, expires_at)
    SELECT key, interval_s, NULL, expires_at FROM unnest(?::text[], ?::integer[], ?::bigint[]) AS i(key, interval_s, expires_at) ORDER BY key
    ON CONFLICT (device_code_hash) DO UPDATE SET interval_s = excluded.interval_s, last_poll_at = excluded.last_poll_at, expires_at = excluded.expires_at`
  type Issued = { key: string; intervalS: number; expiresAt: number }
  const issueBatch =
    sql.dialect === 'postgres'
      ? statementBatch<Issued, void>(
          async (rows) => {
            await sql.run(insertAll, [rows.map((r) => r.key), rows.map((r) => r.intervalS), rows.map((r) => r.expiresAt)])
            return rows.map(() => undefined)
          },
          { inFlight: 2, maxSize: 64, maxWaiting: 20_000, key: (r) => r.key },
        )
      : undefined
  let lastSweep = 0

  type Judged = { interval_s: number; last_early: number }
  const verdict = (judged: Judged): PollJudgment => (judged.last_early ? { slowDown: true, intervalS: judged.interval_s } : { slowDown: false })
  type Poll = { key: string; at: number; id: string }
  type Read = { judged: Judged | undefined; row: ModelRow | undefined }

  const judgeAndReadOne = async ({ key, at, id }: Poll): Promise<Read> => ({
    judged: await sql.get<Judged>(judge, [at, at, at, key]),
    row: await sql.get<ModelRow>(readCode, [id, now()]),
  })
  const batch =
    sql.dialect === 'postgres'
      ? statementBatch<Poll, Read>(
          async (polls) => {
            const rows = await sql.all<{ id: string; interval_s: number | null; last_early: number | null; payload: string | null; consumed: number | null }>(
              judgeAndReadAll,
              [polls.map((p) => p.key), polls.map((p) => p.at), polls.map((p) => p.id), now()],
            )
            return polls.map((poll, i) => {
              const r = rows[i]
              // The codes of one batch are all different (one key each), so the code names the poll.
              if (r?.id !== poll.id) throw new Error('the batched poll statement answered out of order')
              return {
                judged: r.interval_s === null ? undefined : { interval_s: r.interval_s, last_early: r.last_early! },
                row: r.payload === null ? undefined : { payload: r.payload, consumed: r.consumed },
              }
            })
          },
          { inFlight: 4, maxSize: 64, maxWaiting: 20_000, key: (p) => p.key },
        )
      : undefined

  return {
    async issued(deviceCode, intervalS, expiresInS) {
      const at = now()
      if (at - lastSweep > 10_000) {
        lastSweep = at
        // Best effort: a sweep that loses a lock to a poll is done at the next issue.
        await sql.run('DELETE FROM device_pacing WHERE expires_at <= ?', [at]).catch(() => {})
      }
      const row = { key: sha256(deviceCode), intervalS, expiresAt: at + (expiresInS + 120) * 1000 }
      if (issueBatch) await issueBatch(row)
      else await sql.run(insert, [row.key, row.intervalS, null, row.expiresAt])
    },
    async poll(deviceCode, at) {
      // Codes the library issues are short printable ASCII; anything else was never stored, and
      // is answered as not found without a statement (a NUL would fail a whole batch).
      if (!STORABLE_CODE.test(deviceCode)) return { judgment: { slowDown: false }, row: undefined }
      const key = sha256(deviceCode)
      const { judged, row } = batch ? await batch({ key, at, id: deviceCode }) : await judgeAndReadOne({ key, at, id: deviceCode })
      if (judged) return { judgment: verdict(judged), row }
      // A code without a pacing row was issued before pacing was kept: it starts now, as a
      // first poll. A device code that does not exist gets no row (nothing for a guesser to fill).
      if (row && !(await sql.run(insertIfMissing, [key, defaultIntervalS, at, at + 3_600_000]))) {
        const raced = await sql.get<Judged>(judge, [at, at, at, key])
        if (raced) return { judgment: verdict(raced), row }
      }
      return { judgment: { slowDown: false }, row }
    },
  }
}

/**
 * The pacing of the library's token endpoint. `middleware` takes the time a request arrives,
 * before any work; `readAhead` is the device-code read the library makes while answering a
 * poll: it stamps and judges that poll in the same round trip. After the library's answer, an
 * `authorization_pending` to a poll that came too soon becomes `slow_down`. Only pending answers
 * are rewritten: a code that was approved, denied or has expired answers what the library says,
 * however fast the client polls. `currentRequest` gives the request being answered (the
 * library's own async context).
 */
export function devicePolls(
  pacing: DevicePacing,
  tokenPath: string,
  currentRequest: () => object | undefined,
  now: () => number = Date.now,
  hold?: () => Promise<void>,
): { middleware: Middleware; readAhead: ReadAhead } {
  const polls = new WeakMap<object, { arrivedAt: number; closed: () => boolean; judged?: Promise<PollJudgment | undefined> }>()
  const middleware: Middleware = async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== tokenPath) return next()
    const poll = { arrivedAt: now(), closed: () => ctx.req.socket.destroyed, judged: undefined as Promise<PollJudgment | undefined> | undefined }
    polls.set(ctx, poll)
    if (hold) await hold()
    await next()
    const judgment = await poll.judged
    const body = ctx.body as { error?: unknown } | undefined
    if (!judgment?.slowDown || ctx.status !== 400 || body?.error !== 'authorization_pending') return
    ctx.body = {
      error: 'slow_down',
      error_description: `polling too often; wait at least ${judgment.intervalS} s between requests`,
      interval: judgment.intervalS,
    }
  }
  const readAhead: ReadAhead = (model, id) => {
    if (model !== 'DeviceCode') return undefined
    const request = currentRequest()
    const poll = request && polls.get(request)
    // One judgment per request: a second read of the code in the same request is a plain read.
    if (!poll || poll.judged) return undefined
    // A client that already closed its connection is not counted: a plain read answers nobody.
    if (poll.closed()) return undefined
    const done = pacing.poll(id, poll.arrivedAt)
    // Never rejects: a failed read fails the library's answer, which is what the client sees.
    poll.judged = done.then(
      (result) => result.judgment,
      () => undefined,
    )
    return done.then((result) => result.row)
  }
  return { middleware, readAhead }
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
