// node-oidc-provider's storage on the shared SQLite file: one table keyed (model, id). Rows are
// kept a while past their expiry, because the library itself allows a clock tolerance (15 s):
// a device code polled just after it expired must still be found to answer `expired_token`
// rather than `invalid_grant`.
import type { Adapter, AdapterPayload } from 'oidc-provider'
import type { Db } from './database.js'

const KEEP_PAST_EXPIRY_MS = 60_000
const SWEEP_EVERY_MS = 60_000

interface ModelRow {
  payload: string
  consumed: number | null
}

export function sqliteAdapterFactory(db: Db): (model: string) => Adapter {
  const statements = {
    upsert: db.prepare(`INSERT INTO oidc_models (model, id, payload, grant_id, user_code, uid, expires_at, consumed)
      VALUES (@model, @id, @payload, @grantId, @userCode, @uid, @expiresAt, @consumed)
      ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id,
        user_code = excluded.user_code, uid = excluded.uid, expires_at = excluded.expires_at, consumed = excluded.consumed`),
    find: db.prepare('SELECT payload, consumed FROM oidc_models WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)'),
    findByUserCode: db.prepare('SELECT payload, consumed FROM oidc_models WHERE model = ? AND user_code = ? AND (expires_at IS NULL OR expires_at > ?)'),
    findByUid: db.prepare('SELECT payload, consumed FROM oidc_models WHERE model = ? AND uid = ? AND (expires_at IS NULL OR expires_at > ?)'),
    consume: db.prepare('UPDATE oidc_models SET consumed = ? WHERE model = ? AND id = ?'),
    destroy: db.prepare('DELETE FROM oidc_models WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?'),
    sweep: db.prepare('DELETE FROM oidc_models WHERE expires_at IS NOT NULL AND expires_at <= ?'),
  }
  let lastSweep = 0

  const read = (row: ModelRow | undefined): AdapterPayload | undefined => {
    if (!row) return undefined
    const payload = JSON.parse(row.payload) as AdapterPayload
    return row.consumed ? { ...payload, consumed: row.consumed } : payload
  }

  return (model: string): Adapter => ({
    async upsert(id, payload, expiresIn) {
      const now = Date.now()
      statements.upsert.run({
        model,
        id,
        payload: JSON.stringify(payload),
        grantId: payload.grantId ?? null,
        userCode: payload.userCode ?? null,
        uid: payload.uid ?? null,
        expiresAt: typeof expiresIn === 'number' ? now + expiresIn * 1000 + KEEP_PAST_EXPIRY_MS : null,
        consumed: typeof payload.consumed === 'number' ? payload.consumed : payload.consumed ? Math.floor(now / 1000) : null,
      })
      if (now - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = now
        statements.sweep.run(now)
      }
    },
    async find(id) {
      return read(statements.find.get(model, id, Date.now()) as ModelRow | undefined)
    },
    async findByUserCode(userCode) {
      return read(statements.findByUserCode.get(model, userCode, Date.now()) as ModelRow | undefined)
    },
    async findByUid(uid) {
      return read(statements.findByUid.get(model, uid, Date.now()) as ModelRow | undefined)
    },
    async consume(id) {
      statements.consume.run(Math.floor(Date.now() / 1000), model, id)
    },
    async destroy(id) {
      statements.destroy.run(model, id)
    },
    async revokeByGrantId(grantId) {
      statements.revokeByGrantId.run(model, grantId)
    },
  })
}
