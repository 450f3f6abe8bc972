// The device login's effects for a web page: the same runtime-neutral HTTP client the CLI uses
// (effects/client/device-grant.ts, effects/client/omicos-api.ts), given the page's own `fetch`, and a
// Storage (sessionStorage) as the place the login is kept instead of ~/.omicos. The login
// machine is reused unchanged; only these actors differ from effects/node/node-actors.ts. The
// page has no password prompt: its grant is the device grant.
import { fromPromise } from 'xstate'
import type {
  Account,
  AuthenticateInput,
  AuthenticateResult,
  Credentials,
  PromptInput,
  CheckExistingInput,
  ExistingCheck,
  IdentifyInput,
  LockInput,
  PersistInput,
  PersistResult,
  MarkReplacedInput,
  MarkReplacedResult,
  RegistrationOutcome,
  RegisterProcessInput,
  RenewInput,
  RenewResult,
  RevokeInput,
  VerifyInput,
  VerifyResult,
} from '../../machines/contracts.js'
import { credentialFileFromLogin, type CredentialFile } from '../../effects/store/credential-file.js'
import { EngineError } from '../../effects/client/engine-error.js'
import type { FetchLike, HttpDeps } from '../../effects/client/http.js'
import { fetchAccount, getAccount, registerProcessOutcome, revokeTokensOrThrow } from '../../effects/client/omicos-api.js'
import { refreshUserToken } from '../../effects/client/refresh-grant.js'
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

  const tokensOf = (record: CredentialFile) =>
    [record.refresh_token, record.user_token, record.process_token].filter((token): token is string => typeof token === 'string' && token.length > 0)
  const passwordsRefused = () => new EngineError('usage', 'this page pairs by device code only')

  return {
    checkExisting: fromPromise<ExistingCheck, CheckExistingInput>(async ({ input }) => {
      const stored = readStoredLogin(storage)
      const at = now()
      if (!stored || stored.server !== input.server) return { existing: null, at }
      return {
        existing: {
          email: stored.user.email,
          accountId: stored.user.account_id,
          server: stored.server,
          processName: stored.process_name,
          authMethod: stored.auth_method,
          userTokenExpiresAt: stored.user_token_expires_at ? Date.parse(stored.user_token_expires_at) : null,
          hasRefreshToken: Boolean(stored.refresh_token),
          path: CREDENTIALS_PLACE,
        },
        at,
      }
    }),

    verifyExisting: fromPromise<VerifyResult, VerifyInput>(async ({ input, signal }) => {
      const stored = readStoredLogin(storage)
      if (!stored) return { kind: 'invalid', message: 'the login kept in this tab is gone', at: now() }
      return { ...(await getAccount(http, input.server, stored.user_token, signal)), at: now() }
    }),

    renewLogin: fromPromise<RenewResult, RenewInput>(async ({ input, signal }) => {
      const stored = readStoredLogin(storage)
      if (!stored?.refresh_token) return { kind: 'noRefreshToken' }
      const result = await refreshUserToken(http, { server: input.server, clientId, refreshToken: stored.refresh_token }, signal)
      if (result.kind === 'rejected') return result
      // What the refused answer carried was revoked by refreshUserToken; a tab has no queue for the rest.
      if (result.kind === 'refusedAnswer') throw new EngineError('bad_response', result.message, { reason: result.spent ? 'renewAnswerRefusedSpent' : 'renewAnswerRefused' })
      const { tokens } = result
      const ends = tokens.userTokenExpiresAt === null ? null : new Date(tokens.userTokenExpiresAt).toISOString()
      storage.setItem(CREDENTIALS_KEY, JSON.stringify({ ...stored, user_token: tokens.userToken, refresh_token: tokens.refreshToken, user_token_expires_at: ends }))
      return { kind: 'renewed', userTokenExpiresAt: tokens.userTokenExpiresAt }
    }),

    promptCredentials: fromPromise<Credentials, PromptInput>(async () => {
      throw passwordsRefused()
    }),
    authenticate: fromPromise<AuthenticateResult, AuthenticateInput>(async () => {
      throw passwordsRefused()
    }),

    ...createPairingActors(http, { clientId, scope }),

    identify: fromPromise<Account, IdentifyInput>(({ input, signal }) => fetchAccount(http, input.server, input.userToken, signal)),

    // One tab, one login: nothing else writes this storage at the same time.
    lockCredentials: fromPromise<void, LockInput>(async () => {}),

    registerProcess: fromPromise<RegistrationOutcome, RegisterProcessInput>(({ input, signal }) =>
      registerProcessOutcome(http, input, signal),
    ),

    // A registration whose answer was lost rotated the kept login's process token away: marked so.
    markProcessReplaced: fromPromise<MarkReplacedResult, MarkReplacedInput>(async ({ input }) => {
      const stored = readStoredLogin(storage)
      const same = stored && stored.server === input.server && stored.user.account_id === input.accountId && stored.process_id === input.processId
      if (!same || stored.process_token_replaced_at) return { marked: [] }
      storage.setItem(CREDENTIALS_KEY, JSON.stringify({ ...stored, process_token_replaced_at: new Date(now()).toISOString() }))
      return { marked: [CREDENTIALS_PLACE] }
    }),

    // Same fields as cloud_login.json, so whatever reads the page's login reads the CLI's format.
    persist: fromPromise<PersistResult, PersistInput>(async ({ input }) => {
      const record = credentialFileFromLogin(input)
      const before = readStoredLogin(storage)
      try {
        storage.setItem(CREDENTIALS_KEY, JSON.stringify(record))
      } catch {
        // Storage full, or disabled by the browser's settings.
        throw new EngineError('local_files', 'the browser refused to keep the login in session storage')
      }
      const kept = new Set(tokensOf(record))
      const replaced = before ? tokensOf(before).filter((token) => !kept.has(token)) : []
      return { written: [CREDENTIALS_PLACE], kept: [], replaced: before && replaced.length ? [{ server: before.server, tokens: replaced }] : [] }
    }),

    revokeTokens: fromPromise<void, RevokeInput>(async ({ input, signal }) => {
      for (const batch of input.batches) await revokeTokensOrThrow({ ...http, clientId }, batch.server, batch.tokens, signal)
    }),
  }
}
