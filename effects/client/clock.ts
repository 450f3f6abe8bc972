// The clocks of the engine. Durations within one process (a pairing's deadline, the waits
// between polls) are measured on a monotonic clock, so a wall-clock jump (NTP stepping the
// clock, a person setting it) neither ends a pairing early nor stalls it; times kept across
// processes (a pairing resumed by the next run, a file's expiries) are wall-clock times.
// Machines never read a clock: they are handed times by their effects (STYLE.md).

/**
 * A clock in epoch milliseconds that moves with the monotonic clock: the wall clock when it was
 * made, plus the monotonic time since. Two readings of one such clock differ by the time that
 * truly passed, whatever the wall clock did meanwhile. `performance.now()` is there in Node and
 * in browsers.
 */
export const steadyClock = (wallNow: () => number = Date.now, monotonicNow: () => number = () => performance.now()): (() => number) => {
  const wallAtStart = wallNow()
  const monotonicAtStart = monotonicNow()
  return () => Math.round(wallAtStart + (monotonicNow() - monotonicAtStart))
}

/** Clock differences under this are the Date header's rounding and the request's own time. */
export const SKEW_TOLERANCE_MS = 60_000

/** A skew `--status` reports: a few minutes, past anything NTP leaves. */
export const SKEW_WORTH_TELLING_MS = 5 * 60_000

/**
 * How far the clock here is ahead of the server's (ms; negative: behind), from an answer's
 * `Date` header (RFC 9110 section 6.6.1) and the local time it arrived: null without a usable
 * header. The header has whole seconds and the answer took a while, so only a skew of a few
 * seconds or more means anything: under SKEW_TOLERANCE_MS it is 0.
 */
export const clockSkewOf = (headers: { get(name: string): string | null } | undefined, receivedAt: number): number | null => {
  const text = headers?.get('date')
  if (!text || text.length > 64) return null
  const serverAt = Date.parse(text)
  if (!Number.isFinite(serverAt)) return null
  // Under the tolerance the figure is the header's rounding and the answer's own time, and it
  // differs from one request to the next: it is told as no skew, so status stays the same
  // from one check to the next.
  const skew = Math.round(receivedAt - serverAt)
  return Math.abs(skew) < SKEW_TOLERANCE_MS ? 0 : skew
}
