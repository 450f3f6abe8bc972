// Writing a login's credentials: the global file and its workspace twin, or the workspace's
// file alone, under their locks, and never over a later registration of the same process.
import path from 'node:path'
import { serializeCredentialFile, type CredentialFile } from './credential-file.js'
import { assertLocksHeld, withLocks } from './lock.js'
import { homeVariable, type StoreLocation } from './locations.js'
import { enter } from './places.js'
import { ensurePrivateDir, prepareAtomicWrite, readPrivateText, writeFileAtomic } from './private-file.js'
import { readCredentialFile } from './stored-credentials.js'
import { sweep } from './sweep.js'
import { registeredAt, sameProcess, writeTwins } from './twins.js'
import { storedWorkspaceId, workspaceIdOf, WORKSPACE_FILE } from './workspace.js'

export interface PersistOutcome {
  /** the files written */
  written: string[]
  /**
   * Files left as they were because they hold a later registration of the same account and
   * process (a login that ran at the same time and registered after this one): this login's
   * process token is already rotated away, so writing it would leave a dead token behind.
   */
  kept: string[]
}

/** True when `stored` holds a later registration of the same account and process than `next`. */
export const holdsLaterRegistration = (stored: CredentialFile, next: CredentialFile): boolean => {
  if (!sameProcess(stored, next)) return false
  const storedAt = registeredAt(stored)
  const nextAt = registeredAt(next)
  return storedAt !== null && nextAt !== null && storedAt > nextAt
}

/**
 * Writes the credentials of a login.
 * - Plain login: the global file, and the workspace file too when it already holds the same
 *   account (so the two stay identical; the workspace's is renamed first); a workspace file of
 *   another account is left alone.
 * - `workspaceOnly` (cloud account switching): only the workspace file, and the workspace id
 *   is kept in `<root>/.omicos/workspace.json` if it was not yet.
 * Under the lock, when a target already holds a later registration of the same account and
 * process (see holdsLaterRegistration), nothing is written and the files are reported as kept:
 * registration happens before the lock, so two logins at once may finish in either order.
 */
export const persistLogin = async (loc: StoreLocation & { workspaceOnly: boolean }, credentials: CredentialFile): Promise<PersistOutcome> => {
  const places = await enter(loc, 'must')
  await sweep(loc, places, false)
  const { globalPath, workspace } = places
  const text = serializeCredentialFile(credentials)

  if (loc.workspaceOnly && workspace) {
    await ensurePrivateDir(workspace.dir)
    return withLocks([workspace.path], { purpose: 'login', ...loc.lock }, async () => {
      const stored = await readCredentialFile(workspace.path)
      if (stored && holdsLaterRegistration(stored.credentials, credentials)) return { written: [], kept: [workspace.path] }
      // Read before the write, so that an odd workspace.json fails the login with nothing written.
      const idFile = path.join(workspace.dir, WORKSPACE_FILE)
      const keepId = (await storedWorkspaceId(workspace.root)) === null && (await readPrivateText(idFile, { privateMode: false })) === null
      const write = await prepareAtomicWrite(workspace.path, text)
      try {
        await assertLocksHeld([workspace.path])
      } catch (error) {
        await write.discard()
        throw error
      }
      await write.commit()
      const id = workspaceIdOf(credentials.process_id)
      if (id && keepId) await writeFileAtomic(idFile, `${JSON.stringify({ version: 1, workspace_id: id }, null, 2)}\n`)
      return { written: [workspace.path], kept: [] }
    })
  }

  await ensurePrivateDir(places.home, homeVariable(loc))
  const twinCandidate = workspace && places.workspaceExists ? workspace.path : null
  return withLocks([globalPath, ...(twinCandidate ? [twinCandidate] : [])], { purpose: 'login', ...loc.lock }, async () => {
    const stored = await readCredentialFile(globalPath)
    const twin = twinCandidate ? await readCredentialFile(twinCandidate) : null
    const targets = [globalPath]
    if (twin && twin.credentials.user.account_id === credentials.user.account_id) targets.push(twin.path)
    const later = [stored, twin].some((file) => file && holdsLaterRegistration(file.credentials, credentials))
    if (later) return { written: [], kept: targets }
    await writeTwins(targets, text, places.home)
    return { written: targets, kept: [] }
  })
}

/** persistLogin, returning the paths written. */
export const persistCredentials = async (loc: StoreLocation & { workspaceOnly: boolean }, credentials: CredentialFile): Promise<string[]> =>
  (await persistLogin(loc, credentials)).written
