// The effects of a device login for a front end that keeps its login somewhere other than the
// CLI's files (a browser's sessionStorage, a desktop app's keychain, a test's memory): the same
// runtime-neutral HTTP client the CLI uses, and a storage adapter of three calls (read, write,
// remove) for the credential record. The record has the credential file's fields, so whatever
// reads the CLI's `cloud_login.json` reads it too. No password effects: the login machine with
// these effects logs in by device code only (`provideLogin` takes DeviceLoginEffects).
import { fromPromise } from 'xstate'
import type {
  CheckExistingInput,
  ExistingCheck,
  IdentifyInput,
  LockInput,
  PersistInput,
  MarkReplacedInput,
  MarkReplacedResult,
  PersistResult,
  RegistrationOutcome,
  RegisterProcessInput,
} from '../../machines/login.contract.js'
import type { Account, RenewInput, RenewResult, RevokeInput, VerifyInput, VerifyResult } from '../../machines/shared.contract.js'
import type { DeviceLoginEffects } from '../../machines/login.machine.js'
import { credentialFileFromLogin, type CredentialFile } from './credential-record.js'
import { CLIENT_ID, DEFAULT_SCOPE } from './client-defaults.js'
import { engineError } from './engine-error.js'
import { failure } from '../../machines/failure.js'
import type { FetchLike, HttpDeps } from './http.js'
import { fetchAccount, getAccount, registerProcessOutcome, revokeTokensOrThrow } from './omicos-api.js'
import { createPairingActors } from './pairing-actors.js'
import { refreshUserToken } from './refresh-grant.js'

/** Where a front end keeps its login: one credential record, read, replaced or removed whole. */
export interface CredentialStorage {
  /** the record kept, or null when there is none (or it is not a usable record) */
  read(): CredentialFile | null | Promise<CredentialFile | null>
  write(record: CredentialFile): void | Promise<void>
  remove(): void | Promise<void>
  /** what `persist` reports as the place it wrote, in place of a file path (default "storage") */
  place?: string
}

export interface DeviceLoginEffectOptions {
  storage: CredentialStorage
  /** default: the global fetch */
  fetch?: FetchLike
  /** per HTTP request (default 5000 ms) */
  timeoutMs?: number
  /** default CLIENT_ID */
  clientId?: string
  /** default DEFAULT_SCOPE */
  scope?: string
  /** the clock effects stamp their answers with (default Date.now) */
  now?: () => number
}

/**
 * A stored value that has the credential record's fields, or null. Given text (what a Web
 * Storage or a file holds), it is read as JSON first: text that is not JSON is no record either,
 * so a damaged value ends nobody's login.
 */
export const asCredentialRecord = (data: unknown): CredentialFile | null => {
  if (typeof data === 'string') {
    try {
      return asCredentialRecord(JSON.parse(data))
    } catch {
      return null
    }
  }
  if (!data || typeof data !== 'object') return null
  const record = data as Partial<CredentialFile>
  const user = record.user
  const usable =
    record.version === 1 &&
    typeof record.server === 'string' &&
    typeof record.user_token === 'string' &&
    typeof user?.email === 'string' &&
    typeof user.account_id === 'string'
  return usable ? (record as CredentialFile) : null
}

const tokensOf = (record: CredentialFile) =>
  [record.refresh_token, record.user_token, record.process_token].filter((token): token is string => typeof token === 'string' && token.length > 0)

/** Every effect a device login needs, over `fetch` and a credential storage. */
export const createDeviceLoginEffects = (options: DeviceLoginEffectOptions): DeviceLoginEffects => {
  const { storage } = options
  const place = storage.place ?? 'storage'
  const clientId = options.clientId ?? CLIENT_ID
  const scope = options.scope ?? DEFAULT_SCOPE
  const now = options.now ?? Date.now
  // One fetch for the life of the effects: discovery is cached per fetch implementation.
  const fetchImpl: FetchLike = options.fetch ?? globalThis.fetch.bind(globalThis)
  const http: HttpDeps & { now: () => number } = { fetch: fetchImpl, timeoutMs: options.timeoutMs, now }

  return {
    checkExisting: fromPromise<ExistingCheck, CheckExistingInput>(async ({ input }) => {
      const stored = await storage.read()
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
          path: place,
        },
        at,
      }
    }),

    verifyExisting: fromPromise<VerifyResult, VerifyInput>(async ({ input, signal }) => {
      const stored = await storage.read()
      if (!stored) return { kind: 'invalid', failure: failure('storedLoginGone', { place }), at: now() }
      return { ...(await getAccount(http, input.server, stored.user_token, signal)), at: now() }
    }),

    renewLogin: fromPromise<RenewResult, RenewInput>(async ({ input, signal }) => {
      const stored = await storage.read()
      if (!stored?.refresh_token) return { kind: 'noRefreshToken' }
      const result = await refreshUserToken(http, { server: input.server, clientId, refreshToken: stored.refresh_token }, signal)
      if (result.kind === 'rejected') return result
      // What the refused answer carried was revoked by refreshUserToken; a storage has no queue for the rest.
      if (result.kind === 'refusedAnswer') throw engineError(result.spent ? 'renewAnswerRefusedSpent' : 'renewAnswerRefused', { answer: result.failure })
      const { tokens } = result
      const ends = tokens.userTokenExpiresAt === null ? null : new Date(tokens.userTokenExpiresAt).toISOString()
      await storage.write({ ...stored, user_token: tokens.userToken, refresh_token: tokens.refreshToken, user_token_expires_at: ends })
      return { kind: 'renewed', userTokenExpiresAt: tokens.userTokenExpiresAt }
    }),

    ...createPairingActors(http, { clientId, scope }),

    identify: fromPromise<Account, IdentifyInput>(({ input, signal }) => fetchAccount(http, input.server, input.userToken, signal)),

    // One storage, one writer: a page or an app that shares its storage between logins serializes them itself.
    lockCredentials: fromPromise<void, LockInput>(async () => {}),

    registerProcess: fromPromise<RegistrationOutcome, RegisterProcessInput>(({ input, signal }) => registerProcessOutcome(http, input, signal)),

    // A registration whose answer was lost rotated the kept login's process token away: marked so.
    markProcessReplaced: fromPromise<MarkReplacedResult, MarkReplacedInput>(async ({ input }) => {
      const stored = await storage.read()
      const same = stored && stored.server === input.server && stored.user.account_id === input.accountId && stored.process_id === input.processId
      if (!same || stored.process_token_replaced_at) return { marked: [] }
      await storage.write({ ...stored, process_token_replaced_at: new Date(now()).toISOString() })
      return { marked: [place] }
    }),

    persist: fromPromise<PersistResult, PersistInput>(async ({ input }) => {
      const record = credentialFileFromLogin(input)
      const before = await storage.read()
      try {
        await storage.write(record)
      } catch {
        throw engineError('storageRefused', { place })
      }
      const kept = new Set(tokensOf(record))
      const replaced = before ? tokensOf(before).filter((token) => !kept.has(token)) : []
      return { written: [place], kept: [], replaced: before && replaced.length ? [{ server: before.server, tokens: replaced }] : [] }
    }),

    revokeTokens: fromPromise<void, RevokeInput>(async ({ input, signal }) => {
      for (const batch of input.batches) await revokeTokensOrThrow({ ...http, clientId }, batch.server, batch.tokens, signal)
    }),
  }
}
