// Failed sign-ins per email within a sliding minute, shared by the password grant and the
// device page. After more than `maxFailures`, every try for that email is refused until the
// oldest counted failure leaves the window. The failures are rows in the database, so a
// restart does not forgive them and every process on the same database counts the same ones.
// The email is kept only as a hash: the table also holds addresses that have no account.
import { normalizeEmail } from '../storage/accounts.js'
import type { Db } from '../storage/database.js'
import { sha256 } from '../storage/hashing.js'

export interface SignInLimiter {
  /** Seconds to wait before this email may try again, or 0 when it may try now. */
  retryAfter(email: string): number
  /** Records a failure; returns the seconds to wait if this failure crossed the limit, else 0. */
  fail(email: string): number
  succeed(email: string): void
}

const SWEEP_EVERY_MS = 60_000

export function createSignInLimiter(db: Db, { maxFailures = 5, windowMs = 60_000, now = Date.now } = {}): SignInLimiter {
  const recentStatement = db.prepare('SELECT failed_at FROM sign_in_failures WHERE email_hash = ? AND failed_at > ? ORDER BY failed_at')
  const insert = db.prepare('INSERT INTO sign_in_failures (email_hash, failed_at) VALUES (?, ?)')
  const forget = db.prepare('DELETE FROM sign_in_failures WHERE email_hash = ?')
  const sweep = db.prepare('DELETE FROM sign_in_failures WHERE failed_at <= ?')
  let lastSweep = 0

  const keyOf = (email: string) => sha256(normalizeEmail(email))
  const recent = (key: string): number[] =>
    (recentStatement.all(key, now() - windowMs) as Array<{ failed_at: number }>).map((row) => row.failed_at)
  const wait = (times: number[]): number => {
    if (times.length <= maxFailures) return 0
    const releasing = times[times.length - maxFailures - 1]!
    return Math.max(1, Math.ceil((releasing + windowMs - now()) / 1000))
  }
  // The insert and the count are one transaction, so two processes failing at once both see
  // both failures.
  const failOnce = db.transaction((key: string) => {
    insert.run(key, now())
    return wait(recent(key))
  })

  return {
    retryAfter: (email) => wait(recent(keyOf(email))),
    fail(email) {
      const at = now()
      if (at - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = at
        sweep.run(at - windowMs)
      }
      return failOnce.immediate(keyOf(email))
    },
    succeed(email) {
      forget.run(keyOf(email))
    },
  }
}
