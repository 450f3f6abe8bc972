// Renewing the user token of a stored login with its refresh token (RFC 6749 section 6), for
// `omicos login` (a login near its end is renewed, not repeated), `--status --verify` and the
// daemon's resolver. Under the store's locks, re-read inside them, so two callers renew once;
// the file it came from and its identical twin are rewritten. The user token they held is not
// revoked: it belongs to the same grant as the new one, and a revocation (RFC 7009 section
// 2.1, and node-oidc-provider) ends the whole grant; it runs out within the day anyway. A
// refresh the server rejects keeps the file as it was.
import path from 'node:path'
import type { CredentialFile } from '../store/credential-file.js'
import {
  globalCredentialPath,
  readCredentialFile,
  rewriteIfUnchanged,
  withLocks,
  workspaceCredentialPath,
  type StoreLocation,
} from '../store/credential-store.js'
import type { HttpDeps } from '../client/http.js'
import { refreshUserToken } from '../client/refresh-grant.js'

export interface RenewOptions extends StoreLocation, HttpDeps {
  clientId?: string
  signal?: AbortSignal
  now?: () => number
}

export type RenewOutcome =
  | { kind: 'renewed'; credentials: CredentialFile; written: string[] }
  /** the server no longer takes the refresh token: log in again (the file is kept) */
  | { kind: 'rejected' }
  /** the login holds no refresh token: log in again */
  | { kind: 'noRefreshToken' }

/** A day: a user token closer than this to its end is renewed when it is used. */
export const RENEW_WITHIN_MS = 86_400_000

export const expiresWithin = (credentials: CredentialFile, now: number, ms: number): boolean =>
  credentials.user_token_expires_at !== null && Date.parse(credentials.user_token_expires_at) - now <= ms

/** Renews the user token of the login stored in `file`. */
export const renewStoredLogin = async (options: RenewOptions, file: string): Promise<RenewOutcome> => {
  const clientId = options.clientId ?? 'omicos-cli'
  const workspace = await workspaceCredentialPath(options)
  const candidates = [globalCredentialPath(options), ...(workspace ? [workspace.path] : [])]
  const lockable: string[] = []
  for (const candidate of candidates) {
    if (path.resolve(candidate) === path.resolve(file) || (await readCredentialFile(candidate).catch(() => null))) lockable.push(candidate)
  }
  return withLocks(lockable, options.lock, async () => {
    const source = await readCredentialFile(file)
    if (!source?.credentials.refresh_token) return { kind: 'noRefreshToken' }
    const c = source.credentials
    const result = await refreshUserToken(options, { server: c.server, clientId, refreshToken: c.refresh_token! }, options.signal)
    if (result.kind === 'rejected') return { kind: 'rejected' }
    const { tokens } = result
    const next: CredentialFile = {
      ...c,
      user_token: tokens.userToken,
      refresh_token: tokens.refreshToken,
      user_token_expires_at: tokens.userTokenExpiresAt === null ? null : new Date(tokens.userTokenExpiresAt).toISOString(),
    }
    const twins = lockable.filter((other) => path.resolve(other) !== path.resolve(file))
    const written = await rewriteIfUnchanged([file, ...twins], source.text, next, options)
    return { kind: 'renewed', credentials: next, written }
  })
}
