// Sessions of the /device page, in SQLite so a restart keeps the approver signed in. The cookie
// holds a random id; only its sha256 is stored. Each session carries its CSRF token, the
// signed-in account, and the count of wrong codes that drives the RFC 8628 §5.1 pause.
import { randomBytes } from 'node:crypto'
import type { Db } from './database.js'
import { sha256 } from './hashing.js'

export interface PageSession {
  idHash: string
  csrf: string
  accountId: string | null
  wrongCodes: number
  pausedUntil: number
}

interface SessionRow {
  id_hash: string
  csrf: string
  account_id: string | null
  wrong_codes: number
  paused_until: number
}

export const SESSION_TTL_MS = 60 * 60 * 1000

export function createPageSessions(db: Db, now = Date.now) {
  const statements = {
    get: db.prepare('SELECT * FROM page_sessions WHERE id_hash = ? AND expires_at > ?'),
    insert: db.prepare('INSERT INTO page_sessions (id_hash, csrf, account_id, wrong_codes, paused_until, expires_at) VALUES (?, ?, NULL, 0, 0, ?)'),
    save: db.prepare('UPDATE page_sessions SET csrf = ?, account_id = ?, wrong_codes = ?, paused_until = ?, expires_at = ? WHERE id_hash = ?'),
    destroy: db.prepare('DELETE FROM page_sessions WHERE id_hash = ?'),
    sweep: db.prepare('DELETE FROM page_sessions WHERE expires_at <= ?'),
  }
  return {
    find(cookieValue: string | undefined): PageSession | undefined {
      if (!cookieValue) return undefined
      const row = statements.get.get(sha256(cookieValue), now()) as SessionRow | undefined
      return row && { idHash: row.id_hash, csrf: row.csrf, accountId: row.account_id, wrongCodes: row.wrong_codes, pausedUntil: row.paused_until }
    },
    create(): { cookieValue: string; session: PageSession } {
      statements.sweep.run(now())
      const cookieValue = randomBytes(32).toString('base64url')
      const session: PageSession = { idHash: sha256(cookieValue), csrf: randomBytes(24).toString('base64url'), accountId: null, wrongCodes: 0, pausedUntil: 0 }
      statements.insert.run(session.idHash, session.csrf, now() + SESSION_TTL_MS)
      return { cookieValue, session }
    },
    destroy(session: PageSession): void {
      statements.destroy.run(session.idHash)
    },
    save(session: PageSession): void {
      statements.save.run(session.csrf, session.accountId, session.wrongCodes, session.pausedUntil, now() + SESSION_TTL_MS, session.idHash)
    },
  }
}

export type PageSessions = ReturnType<typeof createPageSessions>
