import { hasUnsafeChars } from './server-url.js'

/**
 * An email as typed, the same way everywhere (the prompt, --email, the package API): NFKC, so
 * that a full-width `＠` or full-width letters from a Chinese input method become ASCII, and
 * trimmed, so `--email " ada@example.com "` is the address a prompt would have read.
 */
export const normalizeEmail = (value: string): string => value.normalize('NFKC').trim()

/** Why a string is not an email address; a front end words it. */
export type EmailProblem = 'empty' | 'controlChars' | 'noAt' | 'manyAt' | 'space' | 'noLocalPart' | 'noDomain'

/** Why a normalized `value` is not an email address, or null when it is one. */
export const emailProblem = (value: string): EmailProblem | null => {
  if (value === '') return 'empty'
  if (hasUnsafeChars(value) || /\p{Cs}/u.test(value)) return 'controlChars'
  const at = [...value].filter((char) => char === '@').length
  if (at === 0) return 'noAt'
  if (at > 1) return 'manyAt'
  if (/\s/.test(value)) return 'space'
  const [local, domain] = value.split('@') as [string, string]
  if (local === '') return 'noLocalPart'
  if (domain === '') return 'noDomain'
  return null
}
