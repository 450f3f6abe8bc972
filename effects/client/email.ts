import { hasUnsafeChars } from './server-url.js'

/**
 * An email as typed, the same way everywhere (the prompt, --email, the package API): NFKC, so
 * that a full-width `＠` or full-width letters from a Chinese input method become ASCII, and
 * trimmed, so `--email " ada@example.com "` is the address a prompt would have read.
 */
export const normalizeEmail = (value: string): string => value.normalize('NFKC').trim()

/** Why a normalized `value` is not an email address, or null when it is one. */
export const emailProblem = (value: string): string | null => {
  if (value === '') return 'it is empty'
  if (hasUnsafeChars(value) || /\p{Cs}/u.test(value)) return 'it holds control characters'
  const at = [...value].filter((char) => char === '@').length
  if (at === 0) return 'it has no @'
  if (at > 1) return 'it has more than one @'
  if (/\s/.test(value)) return 'it contains a space'
  const [local, domain] = value.split('@') as [string, string]
  if (local === '') return 'nothing comes before the @'
  if (domain === '') return 'nothing comes after the @'
  return null
}
