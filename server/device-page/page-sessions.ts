// Sessions of the /device page, in the store so a restart keeps the approver signed in. The cookie
// holds a random id; only its sha256 is stored. Each session carries its CSRF token, the
// signed-in account, and the one device code it has verified (the DeviceCode's id), which is
// the only code /device/decide accepts from it. The count of wrong codes is not here but in
// code-guesses.ts, per account and per address, so a new session does not reset it.
import { randomBytes } from 'node:crypto'
import type { Sql } from '../storage/sql.js'
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

export function createPageSessions(sql: Sql, now = Date.now) {
  const toSession = (row: SessionRow): PageSession => ({ idHash: row.id_hash, csrf: row.csrf, accountId: row.account_id, verifiedCode: row.verified_code })
  return {
    async find(cookieValue: string | undefined): Promise<PageSession | undefined> {
      if (!cookieValue) return undefined
      const row = await sql.get<SessionRow>('SELECT id_hash, csrf, account_id, verified_code FROM page_sessions WHERE id_hash = ? AND expires_at > ?', [
        sha256(cookieValue),
        now(),
      ])
      return row && toSession(row)
    },
    async create(): Promise<{ cookieValue: string; session: PageSession }> {
      await sql.run('DELETE FROM page_sessions WHERE expires_at <= ?', [now()])
      const cookieValue = randomBytes(32).toString('base64url')
      const session: PageSession = { idHash: sha256(cookieValue), csrf: randomBytes(24).toString('base64url'), accountId: null, verifiedCode: null }
      await sql.run('INSERT INTO page_sessions (id_hash, csrf, account_id, verified_code, expires_at) VALUES (?, ?, NULL, NULL, ?)', [
        session.idHash,
        session.csrf,
        now() + SESSION_TTL_MS,
      ])
      return { cookieValue, session }
    },
    async destroy(session: PageSession): Promise<void> {
      await sql.run('DELETE FROM page_sessions WHERE id_hash = ?', [session.idHash])
    },
    async save(session: PageSession): Promise<void> {
      await sql.run('UPDATE page_sessions SET csrf = ?, account_id = ?, verified_code = ?, expires_at = ? WHERE id_hash = ?', [
        session.csrf,
        session.accountId,
        session.verifiedCode,
        now() + SESSION_TTL_MS,
        session.idHash,
      ])
    },
  }
}

export type PageSessions = ReturnType<typeof createPageSessions>
