// Twins: the global file and the workspace file written with one content by a plain login.
// Both temps are prepared, then renamed workspace first: the workspace file is the one the
// daemon reads first, so a crash between the renames leaves it holding the live process token,
// and the global file is mended on a later read (repair-twins.ts). The second temp is marked
// twin, so a sweep never revokes the tokens the first file now holds.
import path from 'node:path'
import type { CredentialFile } from './credential-file.js'
import { assertLocksHeld } from './lock.js'
import { prepareAtomicWrite, type PreparedWrite } from './private-file.js'
import type { StoredCredentials } from './stored-credentials.js'

/**
 * Writes `text` to every file of `files` (workspace files first, see above): all temps are
 * prepared before the first rename, and every temp after the first is a twin.
 */
export const writeTwins = async (files: string[], text: string, home: string): Promise<void> => {
  const ordered = [...files].sort((a, b) => Number(path.dirname(a) === home) - Number(path.dirname(b) === home))
  const prepared: PreparedWrite[] = []
  try {
    for (const [i, file] of ordered.entries()) prepared.push(await prepareAtomicWrite(file, text, { twin: i > 0 }))
  } catch (error) {
    for (const write of prepared) await write.discard()
    throw error
  }
  for (const [i, write] of prepared.entries()) {
    try {
      // The fence: a holder that lost its lock (stopped past the stale time) renames nothing.
      await assertLocksHeld([write.file])
    } catch (error) {
      for (const rest of prepared.slice(i)) await rest.discard()
      throw error
    }
    try {
      await write.commit()
    } catch (error) {
      for (const rest of prepared.slice(i + 1)) await rest.discard()
      throw error
    }
  }
}

export const registeredAt = (file: CredentialFile): number | null => (file.process_registered_at === null ? null : Date.parse(file.process_registered_at))

export const sameProcess = (a: CredentialFile, b: CredentialFile) =>
  a.user.account_id === b.user.account_id && a.process_id === b.process_id && a.server === b.server

/** A global and a workspace file of one account and process whose contents differ. */
export interface TwinReport {
  global: string
  workspace: string
  /** which holds the later registration (the live process token), or null when that cannot be told */
  newer: 'global' | 'workspace' | null
}

/** How `global` and `workspace` differ, when they are twins of one process that do. */
export const compareTwins = (global: StoredCredentials | null, workspace: StoredCredentials | null): TwinReport | null => {
  if (!global || !workspace || global.text === workspace.text || !sameProcess(global.credentials, workspace.credentials)) return null
  const g = registeredAt(global.credentials)
  const w = registeredAt(workspace.credentials)
  const newer = g === null || w === null || g === w ? null : g > w ? 'global' : 'workspace'
  return { global: global.path, workspace: workspace.path, newer }
}
