// What the daemon and other front ends use to find and keep up the login of a directory.
// They read the same files, with the same checks, as the CLI writes.
import path from 'node:path'
import type { CredentialFile } from './credential-file.js'
import {
  globalCredentialPath,
  readActive,
  readCredentialFile,
  rewriteIfUnchanged,
  withLocks,
  workspaceCredentialPath,
  type ActiveCredentials,
  type StoreLocation,
} from './credential-store.js'
import type { HttpDeps } from './http.js'
import { registerProcess } from './omicos-api.js'

export type ResolveOptions = StoreLocation

/**
 * The credentials the daemon uses in `cwd`: the workspace file first, the global file second;
 * null when neither exists. An unsafe or invalid file throws `local_files`.
 */
export const resolveCredentials = (options: ResolveOptions = {}): Promise<ActiveCredentials | null> => readActive(options)

export interface RefreshOptions extends ResolveOptions, HttpDeps {
  /** refresh when the process token expires within this many ms */
  minValidityMs: number
  signal?: AbortSignal
  now?: () => number
}

export interface RefreshResult extends ActiveCredentials {
  /** true when a new process token was registered and written */
  refreshed: boolean
  /** the files rewritten (the source and its identical twin) */
  written: string[]
}

const needsRefresh = (credentials: CredentialFile, now: number, minValidityMs: number) =>
  Date.parse(credentials.process_token_expires_at) - now <= minValidityMs

/**
 * Credential realignment: when the active process token is expired or expires within
 * `minValidityMs`, registers the process again with the user token and rewrites the file it
 * came from, and the other file (global or workspace) when its contents were identical. Runs
 * under the store's lock and re-reads inside it, so two daemons refresh once, not twice.
 */
export const refreshProcessToken = async (options: RefreshOptions): Promise<RefreshResult | null> => {
  const now = options.now ?? Date.now
  const active = await readActive(options)
  if (!active) return null
  if (!needsRefresh(active.credentials, now(), options.minValidityMs)) return { ...active, refreshed: false, written: [] }

  const workspace = await workspaceCredentialPath(options)
  const files = [globalCredentialPath(options), ...(workspace ? [workspace.path] : [])]
  const lockable: string[] = []
  for (const file of files) if ((await readCredentialFile(file).catch(() => null)) || file === active.path) lockable.push(file)

  return withLocks(lockable, options.lock, async () => {
    const source = await readCredentialFile(active.path)
    if (!source) return null
    const source_: ActiveCredentials = { credentials: source.credentials, path: source.path, source: active.source }
    if (!needsRefresh(source.credentials, now(), options.minValidityMs)) return { ...source_, refreshed: false, written: [] }
    const { credentials } = source
    const registration = await registerProcess(
      options,
      {
        server: credentials.server,
        userToken: credentials.user_token,
        processId: credentials.process_id,
        name: credentials.process_name,
      },
      options.signal,
    )
    const next: CredentialFile = {
      ...credentials,
      process_token: registration.processToken,
      process_token_expires_at: new Date(registration.processTokenExpiresAt).toISOString(),
    }
    const twins = lockable.filter((file) => path.resolve(file) !== path.resolve(source.path))
    const written = await rewriteIfUnchanged([source.path, ...twins], source.text, next)
    return { credentials: next, path: source.path, source: active.source, refreshed: true, written }
  })
}
