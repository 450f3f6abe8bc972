// `Retry-After` (RFC 9110 section 10.2.3): how long a server asks to be left alone.
import { engineError } from './engine-error.js'

const MAX_RETRY_AFTER_S = 86_400

/**
 * Reads `Retry-After` (delay seconds or an HTTP date, RFC 9110 section 10.2.3) as ms from
 * `now`: null when absent or unreadable (the header is then ignored, as RFC 9110 allows), a
 * bad response when it asks for more than a day.
 */
export const parseRetryAfter = (header: string | null, now: number, host: string | null = null): number | null => {
  if (header == null) return null
  const value = header.trim()
  let ms: number
  if (/^\d{1,15}$/.test(value)) ms = Number(value) * 1000
  else if (/^[A-Za-z]{3},/.test(value) && !Number.isNaN(Date.parse(value))) ms = Math.max(0, Date.parse(value) - now)
  else return null
  if (ms > MAX_RETRY_AFTER_S * 1000) {
    throw engineError('retryAfterTooLong', { host })
  }
  return ms
}

/** `Retry-After` as ms from `now`, or `fallbackMs` when the server sent none that can be read. */
export const retryAfterMs = (header: string | null, now: number, fallbackMs = 60_000, host: string | null = null): number =>
  parseRetryAfter(header, now, host) ?? fallbackMs
