// Process tokens: short-lived Bearer tokens a daemon uses for one (account, process_id). Only
// their sha256 is stored; registering again replaces the previous token, so a leaked old one
// stops working at the next registration. Each is bound to the grant (the login) of the user
// token that registered it: once that grant is revoked or gone, the process token stops working
// too, so a client that lost a registration's answer ends the token it never saw by revoking
// its own login.
import { randomBytes } from 'node:crypto'
import type { Sql } from '../storage/sql.js'
import { isDisplayText } from '../device-page/display-text.js'
import { sha256 } from '../storage/hashing.js'

export interface ProcessRecord {
  processId: string
  accountId: string
  name: string
  expiresAt: Date
  /** the grant of the user token that registered it; null for rows written before grants were kept */
  grantId: string | null
}

interface ProcessRow {
  account_id: string
  process_id: string
  name: string
  expires_at: number
  grant_id: string | null
}

const PROCESS_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export const isValidProcessId = (value: unknown): value is string => typeof value === 'string' && PROCESS_ID.test(value)
// Printable text only, without bidi overrides or marks: the name is shown back to people.
export const isValidProcessName = (value: unknown): value is string => isDisplayText(value) && value.trim() !== ''

// One transaction, locked on the (account, process_id), so two registrations at once (at one
// instance or two) leave exactly one valid token: the one that registered last.
export async function registerProcess(
  sql: Sql,
  accountId: string,
  processId: string,
  name: string,
  ttlS: number,
  grantId: string | null,
): Promise<{ processToken: string; expiresAt: Date }> {
  const processToken = `opt_${randomBytes(32).toString('base64url')}`
  const now = Date.now()
  const expiresAt = new Date(now + ttlS * 1000)
  await sql.transaction(
    async (tx) => {
      await tx.run('DELETE FROM process_tokens WHERE (account_id = ? AND process_id = ?) OR expires_at <= ?', [accountId, processId, now])
      await tx.run('INSERT INTO process_tokens (token_hash, account_id, process_id, name, expires_at, created_at, grant_id) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        sha256(processToken),
        accountId,
        processId,
        name,
        expiresAt.getTime(),
        now,
        grantId,
      ])
    },
    [`process:${accountId}:${processId}`],
  )
  return { processToken, expiresAt }
}

export async function findProcessToken(sql: Sql, token: string): Promise<ProcessRecord | undefined> {
  const row = await sql.get<ProcessRow>('SELECT account_id, process_id, name, expires_at, grant_id FROM process_tokens WHERE token_hash = ? AND expires_at > ?', [
    sha256(token),
    Date.now(),
  ])
  return row && { processId: row.process_id, accountId: row.account_id, name: row.name, expiresAt: new Date(row.expires_at), grantId: row.grant_id ?? null }
}

export async function revokeProcessToken(sql: Sql, token: string): Promise<boolean> {
  return (await sql.run('DELETE FROM process_tokens WHERE token_hash = ?', [sha256(token)])) > 0
}
