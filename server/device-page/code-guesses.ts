// RFC 8628 §5.1: user codes are short, so guessing them must be slow. Every code typed on the
// /device page (at /device/verify and at /device/decide alike) counts against the signed-in
// account and against the client's address; WRONG_CODES_BEFORE_PAUSE wrong codes within
// WINDOW_MS pause code entry for both for PAUSE_MS. Signing in again, clearing cookies or
// opening a second session does not reset either count, and a right code does not either (an
// attacker can always ask for a code of their own to type between guesses).
//
// Counts live in SQLite (table code_guesses), so a restart does not forgive them; rows leave
// once their window and pause are over, and the table never holds more than MAX_ROWS.
//
// An attempt is counted when it starts (begin) and given back when the code turns out real
// (hit), so a burst of requests sent at once cannot slip past the count while the lookups run.
import type { Db } from '../storage/database.js'

export const WRONG_CODES_BEFORE_PAUSE = 5
export const PAUSE_MS = 60_000
export const WINDOW_MS = 15 * 60_000
const MAX_ROWS = 10_000
// Refusal while the allowed number of attempts are still being looked up (no pause yet).
const BUSY_WAIT_MS = 1_000

interface GuessRow {
  key: string
  wrong_codes: number
  window_start: number
  paused_until: number
}

export type AttemptStart = { ok: true } | { ok: false; waitMs: number }

export interface CodeGuesses {
  /** Milliseconds before any of these keys may type a code again; 0 when none is paused. */
  pausedFor(keys: string[]): number
  /** Counts one attempt for every key, or refuses it while one of them is paused or full. */
  begin(keys: string[]): AttemptStart
  /** The attempt named a real code (pending, used or expired): it does not count. */
  hit(keys: string[]): void
  /** The attempt was a wrong code: returns the pause (ms) it started, or 0. */
  miss(keys: string[]): number
}

/** The keys one attempt counts against: the account, and the address (an IPv6 client by its /64). */
export function guessKeys(accountId: string, ip: string): string[] {
  return [`account:${accountId}`, `ip:${addressKey(ip)}`]
}

export function addressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (!ip.includes(':')) return ip
  // One IPv6 host usually has a whole /64 to pick addresses from.
  const [head = '', tail = ''] = ip.split('%')[0]!.toLowerCase().split('::')
  const left = head ? head.split(':') : []
  const right = ip.includes('::') && tail ? tail.split(':') : []
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`
}

export function createCodeGuesses(db: Db, now = Date.now): CodeGuesses {
  const get = db.prepare('SELECT key, wrong_codes, window_start, paused_until FROM code_guesses WHERE key = ?')
  const put = db.prepare('INSERT OR REPLACE INTO code_guesses (key, wrong_codes, window_start, paused_until, expires_at) VALUES (?, ?, ?, ?, ?)')
  const sweep = db.prepare('DELETE FROM code_guesses WHERE expires_at <= ?')
  const count = db.prepare('SELECT COUNT(*) AS n FROM code_guesses')
  const trim = db.prepare('DELETE FROM code_guesses WHERE key IN (SELECT key FROM code_guesses ORDER BY expires_at LIMIT ?)')

  const load = (key: string, at: number): GuessRow => {
    const row = get.get(key) as GuessRow | undefined
    // Wrong codes older than the window are forgotten.
    if (!row || row.window_start + WINDOW_MS <= at) return { key, wrong_codes: 0, window_start: at, paused_until: row?.paused_until ?? 0 }
    return row
  }
  const store = (row: GuessRow): void => {
    put.run(row.key, row.wrong_codes, row.window_start, row.paused_until, Math.max(row.window_start + WINDOW_MS, row.paused_until))
  }
  const bound = (): void => {
    sweep.run(now())
    const { n } = count.get() as { n: number }
    if (n > MAX_ROWS) trim.run(n - MAX_ROWS)
  }
  const waitFor = (rows: GuessRow[], at: number): number => Math.max(0, ...rows.map((row) => row.paused_until - at))

  return {
    pausedFor(keys) {
      const at = now()
      return waitFor(keys.map((key) => load(key, at)), at)
    },
    begin: db.transaction((keys: string[]): AttemptStart => {
      const at = now()
      const rows = keys.map((key) => load(key, at))
      const paused = waitFor(rows, at)
      if (paused > 0) return { ok: false, waitMs: paused }
      if (rows.some((row) => row.wrong_codes >= WRONG_CODES_BEFORE_PAUSE)) return { ok: false, waitMs: BUSY_WAIT_MS }
      for (const row of rows) store({ ...row, wrong_codes: row.wrong_codes + 1 })
      bound()
      return { ok: true }
    }),
    hit: db.transaction((keys: string[]): void => {
      const at = now()
      for (const row of keys.map((key) => load(key, at))) {
        if (row.wrong_codes > 0) store({ ...row, wrong_codes: row.wrong_codes - 1 })
      }
    }),
    miss: db.transaction((keys: string[]): number => {
      const at = now()
      let pause = 0
      for (const row of keys.map((key) => load(key, at))) {
        if (row.wrong_codes < WRONG_CODES_BEFORE_PAUSE) continue
        store({ key: row.key, wrong_codes: 0, window_start: at, paused_until: at + PAUSE_MS })
        pause = PAUSE_MS
      }
      return pause
    }),
  }
}
