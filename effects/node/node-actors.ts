// The one place where the Node world (cross-fetch, the file system, enquirer, the terminal)
// becomes the actors the machines invoke (the status machine's are in status-actors.ts, so a
// status loads none of the rest); no other file imports those packages. Types come from the
// machines' contracts (machines/*.contract.ts); each actor passes the `signal` XState gives it
// down to its request, so a stopped actor aborts its I/O. The packages are loaded with `await import()`
// when first used, so what never goes online or prompts (`--status`, `--version`) does not
// pay for loading them (docs/benchmarks.md).
import { fromPromise } from 'xstate'
import type {
  CheckExistingInput,
  ExistingCheck,
  IdentifyInput,
  LockInput,
  MarkReplacedInput,
  MarkReplacedResult,
  PersistInput,
  PersistResult,
  RegistrationOutcome,
  RegisterProcessInput,
} from '../../machines/login.contract.js'
import type { CurrentAccount, DeleteFilesInput, DeleteFilesResult } from '../../machines/logout.contract.js'
import type { AuthenticateInput, ReachServerInput, AuthenticateResult, Credentials, PromptInput } from '../../machines/password-grant.contract.js'
import type { Account, RevokeInput, TokensToRevoke, VerifyInput, VerifyResult } from '../../machines/shared.contract.js'
import type { CredentialFile } from '../store/credential-file.js'
import { credentialFileFromLogin } from '../store/credential-file.js'
import {
  deleteByAccount,
  checkLoginTargets,
  lockLoginTargets,
  loginLockTargets,
  loginTargetPath,
  markProcessReplaced,
  mergeRevocations,
  persistLogin,
  putBackRevocations,
  readActive,
  readCredentialFile,
  takePendingRevocations,
  type LockOptions,
  type Revocation,
} from '../store/index.js'
import { engineError } from '../client/engine-error.js'
import { CLIENT_ID, DEFAULT_SCOPE } from '../client/client-defaults.js'
import { omicosHome, type Env } from '../store/home.js'
import type { FetchLike, HttpDeps } from '../client/http.js'
import { fetchAccount, registerProcessOutcome, revokeTokens } from '../client/omicos-api.js'
import { createPairingActors } from '../client/pairing-actors.js'
import { steadyClock } from '../client/clock.js'
import { authenticateWithPassword } from '../client/password-grant.js'
import { discover } from '../client/discovery.js'
import { nodeFetch } from './node-fetch.js'
import { createStatusActors, verifyStoredLogin } from './status-actors.js'
import { promptCredentials, type PromptClass, type PromptClasses, type PromptStreams } from './prompts.js'

/** enquirer's Input and Password prompts, loaded when a question is first asked. */
export const loadPromptClasses = async (): Promise<PromptClasses> => {
  const { default: Enquirer } = await import('enquirer')
  const classes = Enquirer as unknown as Record<'Input' | 'Password', PromptClass>
  return { Input: classes.Input, Password: classes.Password }
}

export interface NodeActorOptions {
  /** the global omicOS home (default: OMICOS_HOME, else ~/.omicos) */
  home?: string
  /** where the command runs: decides the workspace (default: process.cwd()) */
  cwd?: string
  /** write only the workspace file (`--workspace`: cloud account switching) */
  workspaceOnly?: boolean
  /** default: cross-fetch with a connection time limit (nodeFetch) */
  fetch?: FetchLike
  /** to establish a connection, TLS handshake included, with the default fetch (default 2500 ms) */
  connectTimeoutMs?: number
  /** per HTTP request (default 5000 ms) */
  timeoutMs?: number
  /**
   * Time the password login's requests may take in all (its tries, the registration, the
   * check before writing), so that a server that accepts connections and never answers is
   * reported in a bounded time. Prompts and the machine's waits between tries do not count.
   * Default: no limit beyond `timeoutMs` per request.
   */
  networkBudgetMs?: number
  env?: Env
  /** for the password prompts; stdout defaults to process.stderr */
  stdin?: PromptStreams['stdin']
  stdout?: NodeJS.WritableStream
  stderr?: NodeJS.WritableStream
  /** the line shown before a password is asked again (see PromptStreams) */
  notice?: PromptStreams['notice']
  /** the questions asked, in the front end's words (see PromptStreams) */
  labels?: PromptStreams['labels']
  /** sent as Accept-Language with every request (see EngineOptions) */
  language?: string
  clientId?: string
  scope?: string
  lock?: LockOptions
  now?: () => number
  /** the clock of a pairing's deadline and polls (default: a steady clock made here) */
  pairingNow?: () => number
}

/** `fetch` with an Accept-Language header on every request, when a language is given. */
const withLanguage = (fetch: FetchLike, language: string | undefined): FetchLike =>
  language ? (url, init) => fetch(url, { ...init, headers: { 'accept-language': language, ...(init?.headers as Record<string, string> | undefined) } }) : fetch

export const createNodeActors = (options: NodeActorOptions = {}) => {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const home = options.home ?? omicosHome(env, cwd)
  const loc = { home, cwd, env, lock: options.lock }
  const workspaceOnly = options.workspaceOnly ?? false
  const clientId = options.clientId ?? CLIENT_ID
  const scope = options.scope ?? DEFAULT_SCOPE
  const now = options.now ?? Date.now
  const pairingNow = options.pairingNow ?? options.now ?? steadyClock()
  const http: HttpDeps & { now: () => number } = {
    fetch: withLanguage(options.fetch ?? nodeFetch(options.connectTimeoutMs), options.language),
    timeoutMs: options.timeoutMs,
    now,
  }
  // The budget is spent by the actors as they run, one after the other in a login.
  let spentMs = 0
  const budgeted = async <T>(work: (deps: typeof http) => Promise<T>): Promise<T> => {
    if (options.networkBudgetMs === undefined) return work(http)
    const started = Date.now()
    try {
      return await work({ ...http, deadline: started + Math.max(0, options.networkBudgetMs - spentMs) })
    } finally {
      spentMs += Date.now() - started
    }
  }
  // The credential locks a login holds from before it registers until its files are written.
  let releaseLocks: (() => Promise<void>) | null = null
  const release = async () => {
    const held = releaseLocks
    releaseLocks = null
    await held?.()
  }
  // Tokens owed a revocation (replaced, issued to a failed login, a killed login's temps, a
  // logout's): what the server does not confirm goes back to the store's queue, so the next
  // online operation tries again; nothing is left alive that nothing remembers.
  const revokeBatches = async (batches: TokensToRevoke[], signal: AbortSignal) => {
    const failed: Revocation[] = []
    for (const batch of batches) {
      if (batch.tokens.length === 0) continue
      const done = signal.aborted ? false : await revokeTokens({ ...http, clientId }, batch.server, batch.tokens, signal).catch(() => false)
      if (!done) failed.push(batch)
    }
    if (failed.length > 0) {
      await putBackRevocations(loc, failed).catch(() => {})
      throw engineError('revocationsKept', { count: failed.reduce((sum, batch) => sum + batch.tokens.length, 0) })
    }
  }

  // The tokens the logout read first (and revokes before it deletes).
  const resolvedTokens = new Set<string>()

  const statusActors = createStatusActors({ loc, http, clientId })

  return {
    checkExisting: fromPromise<ExistingCheck, CheckExistingInput>(async () => {
      // Runs before anything goes online: a file the login could not write fails it here,
      // before the server issues or rotates a token (which would leave the old file dead).
      await checkLoginTargets({ ...loc, workspaceOnly })
      const path = await loginTargetPath({ ...loc, workspaceOnly })
      const stored = await readCredentialFile(path)
      const at = now()
      // A login on another server is reported too: the machine compares servers, and says what it replaces.
      if (!stored) return { existing: null, at }
      const c = stored.credentials
      return {
        existing: {
          email: c.user.email,
          accountId: c.user.account_id,
          server: c.server,
          processName: c.process_name,
          authMethod: c.auth_method,
          userTokenExpiresAt: c.user_token_expires_at ? Date.parse(c.user_token_expires_at) : null,
          hasRefreshToken: Boolean(c.refresh_token),
          processTokenReplaced: Boolean(c.process_token_replaced_at),
          path,
        },
        at,
      }
    }),

    promptCredentials: fromPromise<Credentials, PromptInput>(async ({ input, signal }) => {
      if (!options.stdin) throw engineError('needsTerminal', {})
      return promptCredentials(
        { stdin: options.stdin, stdout: options.stdout ?? options.stderr, notice: options.notice, labels: options.labels },
        input,
        loadPromptClasses,
        signal,
      )
    }),

    // Discovery, kept per fetch, so the password grant that follows asks for it no more.
    reachServer: fromPromise<void, ReachServerInput>(async ({ input, signal }) => {
      await budgeted((deps) => discover(deps, input.server, signal))
    }),

    authenticate: fromPromise<AuthenticateResult, AuthenticateInput>(({ input, signal }) =>
      budgeted((deps) => authenticateWithPassword(deps, { server: input.server, clientId, scope, email: input.email, password: input.password }, signal)),
    ),

    // The pairing's deadline and poll stamps on a monotonic clock: a wall-clock jump while it
    // waits neither ends it early nor stalls it (effects/client/clock.ts).
    ...createPairingActors({ ...http, now: pairingNow }, { clientId, scope }),

    identify: fromPromise<Account, IdentifyInput>(({ input, signal }) => budgeted((deps) => fetchAccount(deps, input.server, input.userToken, signal))),

    lockCredentials: fromPromise<void, LockInput>(async () => {
      await release()
      releaseLocks = await lockLoginTargets({ ...loc, workspaceOnly })
    }),

    registerProcess: fromPromise<RegistrationOutcome, RegisterProcessInput>(({ input, signal }) => budgeted((deps) => registerProcessOutcome(deps, input, signal))),

    // Under the locks the login took before it registered; they are let go after, as after persisting.
    markProcessReplaced: fromPromise<MarkReplacedResult, MarkReplacedInput>(async ({ input }) => {
      try {
        const marked = await markProcessReplaced({ ...loc, lock: { ...loc.lock, held: releaseLocks !== null }, workspaceOnly }, input, now())
        return { marked }
      } finally {
        await release()
      }
    }),

    persist: fromPromise<PersistResult, PersistInput>(async ({ input }) => {
      const file = credentialFileFromLogin(input)
      try {
        const targets = await loginLockTargets({ ...loc, workspaceOnly })
        const before = await Promise.all(targets.map((target) => readCredentialFile(target)))
        const outcome = await persistLogin({ ...loc, lock: { ...loc.lock, held: releaseLocks !== null }, workspaceOnly }, file)
        // What the written files held before and no credential file here holds now.
        const after = await Promise.all(targets.map((target) => readCredentialFile(target).catch(() => null)))
        const stillHeld = new Set(after.flatMap((stored) => (stored ? tokensOf(stored.credentials) : [])))
        const replaced = new Map<string, Set<string>>()
        for (const stored of before) {
          if (!stored || !outcome.written.includes(stored.path)) continue
          for (const token of tokensOf(stored.credentials)) {
            if (stillHeld.has(token)) continue
            const tokens = replaced.get(stored.credentials.server) ?? new Set<string>()
            tokens.add(token)
            replaced.set(stored.credentials.server, tokens)
          }
        }
        // Tokens owed a revocation from earlier commands (a killed login's temps) go with them.
        const owed = await takePendingRevocations(loc).catch(() => [])
        return {
          written: outcome.written,
          kept: outcome.kept,
          replaced: [...[...replaced].map(([server, tokens]) => ({ server, tokens: [...tokens] })), ...owed],
        }
      } finally {
        await release()
      }
    }),

    revokeTokens: fromPromise<void, RevokeInput>(({ input, signal }) => revokeBatches(input.batches, signal)),

    resolveAccount: fromPromise<CurrentAccount | null>(async () => {
      const active = await readActive(loc)
      if (!active) return null
      const c = active.credentials
      for (const token of tokensOf(c)) resolvedTokens.add(token)
      return { accountId: c.user.account_id, email: c.user.email, server: c.server, tokens: tokensOf(c) }
    }),

    deleteFiles: fromPromise<DeleteFilesResult, DeleteFilesInput>(async ({ input, signal }) => {
      const { removed, revocations, held } = await deleteByAccount(loc, input.accountId)
      // The account's temps (a login killed mid-write) held live tokens, and the files, read
      // again under their locks, may hold tokens a daemon got after the first read (a process
      // registered a moment before): revoked now, or queued. Those already sent are not again.
      const unsent = held.map((batch) => ({ ...batch, tokens: batch.tokens.filter((token) => !resolvedTokens.has(token)) }))
      await revokeBatches(mergeRevocations(revocations, unsent), AbortSignal.any([signal, AbortSignal.timeout(3_000)])).catch(() => {})
      return { removed }
    }),

    ...statusActors,
    verifyExisting: fromPromise<VerifyResult, VerifyInput>(({ input, signal }) => budgeted((deps) => verifyStoredLogin(deps, input, signal))),

    /** Lets go of whatever a login that ended early still holds (its credential locks). */
    dispose: release,
  }
}

/** The tokens a credential file holds: refresh first, so the grant goes before its access token. */
const tokensOf = (c: CredentialFile): string[] =>
  [c.refresh_token, c.user_token, c.process_token].filter((token): token is string => typeof token === 'string' && token.length > 0)

export type NodeActors = ReturnType<typeof createNodeActors>
