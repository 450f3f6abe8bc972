// What every flow of the Node engine takes (effects/node/api.ts), and how its defaults are
// found: the server, the omicOS home and the working directory from the environment.
import type { Inspector } from '../../machines/inspection.js'
import type { FetchLike } from '../client/http.js'
import type { LockWait } from '../store/lock.js'
import { DEFAULT_SERVER, parseServerUrl } from '../client/server-url.js'
import { omicosHome, type Env } from '../store/home.js'

export interface EngineOptions {
  /** default: OMICOS_SERVER, else https://auth.omicos.cn */
  server?: string
  /** the global omicOS home (default: OMICOS_HOME, else ~/.omicos) */
  home?: string
  /** where the login is for: decides the workspace (default: process.cwd()) */
  cwd?: string
  env?: Env
  fetch?: FetchLike
  /** aborting it cancels the flow (the machine's `user.cancel`) */
  signal?: AbortSignal
  /**
   * Called when the flow waits for another process holding the credential lock (its pid and
   * what it is doing), so a front end can say what it waits for; the wait is bounded (60 s).
   */
  onLockWait?: (wait: LockWait) => void
  /**
   * XState inspection events of the flow's actors (a function, or an observer such as
   * @statelyai/inspect's `inspector.inspect`); every secret is replaced before it sees them
   */
  inspect?: Inspector
  /**
   * The language of the person the front end speaks to (a BCP 47 tag: `zh-Hans`), sent as
   * Accept-Language, so that what a server words for a person comes in it; none by default
   */
  language?: string
}

export interface ResolvedOptions {
  server: string
  home: string
  cwd: string
  env: Env
}

export const resolveEngineOptions = (options: EngineOptions): ResolvedOptions => {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  return {
    server: options.server !== undefined ? parseServerUrl(options.server) : env.OMICOS_SERVER ? parseServerUrl(env.OMICOS_SERVER, 'OMICOS_SERVER') : DEFAULT_SERVER,
    home: options.home ?? omicosHome(env, cwd),
    cwd,
    env,
  }
}
