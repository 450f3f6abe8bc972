// Snapshots, traces and logs are read by people and kept in review diffs, so secrets are
// replaced by key name wherever they sit in a context, however deeply nested.
// A key is secret when its last word says so (`userToken`, `refresh_token`, `password`,
// `deviceCode`, `tokens`); `userTokenExpiresAt` or `userCode` are not.
const SECRET_KEY = /(token|tokens|password|secret|device_?code|assertion|code_verifier)$/i

export const REDACTED = '[redacted]'

export const isSecretKey = (key: string): boolean => SECRET_KEY.test(key)

export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen))
  if (!value || typeof value !== 'object') return value
  if (seen.has(value)) return '[circular]'
  seen.add(value)
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item !== null && item !== undefined ? REDACTED : redactValue(item, seen)
  }
  // Only the objects on the current path count as seen: one object shared by two keys is no cycle.
  seen.delete(value)
  return out
}
