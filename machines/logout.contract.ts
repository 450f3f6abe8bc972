// The logout machine's effects (logout.machine.ts): the current account and deleting its files;
// its input and outcome.
import type { Failure } from './failure.js'

export interface CurrentAccount {
  accountId: string
  email: string
  server: string
  /** tokens to revoke, best effort (user token, refresh token, process token) */
  tokens: string[]
}

export interface DeleteFilesInput {
  accountId: string
}

export interface DeleteFilesResult {
  removed: string[]
}

export interface LogoutInput {
  /** the server the current login must be on (`--server` with `--logout`); null: any */
  expectedServer?: string | null
  /** how long revocation may take before the local delete goes ahead anyway (default 3000) */
  revokeTimeoutMs?: number
}

export type LogoutOutput =
  | { kind: 'loggedOut'; email: string; server: string; removed: string[]; revoked: boolean }
  | { kind: 'notLoggedIn' }
  | { kind: 'failed'; failure: Failure }
