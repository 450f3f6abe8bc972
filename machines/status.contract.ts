// The status machine's effects (status.machine.ts): what the files say; its input and outcome.
import type { Failure } from './failure.js'
import type { AuthMethod, VerifyResult } from './shared.contract.js'

export interface StatusReport {
  loggedIn: boolean
  /** the global file: what the page calls the config path, wherever the command runs */
  configPath: string
  /** the file the daemon would use in this directory, or null when there is none */
  activePath: string | null
  activeSource: 'workspace' | 'global' | null
  email?: string
  accountId?: string
  tier?: string
  processName?: string
  processId?: string
  server?: string
  authMethod?: AuthMethod
  loggedInAt?: string
  processTokenExpiresAt?: string | null
  /** ISO time at which a registration was seen to rotate the stored process token away, or null */
  processTokenReplacedAt?: string | null
  userTokenExpiresAt?: string | null
  /** every login on this machine that bears on here: the global file, then this workspace's (no secrets) */
  logins: StatusLogin[]
  /** stale temp and lock files this read removed */
  sweptTemps: string[]
  /** the global and workspace copies of one login differ (a crash between their writes) */
  twinsDiffer: boolean
  /** ms the clock here was ahead of the server's (negative: behind) when the login last reached it; null when not measured */
  clockSkewMs?: number | null
}

/** One credential file that bears on here, as `--status` lists it. */
export interface StatusLogin {
  path: string
  source: 'workspace' | 'global'
  email: string
  accountId: string
  server: string
  processName: string
  authMethod: AuthMethod
  /** ISO time, or null when the file holds no expiry */
  userTokenExpiresAt: string | null
  /** ISO time, or null when the file holds no expiry */
  processTokenExpiresAt: string | null
  /** ISO time at which the process token was seen rotated away, or null */
  processTokenReplacedAt: string | null
}

export interface StatusInput {
  /** also ask the server whether the user token still works */
  online: boolean
  /** the server the current login must be on (`--server` with `--status --verify`); null: any */
  expectedServer?: string | null
}

export type StatusOutput =
  | {
      kind: 'reported'
      report: StatusReport
      verified: VerifyResult | null
      /** the user token was renewed on the way (near its end, or rejected) */
      renewed: boolean
    }
  | {
      kind: 'failed'
      failure: Failure
      /** what the files said, when they were read before the failure (the server could not be asked, say) */
      report?: StatusReport
    }
