// The one filter for text that came from a server (an error code, an error_description, a
// field value) before it reaches a message: a terminal shows it, logs keep it.
import { REDACTED } from '../../machines/redact.js'
import { heldSecrets, MIN_SECRET_LENGTH } from './held-secrets.js'

// The mark an inspector sees in place of a secret (machines/redact.ts), so one word means it everywhere.
export { REDACTED }
export const DEFAULT_MAX_LENGTH = 160

// Control characters (Cc), format characters (Cf: bidi overrides and isolates, zero-width
// joiners, soft hyphens, tag characters), line and paragraph separators, and lone surrogates.
// Any of them can make a terminal show something other than what was sent, or hide a secret
// from a plain substring match ("hun\u200bter2").
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu

/** The forms in which a sent secret may come back: as is, URL-encoded, form-encoded, JSON-escaped. */
const shapesOf = (secret: string): string[] => {
  const shapes = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)])
  shapes.add(JSON.stringify(secret).slice(1, -1))
  return [...shapes].filter((shape) => shape.length >= MIN_SECRET_LENGTH)
}

const redactAll = (text: string, secrets: string[]): string => {
  let out = text
  // Longest first, so a secret that contains another is replaced whole.
  const shapes = secrets.flatMap(shapesOf).sort((a, b) => b.length - a.length)
  for (const shape of shapes) out = out.split(shape).join(REDACTED)
  return out
}

/** Drops a tail that is the beginning of a secret, as truncation may leave one. */
const dropSecretPrefixTail = (text: string, secrets: string[]): string => {
  for (const secret of secrets.flatMap(shapesOf)) {
    for (let n = Math.min(secret.length - 1, text.length); n >= 3; n--) {
      if (text.endsWith(secret.slice(0, n))) return text.slice(0, text.length - n)
    }
  }
  return text
}

export interface SanitizeOptions {
  /** longest result, an ellipsis included (default 160) */
  maxLength?: number
  /** secrets to redact on top of those the process holds */
  secrets?: string[]
}

/**
 * One printable line from server text: invisible characters removed, whitespace collapsed,
 * every held secret (and `options.secrets`) replaced by `[redacted]`, the length capped.
 */
export const sanitizeServerText = (value: string, options: SanitizeOptions = {}): string => {
  const maxLength = Math.max(8, options.maxLength ?? DEFAULT_MAX_LENGTH)
  const secrets = [...heldSecrets(), ...(options.secrets ?? [])].filter((s) => s.length >= MIN_SECRET_LENGTH)
  // Removed before redaction, over the whole text: a secret split by a zero-width character,
  // or pushed into view by thousands of them, is still found. The body cap bounds the cost.
  const visible = value
    .replace(/[\s\u0085]/g, ' ')
    .replace(INVISIBLE, '')
    .replace(/ +/g, ' ')
    .trim()
  const line = redactAll(visible, secrets)
  if (line.length <= maxLength) return line
  return `${dropSecretPrefixTail(line.slice(0, maxLength - 3), secrets).trimEnd()}...`
}

/** Server text fit for a message, or null when it is absent, not a string or empty once cleaned. */
export const serverText = (value: unknown, maxLength = DEFAULT_MAX_LENGTH): string | null => {
  if (typeof value !== 'string') return null
  return sanitizeServerText(value, { maxLength }) || null
}

/** An OAuth `error` code fit for a message (RFC 6749 section 5.2: printable ASCII), or null. */
export const serverErrorCode = (value: unknown): string | null => {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(value)) return null
  return sanitizeServerText(value, { maxLength: 64 }) || null
}
