// What `--status` and the daemon read: the file in use in a directory, both files as they are,
// and whether the twins agree.
import type { CredentialFile } from './credential-file.js'
import type { StoreLocation } from './locations.js'
import { enter } from './places.js'
import { readCredentialFile, type StoredCredentials } from './stored-credentials.js'
import { sweep } from './sweep.js'
import { compareTwins, type TwinReport } from './twins.js'

export interface ActiveCredentials {
  credentials: CredentialFile
  path: string
  source: 'workspace' | 'global'
}

export interface StoreStatus {
  /** the file the daemon uses in `cwd`: the workspace file first, the global file second */
  active: ActiveCredentials | null
  /** stale temps and locks removed by this read */
  swept: string[]
  /** set when the twins differ (a crash between their renames): repairTwins mends them */
  twins: TwinReport | null
  /** both files as read, the one the daemon does not use included (a workspace login hides the global one) */
  files: { global: StoredCredentials | null; workspace: StoredCredentials | null }
}

/**
 * What `--status` reads: the active credentials, the twins when they differ, and the stale
 * temps it removed. Never writes or rewrites a credential file.
 */
export const readStoreStatus = async (loc: StoreLocation = {}): Promise<StoreStatus> => {
  const places = await enter(loc, 'try')
  const swept = await sweep(loc, places, true)
  const local = places.workspace && places.workspaceExists ? await readCredentialFile(places.workspace.path) : null
  const global = await readCredentialFile(places.globalPath)
  const twins = compareTwins(global, local)
  const active: ActiveCredentials | null = local
    ? { credentials: local.credentials, path: local.path, source: 'workspace' }
    : global
      ? { credentials: global.credentials, path: global.path, source: 'global' }
      : null
  return { active, swept, twins, files: { global, workspace: local } }
}

/** The file the daemon uses in `cwd`: the workspace file first, the global file second. */
export const readActive = async (loc: StoreLocation = {}): Promise<ActiveCredentials | null> => (await readStoreStatus(loc)).active
