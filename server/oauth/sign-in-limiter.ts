// Failed sign-ins per email within a sliding minute, shared by the password grant and the
// device page. After more than `maxFailures`, every try for that email is refused until the
// oldest counted failure leaves the window. The failures are rows in the store, so a restart
// does not forgive them and every process on the same store counts the same ones. The email is
// kept only as a hash: the table also holds addresses that have no account.
import { normalizeEmail } from '../storage/accounts.js'
import { sha256 } from '../storage/hashing.js'
import type { Sql } from '../storage/sql.js'

export interface SignInLimiter {
  /** Seconds to wait before this email may try again, or 0 when it may try now. */
  retryAfter(email: string): Promise<number>
  /** Records a failure; returns the seconds to wait if this failure crossed the limit, else 0. */
  fail(email: string): Promise<number>
  succeed(email: string): Promise<void>
}

const SWEEP_EVERY_MS = 60_000

export function createSignInLimiter(sql: Sql, { maxFailures = 5, windowMs = 60_000, now = Date.now } = {}): SignInLimiter {
  let lastSweep = 0

  const keyOf = (email: string) => sha256(normalizeEmail(email))
  const recent = async (db: Sql, key: string): Promise<number[]> =>
    (
      await db.all<{ failed_at: number }>('SELECT failed_at FROM sign_in_failures WHERE email_hash = ? AND failed_at > ? ORDER BY failed_at', [
        key,
        now() - windowMs,
      ])
    ).map((row) => row.failed_at)
  const wait = (times: number[]): number => {
    if (times.length <= maxFailures) return 0
    const releasing = times[times.length - maxFailures - 1]!
    return Math.max(1, Math.ceil((releasing + windowMs - now()) / 1000))
  }

  return {
    retryAfter: async (email) => wait(await recent(sql, keyOf(email))),
    async fail(email) {
      const at = now()
      if (at - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = at
        await sql.run('DELETE FROM sign_in_failures WHERE failed_at <= ?', [at - windowMs])
      }
      const key = keyOf(email)
      // Insert and count in one transaction locked on the email, so failures at two processes
      // at once each see the other.
      return sql.transaction(
        async (tx) => {
          await tx.run('INSERT INTO sign_in_failures (email_hash, failed_at) VALUES (?, ?)', [key, now()])
          return wait(await recent(tx, key))
        },
        [`sign-in:${key}`],
      )
    },
    async succeed(email) {
      await sql.run('DELETE FROM sign_in_failures WHERE email_hash = ?', [keyOf(email)])
    },
  }
}
