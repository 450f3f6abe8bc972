// The device login's effects for a web page: the same runtime-neutral HTTP client the CLI uses
// (effects/client/device-grant.ts, effects/client/omicos-api.ts), given the page's own `fetch`, and a
// Storage (sessionStorage) as the place the login is kept instead of ~/.omicos. The machine is
// reused unchanged; only these actors differ from effects/node/node-actors.ts.
import { fromPromise } from 'xstate'
import type {
  CheckExistingInput,
  ExistingLogin,
  PersistInput,
  PersistResult,
  ProcessRegistration,
  RegisterProcessInput,
} from '../../machines/contracts.js'
import { credentialFileFromLogin, type CredentialFile } from '../../effects/store/credential-file.js'
import { EngineError } from '../../effects/client/engine-error.js'
import type { FetchLike, HttpDeps } from '../../effects/client/http.js'
import { registerProcess } from '../../effects/client/omicos-api.js'
import { createPairingActors } from '../../effects/client/pairing-actors.js'

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
  clientId?: string
  scope?: string
  now?: () => number
}

/** The stored login, or null when there is none or it is not one this page wrote. */
export const readStoredLogin = (storage: Storage): CredentialFile | null => {
  const text = storage.getItem(CREDENTIALS_KEY)
  if (!text) return null
  try {
    const data = JSON.parse(text) as Partial<CredentialFile>
    const user = data.user
    const usable =
      data.version === 1 &&
      typeof data.server === 'string' &&
      typeof data.user_token === 'string' &&
      typeof user?.email === 'string' &&
      typeof user.account_id === 'string'
    return usable ? (data as CredentialFile) : null
  } catch {
    return null
  }
}

export const forgetStoredLogin = (storage: Storage): void => storage.removeItem(CREDENTIALS_KEY)

export const createBrowserActors = (options: BrowserEffectOptions) => {
  const { storage } = options
  const clientId = options.clientId ?? 'omicos-cli'
  const scope = options.scope ?? 'openid email offline_access'
  const now = options.now ?? Date.now
  // One fetch object for the life of the page: discovery is cached per fetch implementation.
  const fetchImpl: FetchLike = options.fetch ?? globalThis.fetch.bind(globalThis)
  const http: HttpDeps & { now: () => number } = { fetch: fetchImpl, timeoutMs: options.timeoutMs, now }

  return {
    checkExisting: fromPromise<ExistingLogin | null, CheckExistingInput>(async ({ input }) => {
      const stored = readStoredLogin(storage)
      if (!stored || stored.server !== input.server) return null
      return {
        email: stored.user.email,
        accountId: stored.user.account_id,
        server: stored.server,
        processName: stored.process_name,
        authMethod: stored.auth_method,
        path: CREDENTIALS_PLACE,
      }
    }),

    ...createPairingActors(http, { clientId, scope }),

    registerProcess: fromPromise<ProcessRegistration, RegisterProcessInput>(({ input, signal }) =>
      registerProcess(http, input, signal),
    ),

    // Same fields as cloud_login.json, so whatever reads the page's login reads the CLI's format.
    persist: fromPromise<PersistResult, PersistInput>(async ({ input }) => {
      const record = credentialFileFromLogin(input)
      try {
        storage.setItem(CREDENTIALS_KEY, JSON.stringify(record))
      } catch {
        // Storage full, or disabled by the browser's settings.
        throw new EngineError('local_files', 'the browser refused to keep the login in session storage')
      }
      return { paths: [CREDENTIALS_PLACE] }
    }),
  }
}
