// Range checks shared by the parsers of servers' JSON answers (device authorization, token
// response): a field that is out of range fails with its range, never as a JavaScript error later.
import { engineError } from './engine-error.js'

/**
 * A whole number of seconds in range; numeric strings are accepted (some servers send them).
 * Anything else (1e300, -1, 2.5, "soon") is a failure with its range, never a JavaScript error later.
 */
export const seconds = (value: unknown, field: string, min: number, max: number, host: string | null = null): number => {
  const n = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) throw engineError('unusableField', { host, field, problem: 'missing' })
  if (!Number.isInteger(n) || n < min || n > max) {
    const shown = Number.isInteger(n) && Math.abs(n) < 1e12 ? n : null
    throw engineError('unusableField', { host, field, problem: 'outOfRange', value: shown, min, max })
  }
  return n
}
