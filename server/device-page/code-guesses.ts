// RFC 8628 §5.1: user codes are short, so guessing them must be slow. Every code typed on the
// /device page (at /device/verify and at /device/decide alike) counts against the signed-in
// account and against the client's address; WRONG_CODES_BEFORE_PAUSE wrong codes within
// WINDOW_MS pause code entry for both for PAUSE_MS. Signing in again, clearing cookies or
// opening a second session does not reset either count, and a right code does not either (an
// attacker can always ask for a code of their own to type between guesses).
//
// Counts live in the store (table code_guesses), so neither a restart nor another instance forgives them; rows leave
// once their window and pause are over, and the table never holds more than MAX_ROWS.
//
// An attempt is counted when it starts (begin) and given back when the code turns out real
// (hit), so a burst of requests sent at once cannot slip past the count while the lookups run.
import type { Sql } from '../storage/sql.js'

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
  pausedFor(keys: string[]): Promise<number>
  /** Counts one attempt for every key, or refuses it while one of them is paused or full. */
  begin(keys: string[]): Promise<AttemptStart>
  /** The attempt named a real code (pending, used or expired): it does not count. */
  hit(keys: string[]): Promise<void>
  /** The attempt was a wrong code: returns the pause (ms) it started, or 0. */
  miss(keys: string[]): Promise<number>
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
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}

export function createCodeGuesses(sql: Sql, now = Date.now): CodeGuesses {
  const load = async (db: Sql, key: string, at: number): Promise<GuessRow> => {
    const row = await db.get<GuessRow>('SELECT key, wrong_codes, window_start, paused_until FROM code_guesses WHERE key = ?', [key])
    // Wrong codes older than the window are forgotten.
    if (!row || row.window_start + WINDOW_MS <= at) return { key, wrong_codes: 0, window_start: at, paused_until: row?.paused_until ?? 0 }
    return row
  }
  const loadAll = (db: Sql, keys: string[], at: number) => Promise.all(keys.map((key) => load(db, key, at)))
  const store = (db: Sql, row: GuessRow): Promise<number> =>
    db.run(
      `INSERT INTO code_guesses (key, wrong_codes, window_start, paused_until, expires_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET wrong_codes = excluded.wrong_codes, window_start = excluded.window_start,
        paused_until = excluded.paused_until, expires_at = excluded.expires_at`,
      [row.key, row.wrong_codes, row.window_start, row.paused_until, Math.max(row.window_start + WINDOW_MS, row.paused_until)],
    )
  const bound = async (db: Sql): Promise<void> => {
    await db.run('DELETE FROM code_guesses WHERE expires_at <= ?', [now()])
    const counted = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM code_guesses')
    const n = Number(counted?.n ?? 0)
    if (n > MAX_ROWS) await db.run('DELETE FROM code_guesses WHERE key IN (SELECT key FROM code_guesses ORDER BY expires_at LIMIT ?)', [n - MAX_ROWS])
  }
  const waitFor = (rows: GuessRow[], at: number): number => Math.max(0, ...rows.map((row) => row.paused_until - at))
  // Every change is one transaction locked on its keys, so attempts at two instances at once
  // are counted one after the other.
  const locked = <T>(keys: string[], job: (tx: Sql) => Promise<T>): Promise<T> =>
    sql.transaction(
      job,
      keys.map((key) => `code-guess:${key}`),
    )

  return {
    async pausedFor(keys) {
      const at = now()
      return waitFor(await loadAll(sql, keys, at), at)
    },
    begin: (keys) =>
      locked(keys, async (tx): Promise<AttemptStart> => {
        const at = now()
        const rows = await loadAll(tx, keys, at)
        const paused = waitFor(rows, at)
        if (paused > 0) return { ok: false, waitMs: paused }
        if (rows.some((row) => row.wrong_codes >= WRONG_CODES_BEFORE_PAUSE)) return { ok: false, waitMs: BUSY_WAIT_MS }
        for (const row of rows) await store(tx, { ...row, wrong_codes: row.wrong_codes + 1 })
        await bound(tx)
        return { ok: true }
      }),
    hit: (keys) =>
      locked(keys, async (tx) => {
        const at = now()
        for (const row of await loadAll(tx, keys, at)) {
          if (row.wrong_codes > 0) await store(tx, { ...row, wrong_codes: row.wrong_codes - 1 })
        }
      }),
    miss: (keys) =>
      locked(keys, async (tx) => {
        const at = now()
        let pause = 0
        for (const row of await loadAll(tx, keys, at)) {
          if (row.wrong_codes < WRONG_CODES_BEFORE_PAUSE) continue
          await store(tx, { key: row.key, wrong_codes: 0, window_start: at, paused_until: at + PAUSE_MS })
          pause = PAUSE_MS
        }
        return pause
      }),
  }
}
