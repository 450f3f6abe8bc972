// The secrets this process holds at the moment (the password being sent, the tokens and device
// code the server issued), so that any text a server sends back can be cleaned of them before
// it is shown. A server that echoes `wrong password "hunter2-long"` or repeats the Authorization
// header in an error must not make the engine print a secret.
//
// Process-wide on purpose: an error can surface far from the request that sent the secret
// (a registration error repeating the user token that a poll received). Bounded, so a
// long-running page or daemon does not grow it without limit; the newest values are kept.

/** Shorter values are not redacted: "[redacted]" in place of every "abc" would hide the message. */
export const MIN_SECRET_LENGTH = 6
const MAX_HELD = 64

const held = new Set<string>()

/** Remembers values that must never be shown; non-strings and short values are ignored. */
export const holdSecrets = (...values: unknown[]): void => {
  for (const value of values) {
    if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) continue
    held.delete(value)
    held.add(value)
    if (held.size > MAX_HELD) held.delete(held.values().next().value as string)
  }
}

/** Forgets values that are no longer held (a logout that deleted them), or all of them. */
export const releaseSecrets = (...values: string[]): void => {
  if (values.length === 0) held.clear()
  for (const value of values) held.delete(value)
}

/** What the sanitizer redacts now. */
export const heldSecrets = (): string[] => [...held]
