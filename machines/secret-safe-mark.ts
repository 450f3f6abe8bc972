// Which inspectors replace a login's secrets before anything else sees an event: the ones the
// client's secretSafeInspector returned, which replace them by key name and by the values the
// process holds (the machines' own wrapper, by key alone, is not one). The client's runners
// take only those: a page that does not inspect then bundles no redaction (half a kilobyte of a
// device login's budget), and one that does cannot hand the tokens to a raw inspector by
// mistake: the types refuse it, and so does the runner at run time, for callers the types do
// not reach. Marked in a WeakSet, so a mark cannot be forged or copied onto another function.
import type { InspectionEvent } from 'xstate'

declare const secretSafe: unique symbol

/** An inspector that sees only redacted copies: what the client's `secretSafeInspector` returns. */
export type SecretSafeInspector = ((event: InspectionEvent) => void) & { readonly [secretSafe]: true }

const made = new WeakSet<object>()

export const markSecretSafe = (inspect: (event: InspectionEvent) => void): SecretSafeInspector => {
  made.add(inspect)
  return inspect as SecretSafeInspector
}

// A WeakSet answers false for anything it cannot hold, a primitive included.
export const isSecretSafe = (value: unknown): value is SecretSafeInspector => made.has(value as object)

/** The client runners' `inspect` option: one made by `secretSafeInspector`, or none. */
export const secretSafeOrNone = (value: unknown): SecretSafeInspector | undefined => {
  if (value === undefined || isSecretSafe(value)) return value
  throw new TypeError(
    'inspect takes an inspector wrapped by secretSafeInspector() of omicos-auth/client, the same copy of the package, which replaces the secrets first',
  )
}
