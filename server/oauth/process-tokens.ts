// Process tokens: short-lived Bearer tokens a daemon uses for one (account, process_id). Only
// their sha256 is stored; registering again replaces the previous token, so a leaked old one
// stops working at the next registration.
import { randomBytes } from 'node:crypto'
import type { Db } from '../storage/database.js'
import { isDisplayText } from '../device-page/display-text.js'
import { sha256 } from '../storage/hashing.js'

export interface ProcessRecord {
  processId: string
  accountId: string
  name: string
  expiresAt: Date
}

interface ProcessRow {
  account_id: string
  process_id: string
  name: string
  expires_at: number
}

const PROCESS_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export const isValidProcessId = (value: unknown): value is string => typeof value === 'string' && PROCESS_ID.test(value)
// Printable text only, without bidi overrides or marks: the name is shown back to people.
export const isValidProcessName = (value: unknown): value is string => isDisplayText(value) && value.trim() !== ''

export function registerProcess(db: Db, accountId: string, processId: string, name: string, ttlS: number): { processToken: string; expiresAt: Date } {
  const processToken = `opt_${randomBytes(32).toString('base64url')}`
  const now = Date.now()
  const expiresAt = new Date(now + ttlS * 1000)
  db.transaction(() => {
    db.prepare('DELETE FROM process_tokens WHERE (account_id = ? AND process_id = ?) OR expires_at <= ?').run(accountId, processId, now)
    db.prepare('INSERT INTO process_tokens (token_hash, account_id, process_id, name, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256(processToken), accountId, processId, name, expiresAt.getTime(), now)
  })()
  return { processToken, expiresAt }
}

export function findProcessToken(db: Db, token: string): ProcessRecord | undefined {
  const row = db.prepare('SELECT account_id, process_id, name, expires_at FROM process_tokens WHERE token_hash = ? AND expires_at > ?')
    .get(sha256(token), Date.now()) as ProcessRow | undefined
  return row && { processId: row.process_id, accountId: row.account_id, name: row.name, expiresAt: new Date(row.expires_at) }
}

export function revokeProcessToken(db: Db, token: string): boolean {
  return db.prepare('DELETE FROM process_tokens WHERE token_hash = ?').run(sha256(token)).changes > 0
}
