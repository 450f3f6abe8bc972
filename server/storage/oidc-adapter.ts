// node-oidc-provider's storage on the server's store: one table keyed (model, id). Rows are
// kept a while past their expiry, because the library itself allows a clock tolerance (15 s):
// a device code polled just after it expired must still be found to answer `expired_token`
// rather than `invalid_grant`.
//
// `consume` is where two requests could both redeem one device code (two polls at once, at one
// instance or at two): the library reads the code, sees it unconsumed, then consumes it. Only
// the first consume changes the row; a later one throws the library's own invalid_grant, so the
// code yields tokens exactly once.
import type { Adapter, AdapterPayload } from 'oidc-provider'
import { errors } from '../oauth/oidc-library.js'
import { storableText, type Sql } from './sql.js'

const KEEP_PAST_EXPIRY_MS = 60_000
const SWEEP_EVERY_MS = 60_000

export interface ModelRow {
  payload: string
  consumed: number | null
}

/**
 * Reads a row the caller can fetch together with other work in one round trip (device pacing
 * reads the device code in the statement that stamps the poll); `undefined` when it has no part
 * in this read, which then runs on its own.
 */
export type ReadAhead = (model: string, id: string) => Promise<ModelRow | undefined> | undefined

/** The condition a row must meet to be found: not past its expiry (plus the kept margin). */
export const LIVE_ROW = '(expires_at IS NULL OR expires_at > ?)'

const UPSERT = `INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
    user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed = excluded.consumed`

export function storeAdapterFactory(sql: Sql, readAhead?: ReadAhead): (model: string) => Adapter {
  let lastSweep = 0

  const read = (row: ModelRow | undefined): AdapterPayload | undefined => {
    if (!row) return undefined
    const payload = JSON.parse(row.payload) as AdapterPayload
    return row.consumed ? { ...payload, consumed: row.consumed } : payload
  }
  const findBy = (column: 'id' | 'user_code' | 'uid') => async (model: string, value: string) => {
    if (!storableText(value)) return undefined
    return read(await sql.get<ModelRow>(`SELECT payload, consumed FROM oidc_models WHERE model = ? AND ${column} = ? AND ${LIVE_ROW}`, [model, value, Date.now()]))
  }
  const byId = findBy('id')
  const byUserCode = findBy('user_code')
  const byUid = findBy('uid')

  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const now = Date.now()
      const consumed = typeof payload.consumed === 'number' ? payload.consumed : payload.consumed ? Math.floor(now / 1000) : null
      await sql.run(UPSERT, [
        model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.userCode ?? null,
        payload.uid ?? null,
        typeof expiresIn === 'number' ? now + expiresIn * 1000 + KEEP_PAST_EXPIRY_MS : null,
        consumed,
      ])
      if (now - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = now
        await sql.run('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?', [now])
      }
    },
    async find(id) {
      const ahead = readAhead?.(model, id)
      return ahead ? read(await ahead) : byId(model, id)
    },
    findByUserCode: (userCode) => byUserCode(model, userCode),
    findByUid: (uid) => byUid(model, uid),
    async consume(id) {
      const changed = await sql.run('UPDATE oidc_models SET consumed = ? WHERE model = ? AND id = ? AND consumed IS NULL', [
        Math.floor(Date.now() / 1000),
        model,
        id,
      ])
      if (!changed) throw new errors.InvalidGrant(`${model === 'DeviceCode' ? 'device code' : 'grant'} already consumed`)
    },
    async destroy(id) {
      await sql.run('DELETE FROM oidc_models WHERE model = ? AND id = ?', [model, id])
    },
    async revokeByGrantId(grantId) {
      await sql.run('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?', [model, grantId])
    },
  })
}
