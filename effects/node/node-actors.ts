// The one place where the Node world (cross-fetch, the file system, enquirer, the terminal)
// becomes the actors the machines invoke; no other file imports those packages. Types come
// from machines/contracts.ts; each actor passes the `signal` XState gives it down to its
// request, so a stopped actor aborts its I/O. The packages are loaded with `await import()`
// when first used, so what never goes online or prompts (`--status`, `--version`) does not
// pay for loading them (README, Benchmarks).
import { fromPromise } from 'xstate'
import type {
  AuthenticateInput,
  AuthenticateResult,
  CheckExistingInput,
  Credentials,
  CurrentAccount,
  DeleteFilesInput,
  DeleteFilesResult,
  ExistingLogin,
  PersistInput,
  PersistResult,
  ProcessRegistration,
  PromptInput,
  RegisterProcessInput,
  RevokeInput,
  StatusReport,
  VerifyInput,
  VerifyResult,
} from '../../machines/contracts.js'
import { credentialFileFromLogin } from '../store/credential-file.js'
import {
  deleteByAccount,
  checkLoginTargets,
  globalCredentialPath,
  loginTargetPath,
  persistLogin,
  putBackRevocations,
  readActive,
  readCredentialFile,
  takePendingRevocations,
  type LockOptions,
  type Revocation,
} from '../store/credential-store.js'
import { EngineError } from '../client/engine-error.js'
import { omicosHome, type Env } from './environment.js'
import type { FetchLike, HttpDeps } from '../client/http.js'
import { checkProcessToken, getAccount, registerProcess, revokeTokens, revokeTokensOrThrow } from '../client/omicos-api.js'
import { createPairingActors } from '../client/pairing-actors.js'
import { authenticateWithPassword } from '../client/password-grant.js'
import { nodeFetch } from './node-fetch.js'
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
  clientId?: string
  scope?: string
  lock?: LockOptions
  now?: () => number
  /** a line for the person running the login (default: stderr, when given) */
  notice?: (line: string) => void
}

export const createNodeActors = (options: NodeActorOptions = {}) => {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const home = options.home ?? omicosHome(env, cwd)
  const loc = { home, cwd, env, lock: options.lock }
  const workspaceOnly = options.workspaceOnly ?? false
  const clientId = options.clientId ?? 'omicos-cli'
  const scope = options.scope ?? 'openid email offline_access'
  const now = options.now ?? Date.now
  const http: HttpDeps & { now: () => number } = {
    fetch: options.fetch ?? nodeFetch(options.connectTimeoutMs),
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
  const notice = options.notice ?? ((line: string) => void options.stderr?.write(`${line}\n`))
  // Tokens no credential file holds (a killed login's temps, swept by the store): revoked
  // within 3 s in all, and put back in the store's queue when the server could not be asked.
  const revokeOwed = async (owed: Revocation[], stop?: AbortSignal) => {
    const signal = stop ? AbortSignal.any([stop, AbortSignal.timeout(3_000)]) : AbortSignal.timeout(3_000)
    const failed: Revocation[] = []
    for (const entry of [...owed, ...(await takePendingRevocations(loc).catch(() => []))]) {
      if (!(await revokeTokens({ ...http, clientId, timeoutMs: 2_000 }, entry.server, entry.tokens, signal).catch(() => false))) failed.push(entry)
    }
    if (failed.length > 0) await putBackRevocations(loc, failed).catch(() => {})
  }

  return {
    checkExisting: fromPromise<ExistingLogin | null, CheckExistingInput>(async ({ input }) => {
      // Runs before anything goes online: a file the login could not write fails it here,
      // before the server issues or rotates a token (which would leave the old file dead).
      await checkLoginTargets({ ...loc, workspaceOnly })
      const path = await loginTargetPath({ ...loc, workspaceOnly })
      const stored = await readCredentialFile(path)
      if (!stored || stored.credentials.server !== input.server) return null
      const c = stored.credentials
      return {
        email: c.user.email,
        accountId: c.user.account_id,
        server: c.server,
        processName: c.process_name,
        authMethod: c.auth_method,
        path,
      }
    }),

    promptCredentials: fromPromise<Credentials, PromptInput>(async ({ input, signal }) => {
      if (!options.stdin) throw new EngineError('usage', 'no terminal to ask for the email and password: pass --email with --password-stdin (or --password)')
      return promptCredentials({ stdin: options.stdin, stdout: options.stdout ?? options.stderr }, input, loadPromptClasses, signal)
    }),

    authenticate: fromPromise<AuthenticateResult, AuthenticateInput>(({ input, signal }) =>
      budgeted((deps) =>
        authenticateWithPassword(deps, { server: input.server, clientId, scope, email: input.email, password: input.password }, signal),
      ),
    ),

    registerProcess: fromPromise<ProcessRegistration, RegisterProcessInput>(({ input, signal }) =>
      budgeted((deps) => registerProcess(deps, input, signal)),
    ),

    persist: fromPromise<PersistResult, PersistInput>(async ({ input, signal }) => {
      const file = credentialFileFromLogin(input)
      // Registration rotates the process token and happens before the store's lock, so a login
      // running at the same time may have registered this process again since. A token the
      // server already refuses is not written; a later one is kept under the lock by its time
      // (persistLogin). Together the file ends holding the last registration.
      const check = await budgeted((deps) => checkProcessToken(deps, input.server, file.process_token, signal)).catch((error) => {
        if (error instanceof EngineError && error.kind === 'cancelled') throw error
        return null
      })
      let outcome
      try {
        outcome =
          check?.kind === 'invalid'
            ? { written: [], kept: [await loginTargetPath({ ...loc, workspaceOnly })] }
            : await persistLogin({ ...loc, workspaceOnly }, file)
      } catch (error) {
        // Nothing holds the new tokens: take them back (best effort, bounded) so no live
        // session is left that no file knows of.
        const tokens = [file.refresh_token, file.user_token, file.process_token].filter((t): t is string => Boolean(t))
        await revokeTokens({ ...http, clientId, timeoutMs: 2_000 }, input.server, tokens, AbortSignal.timeout(3_000)).catch(() => false)
        throw error
      }
      await revokeOwed([], signal)
      if (outcome.kept.length > 0) {
        notice(
          `note: another login of ${file.user.email} for this process finished at the same time and registered it later; its credentials are kept in ${outcome.kept.join(' and ')}`,
        )
      }
      return { paths: outcome.written }
    }),

    ...createPairingActors(http, { clientId, scope }),

    resolveAccount: fromPromise<CurrentAccount | null>(async () => {
      const active = await readActive(loc)
      if (!active) return null
      const c = active.credentials
      return {
        accountId: c.user.account_id,
        email: c.user.email,
        server: c.server,
        tokens: [c.refresh_token, c.user_token, c.process_token].filter((t): t is string => Boolean(t)),
      }
    }),

    revokeTokens: fromPromise<void, RevokeInput>(({ input, signal }) =>
      revokeTokensOrThrow({ ...http, clientId }, input.server, input.tokens, signal),
    ),

    deleteFiles: fromPromise<DeleteFilesResult, DeleteFilesInput>(async ({ input, signal }) => {
      const { removed, revocations } = await deleteByAccount(loc, input.accountId)
      await revokeOwed(revocations, signal)
      return { removed }
    }),

    readStatus: fromPromise<StatusReport>(async () => {
      const configPath = globalCredentialPath(loc)
      const active = await readActive(loc)
      if (!active) return { loggedIn: false, configPath, activePath: null, activeSource: null }
      const c = active.credentials
      return {
        loggedIn: true,
        configPath,
        activePath: active.path,
        activeSource: active.source,
        email: c.user.email,
        accountId: c.user.account_id,
        tier: c.user.tier,
        processName: c.process_name,
        processId: c.process_id,
        server: c.server,
        authMethod: c.auth_method,
        loggedInAt: c.logged_in_at,
        processTokenExpiresAt: c.process_token_expires_at,
        userTokenExpiresAt: c.user_token_expires_at,
      }
    }),

    verifyOnline: fromPromise<VerifyResult, VerifyInput>(async ({ input, signal }) => {
      const stored = await readCredentialFile(input.path)
      if (!stored) return { kind: 'invalid', message: `${input.path} is gone: run omicos login` }
      return getAccount(http, input.server, stored.credentials.user_token, signal)
    }),
  }
}

export type NodeActors = ReturnType<typeof createNodeActors>
