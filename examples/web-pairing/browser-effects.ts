// The device login's effects for a web page: the package's runtime-neutral device login effects
// (`createDeviceLoginEffects` of omicos-auth/client), given the page's own `fetch` and a
// Storage (sessionStorage) as the place the login is kept instead of ~/.omicos. The login
// machine is reused unchanged. The page has no password prompt: its grant is the device grant.
import { asCredentialRecord, createDeviceLoginEffects, type CredentialFile, type FetchLike } from 'omicos-auth/client'

/** Where the login is kept: the credential file's fields, as JSON, under this key. */
export const CREDENTIALS_KEY = 'omicos.cloud_login'
/** What `persist` reports as the place it wrote, in place of a file path. */
export const CREDENTIALS_PLACE = `sessionStorage:${CREDENTIALS_KEY}`

export interface BrowserEffectOptions {
  storage: Storage
  /** default: the page's fetch, bound to the window */
  fetch?: FetchLike
  /** per HTTP request (default 5000 ms) */
  timeoutMs?: number
  now?: () => number
}

/** The stored login, or null when there is none or it is not one this page wrote. */
export const readStoredLogin = (storage: Storage): CredentialFile | null => {
  const text = storage.getItem(CREDENTIALS_KEY)
  if (!text) return null
  try {
    return asCredentialRecord(JSON.parse(text))
  } catch {
    return null
  }
}

export const forgetStoredLogin = (storage: Storage): void => storage.removeItem(CREDENTIALS_KEY)

export const createBrowserActors = (options: BrowserEffectOptions) =>
  createDeviceLoginEffects({
    fetch: options.fetch,
    timeoutMs: options.timeoutMs,
    now: options.now,
    storage: {
      place: CREDENTIALS_PLACE,
      read: () => readStoredLogin(options.storage),
      // Storage full, or disabled by the browser's settings: the effect reports a local failure.
      write: (record) => options.storage.setItem(CREDENTIALS_KEY, JSON.stringify(record)),
      remove: () => forgetStoredLogin(options.storage),
    },
  })
