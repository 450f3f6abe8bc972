// The credential record: the fields of `cloud_login.json`, one format for the global and the
// workspace copy, and for any front end that keeps a login elsewhere (a browser's storage).
// Field names are the documented ones (`user_token`, `process_token`, `process_id`,
// `user.cloud_base`, `logged_in_at`) plus what the engine and the daemon need. Runtime-neutral:
// the file's bytes, and the checks of a file read back, are the store's (store/credential-file.ts).
import type { PersistInput } from '../../machines/login.contract.js'
import { cloudBase } from './server-url.js'

export const CREDENTIAL_FILE_VERSION = 1

export interface CredentialFile {
  version: 1
  /** long-lived user token (the OAuth access token) */
  user_token: string
  /** ISO 8601, or null when the server gave no expiry */
  user_token_expires_at: string | null
  refresh_token: string | null
  /** short-lived process token, rotated on every login */
  process_token: string
  /** ISO 8601 */
  process_token_expires_at: string
  /**
   * ISO 8601: when the registration that issued `process_token` was answered. Every
   * registration rotates the process token, so of two files for one account and process the
   * one registered later holds the live token; null in files written before this field.
   */
  process_registered_at: string | null
  /**
   * ISO 8601: when a registration of this process was seen to reach the server without an
   * answer the engine could use. Every registration rotates the process token, so the one
   * stored here is taken as dead: status says so, and the next login or refresh registers
   * again (which writes null). Absent or null: not replaced.
   */
  process_token_replaced_at?: string | null
  /** `local-<workspace_id>` */
  process_id: string
  process_name: string
  auth_method: 'password' | 'device'
  /** the server URL logged in to, normalized */
  server: string
  user: {
    account_id: string
    email: string
    tier: string
    /** `host[:port]` of `server` */
    cloud_base: string
  }
  /** ISO 8601 */
  logged_in_at: string
  /**
   * ISO 8601: a renewal of the user token was sent at this time and its answer is not in the
   * file yet. Written before the refresh token goes out: whoever finds it knows that token may
   * be spent (renew-login.ts). Absent when no renewal is in doubt.
   */
  renewing_since?: string
  /**
   * Who sent that renewal, while it may still bring its answer home: its pid and where the pid
   * means something (process-identity.ts). Dropped when the renewer gave up waiting for the
   * answer; then the doubt stays, but nobody is in flight.
   */
  renewing_by?: { pid: number; host: string; boot: string | null; pidns: string | null }
  /**
   * The fingerprint (private-file.ts refreshFingerprint) of the refresh token this login's was renewed from:
   * a temp left by a renewer that died is adopted only when it continues the file's own
   * refresh token (stale-files.ts).
   */
  renewed_from?: string
  /**
   * Milliseconds the clock here was ahead of the server's (negative: behind) when the server
   * last answered, from its `Date` header; absent when not measured. `--status` reports it.
   */
  clock_skew_ms?: number
}

export interface CredentialFields {
  userToken: string
  userTokenExpiresAt: number | null
  refreshToken: string | null
  processToken: string
  processTokenExpiresAt: number
  /** epoch ms at which the registration answered (ProcessRegistration.at) */
  processRegisteredAt?: number | null
  processId: string
  processName: string
  authMethod: 'password' | 'device'
  server: string
  accountId: string
  email: string
  tier: string
  loggedInAt: number
  /** ms the clock here was ahead of the server's at the registration (see CredentialFile.clock_skew_ms) */
  clockSkewMs?: number | null
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Builds the file's contents from what a login produced. */
export const buildCredentialFile = (fields: CredentialFields): CredentialFile => ({
  version: CREDENTIAL_FILE_VERSION,
  user_token: fields.userToken,
  user_token_expires_at: fields.userTokenExpiresAt === null ? null : iso(fields.userTokenExpiresAt),
  refresh_token: fields.refreshToken,
  process_token: fields.processToken,
  process_token_expires_at: iso(fields.processTokenExpiresAt),
  process_registered_at: fields.processRegisteredAt == null ? null : iso(fields.processRegisteredAt),
  process_id: fields.processId,
  process_name: fields.processName,
  auth_method: fields.authMethod,
  server: fields.server,
  user: {
    account_id: fields.accountId,
    email: fields.email,
    tier: fields.tier,
    cloud_base: cloudBase(fields.server),
  },
  logged_in_at: iso(fields.loggedInAt),
  ...(fields.clockSkewMs == null ? {} : { clock_skew_ms: fields.clockSkewMs }),
})

/** The file for what a login machine hands its `persist` effect; every front end stores this. */
export const credentialFileFromLogin = (input: PersistInput): CredentialFile =>
  buildCredentialFile({
    userToken: input.session.userToken,
    userTokenExpiresAt: input.session.userTokenExpiresAt,
    refreshToken: input.session.refreshToken,
    processToken: input.process.processToken,
    processTokenExpiresAt: input.process.processTokenExpiresAt,
    processRegisteredAt: input.process.at,
    processId: input.process.processId,
    processName: input.process.name,
    authMethod: input.authMethod,
    server: input.server,
    accountId: input.session.account.accountId,
    email: input.session.account.email,
    tier: input.session.account.tier,
    loggedInAt: input.loggedInAt,
    clockSkewMs: input.process.clockSkewMs,
  })

/**
 * `file` with a new registration's process token: the replaced marker goes, as the token it
 * spoke of does.
 */
export const withRegistration = (
  file: CredentialFile,
  registration: { processToken: string; processTokenExpiresAt: number; at: number; clockSkewMs?: number | null },
  changes: Partial<Pick<CredentialFile, 'process_id' | 'process_name'>> = {},
): CredentialFile => {
  const { process_token_replaced_at: _, ...rest } = file
  return {
    ...rest,
    ...changes,
    process_token: registration.processToken,
    process_token_expires_at: iso(registration.processTokenExpiresAt),
    process_registered_at: iso(registration.at),
    ...(registration.clockSkewMs == null ? {} : { clock_skew_ms: registration.clockSkewMs }),
  }
}
