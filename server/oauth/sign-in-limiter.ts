// Failed sign-ins per email within a sliding minute, shared by the password grant and the
// device page. After more than `maxFailures`, every try for that email is refused until the
// oldest counted failure leaves the window. Kept in memory: a restart forgives, which is fine
// for a reference server.
import { normalizeEmail } from '../storage/accounts.js'

export interface SignInLimiter {
  /** Seconds to wait before this email may try again, or 0 when it may try now. */
  retryAfter(email: string): number
  /** Records a failure; returns the seconds to wait if this failure crossed the limit, else 0. */
  fail(email: string): number
  succeed(email: string): void
}

export function createSignInLimiter({ maxFailures = 5, windowMs = 60_000, now = Date.now } = {}): SignInLimiter {
  const failures = new Map<string, number[]>()

  const recent = (email: string): number[] => {
    const key = normalizeEmail(email)
    const since = now() - windowMs
    const kept = (failures.get(key) ?? []).filter((at) => at > since)
    if (kept.length) failures.set(key, kept)
    else failures.delete(key)
    return kept
  }
  const wait = (times: number[]): number => {
    if (times.length <= maxFailures) return 0
    const releasing = times[times.length - maxFailures - 1]!
    return Math.max(1, Math.ceil((releasing + windowMs - now()) / 1000))
  }

  return {
    retryAfter: (email) => wait(recent(email)),
    fail(email) {
      const times = recent(email)
      times.push(now())
      failures.set(normalizeEmail(email), times)
      return wait(times)
    },
    succeed(email) {
      failures.delete(normalizeEmail(email))
    },
  }
}
