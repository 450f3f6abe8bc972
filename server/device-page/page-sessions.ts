// Sessions of the /device page, in SQLite so a restart keeps the approver signed in. The cookie
// holds a random id; only its sha256 is stored. Each session carries its CSRF token, the
// signed-in account, and the one device code it has verified (the DeviceCode's id), which is
// the only code /device/decide accepts from it. The count of wrong codes is not here but in
// code-guesses.ts, per account and per address, so a new session does not reset it.
import { randomBytes } from 'node:crypto'
import type { Db } from '../storage/database.js'
import { sha256 } from '../storage/hashing.js'

export interface PageSession {
  idHash: string
  csrf: string
  accountId: string | null
  /** The id (jti) of the DeviceCode this session last verified, until it decides on it. */
  verifiedCode: string | null
}

interface SessionRow {
  id_hash: string
  csrf: string
  account_id: string | null
  verified_code: string | null
}

export const SESSION_TTL_MS = 60 * 60 * 1000

export function createPageSessions(db: Db, now = Date.now) {
  const statements = {
    get: db.prepare('SELECT id_hash, csrf, account_id, verified_code FROM page_sessions WHERE id_hash = ? AND expires_at > ?'),
    insert: db.prepare('INSERT INTO page_sessions (id_hash, csrf, account_id, verified_code, expires_at) VALUES (?, ?, NULL, NULL, ?)'),
    save: db.prepare('UPDATE page_sessions SET csrf = ?, account_id = ?, verified_code = ?, expires_at = ? WHERE id_hash = ?'),
    destroy: db.prepare('DELETE FROM page_sessions WHERE id_hash = ?'),
    sweep: db.prepare('DELETE FROM page_sessions WHERE expires_at <= ?'),
  }
  return {
    find(cookieValue: string | undefined): PageSession | undefined {
      if (!cookieValue) return undefined
      const row = statements.get.get(sha256(cookieValue), now()) as SessionRow | undefined
      return row && { idHash: row.id_hash, csrf: row.csrf, accountId: row.account_id, verifiedCode: row.verified_code }
    },
    create(): { cookieValue: string; session: PageSession } {
      statements.sweep.run(now())
      const cookieValue = randomBytes(32).toString('base64url')
      const session: PageSession = { idHash: sha256(cookieValue), csrf: randomBytes(24).toString('base64url'), accountId: null, verifiedCode: null }
      statements.insert.run(session.idHash, session.csrf, now() + SESSION_TTL_MS)
      return { cookieValue, session }
    },
    destroy(session: PageSession): void {
      statements.destroy.run(session.idHash)
    },
    save(session: PageSession): void {
      statements.save.run(session.csrf, session.accountId, session.verifiedCode, now() + SESSION_TTL_MS, session.idHash)
    },
  }
}

export type PageSessions = ReturnType<typeof createPageSessions>
