// The files a login will write, known before it goes online: checked, so that no token is
// issued for a login that cannot be saved, and locked before it registers its process.
import { acquireLock, waitUntilUnlocked } from './lock.js'
import { globalCredentialPath, homeVariable, homeOf, workspaceCredentialPath, type StoreLocation } from './locations.js'
import { enter } from './places.js'
import { checkPrivateDir, ensurePrivateDir, probeWritable } from './private-file.js'
import { readCredentialFile } from './stored-credentials.js'
import { sweep } from './sweep.js'
import { storedWorkspaceId } from './workspace.js'

/**
 * The global omicOS home must be a directory of yours when it exists; a file there (an
 * `OMICOS_HOME` pointing at one, say) is said as such rather than read as "not logged in".
 */
export const assertHomeUsable = async (loc: StoreLocation = {}): Promise<void> => {
  await checkPrivateDir(homeOf(loc), { variable: homeVariable(loc), tighten: 'try' })
}

/**
 * Checks, before a login goes online, everything it will write, so that no token is issued or
 * rotated for a login that cannot be saved: the directories (links, owner, 0700, and that a
 * file can be created there: a read-only mount, a directory you cannot write), the credential
 * files (links, odd files, owner, mode, contents), their locks (odd files, or held by a live
 * process for longer than the lock wait) and `workspace.json`. Sweeps stale temps on the way.
 * The global home and file for a plain login, and the workspace's file when it has one (the
 * twin a plain login also rewrites); only the workspace's for a `workspaceOnly` login.
 */
export const checkLoginTargets = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<void> => {
  const places = await enter(loc, 'must')
  // Best effort: a directory that cannot be written is said by the probe below, more plainly.
  await sweep(loc, places, true)
  const targets: Array<{ dir: string; file: string; variable?: string }> = []
  if (loc.workspaceOnly && places.workspace) {
    targets.push({ dir: places.workspace.dir, file: places.workspace.path })
    await storedWorkspaceId(places.workspace.root)
  } else {
    targets.push({ dir: places.home, file: places.globalPath, variable: homeVariable(loc) })
    if (places.workspace && places.workspaceExists && (await readCredentialFile(places.workspace.path))) {
      targets.push({ dir: places.workspace.dir, file: places.workspace.path })
    }
  }
  for (const target of targets) {
    await readCredentialFile(target.file)
    await waitUntilUnlocked(target.file, loc.lock)
    await probeWritable(target.dir, target.variable)
  }
}

/**
 * Every file a login may write, and so must lock: the workspace file with `workspaceOnly`;
 * else the global file and, when its directory exists, the workspace twin.
 */
export const loginLockTargets = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<string[]> => {
  const places = await enter(loc, 'must')
  if (loc.workspaceOnly && places.workspace) return [places.workspace.path]
  return [places.globalPath, ...(places.workspace && places.workspaceExists ? [places.workspace.path] : [])]
}

/**
 * Takes the locks of every file a login may write (see loginLockTargets) before it registers
 * its process; resolves to their release. A login holds them for one request and a write, so
 * another one waits that long.
 */
export const lockLoginTargets = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<() => Promise<void>> => {
  const targets = await loginLockTargets(loc)
  const places = await enter(loc, 'must')
  if (loc.workspaceOnly && places.workspace) await ensurePrivateDir(places.workspace.dir)
  else await ensurePrivateDir(places.home, homeVariable(loc))
  const options = { purpose: 'login' as const, ...loc.lock }
  const releases: Array<() => Promise<void>> = []
  try {
    for (const file of [...new Set(targets)].sort()) releases.push(await acquireLock(file, options))
  } catch (error) {
    for (const release of releases.reverse()) await release()
    throw error
  }
  return async () => {
    for (const release of releases.reverse()) await release()
  }
}

/** The file a login would write: the workspace file with `workspaceOnly`, else the global one. */
export const loginTargetPath = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<string> =>
  (loc.workspaceOnly ? (await workspaceCredentialPath(loc))?.path : undefined) ?? globalCredentialPath(loc)
