// The credential store's policy: which files a login writes and keeps, in which order, what
// logout removes, what status and the daemon read, and what a crash leaves to clean up.
//
// - Global file: `<home>/cloud_login.json`; workspace file: `<root>/.omicos/cloud_login.json`
//   (locations.ts, workspace.ts). Files 0600, directories 0700 (private-file.ts).
// - Every operation first checks the directories it enters (no link, yours, 0700) and sweeps
//   what dead writers left there (stale-files.ts): their tokens go to the revocation queue.
// - Two files with one content (a plain login that also rewrites the workspace's copy) are
//   both prepared, then renamed workspace first: the workspace file is the one the daemon reads
//   first, so a crash between the renames leaves it holding the live process token, and the
//   global file is repaired on the next read (repairTwins). The second temp is marked twin, so
//   a sweep never revokes the tokens the first file now holds.
// - A file in the way that is a link, not a regular file, not yours, readable by others, or not
//   a valid credential file stops the operation with `local_files`: never overwritten.
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { parseCredentialFile, serializeCredentialFile, type CredentialFile } from './credential-file.js'
import { EngineError } from '../client/engine-error.js'
import { holdSecrets } from '../client/held-secrets.js'
import { assertLocksHeld, waitUntilUnlocked, withLocks } from './lock.js'
import { globalCredentialPath, homeLabel, homeOf, workspaceCredentialPath, type StoreLocation, type WorkspaceFile } from './locations.js'
import { checkPrivateDir, ensurePrivateDir, fsyncDir, prepareAtomicWrite, probeWritable, readPrivateText, removeFile, writeFileAtomic, type PreparedWrite } from './private-file.js'
import { mergeRevocations, queueRevocations, type Revocation } from './revocation-queue.js'
import { continuesLogin, continuesRegistration, findTemps, removeTemps, revocationsOf, sweepStaleLocks, tokensOfTemp, type StaleTemp } from './stale-files.js'
import { storedWorkspaceId, workspaceIdOf, WORKSPACE_FILE } from './workspace.js'

// The store's public face: what callers outside effects/store/ import from here.
export { CREDENTIAL_FILE_NAME, globalCredentialPath, workspaceCredentialPath, type StoreLocation, type WorkspaceFile } from './locations.js'
export { withLocks, assertLocksHeld, readLock, liveHolderOf, lockPathOf, LockLostError, type LockOptions, type LockPurpose, type LockInfo, type LockWait } from './lock.js'
import { acquireLock } from './lock.js'
export { takePendingRevocations, putBackRevocations, mergeRevocations, type Revocation } from './revocation-queue.js'

export interface StoredCredentials {
  credentials: CredentialFile
  path: string
  /** the exact bytes read, to tell identical twins apart from look-alikes */
  text: string
}

export interface ActiveCredentials {
  credentials: CredentialFile
  path: string
  source: 'workspace' | 'global'
}

/** Reads and checks the credential file at `file` (see readPrivateText): null when there is none. */
export const readCredentialFile = async (file: string): Promise<StoredCredentials | null> => {
  const text = await readPrivateText(file)
  if (text === null) return null
  const credentials = parseCredentialFile(text, file)
  // Held from here on, so no text a server sends can show them (effects/client/held-secrets.ts).
  holdSecrets(credentials.user_token, credentials.refresh_token, credentials.process_token)
  return { credentials, path: file, text }
}

// --- the directories of a command --------------------------------------------------------------

interface Places {
  home: string
  homeExists: boolean
  globalPath: string
  workspace: WorkspaceFile | null
  workspaceExists: boolean
}

/**
 * Checks the home and the workspace's `.omicos` (when they exist): real directories of yours,
 * tightened to 0700 ('try' for readers, which must work on a read-only mount).
 */
const enter = async (loc: StoreLocation, tighten: 'must' | 'try'): Promise<Places> => {
  const home = homeOf(loc)
  const homeExists = await checkPrivateDir(home, { label: homeLabel(loc), tighten })
  const workspace = await workspaceCredentialPath(loc)
  const workspaceExists = workspace ? await checkPrivateDir(workspace.dir, { tighten }) : false
  return { home, homeExists, globalPath: globalCredentialPath(loc), workspace, workspaceExists }
}

const dirsOf = (places: Places): string[] => [
  ...(places.homeExists ? [places.home] : []),
  ...(places.workspace && places.workspaceExists ? [places.workspace.dir] : []),
]

const tokensOf = (file: CredentialFile) => [file.refresh_token, file.user_token, file.process_token].filter((t): t is string => Boolean(t))

/** The tokens the credential files of these places hold now. */
const liveTokens = async (places: Places): Promise<Set<string>> => {
  const live = new Set<string>()
  for (const file of [places.globalPath, places.workspace?.path]) {
    if (!file) continue
    const stored = await readCredentialFile(file)
    if (stored) for (const token of tokensOf(stored.credentials)) live.add(token)
  }
  return live
}

/**
 * Clears what dead writers left in the places' directories: stale temps (their tokens queued
 * for revocation first) and locks. An odd file among them throws. With `bestEffort` (readers),
 * a temp that cannot be queued or removed (a read-only mount) is left for a later command.
 * Resolves to the paths removed.
 */
const sweep = async (loc: StoreLocation, places: Places, bestEffort: boolean): Promise<string[]> => {
  const staleMs = loc.lock?.staleMs
  const dirs = dirsOf(places)
  const found: StaleTemp[] = []
  for (const dir of dirs) found.push(...(await findTemps(dir, { staleMs })))
  // A renewal's temp that continues its file's login is rolled forward, not revoked; one that
  // cannot be adopted now (its file locked, a read-only mount) is left for a later operation.
  // Never under locks this process holds already (a login about to replace the file): it waits.
  const kept = await adoptRenewals({ ...loc, lock: { ...loc.lock, held: false } }, found)
  const temps = found.filter((temp) => !kept.has(temp.path))
  const removed: string[] = []
  if (temps.length > 0) {
    const owed = revocationsOf(temps, await liveTokens(places))
    let removable = temps
    try {
      await queueRevocations(places.home, owed, loc)
    } catch (error) {
      if (!bestEffort || !(error instanceof EngineError)) throw error
      // Not queued (a read-only home): keep the temps whose tokens would otherwise be lost.
      removable = temps.filter((temp) => revocationsOf([temp], new Set()).length === 0)
    }
    for (const temp of removable) {
      try {
        if (await removeFile(temp.path)) removed.push(temp.path)
      } catch (error) {
        if (!bestEffort || !(error instanceof EngineError)) throw error
      }
    }
  }
  for (const dir of dirs) removed.push(...(await sweepStaleLocks(dir, { staleMs })))
  return removed
}

/**
 * Rolls forward the temps of renewals and process registrations whose writer died after the
 * new tokens reached the disk and before the rename: a whole credential file continuing the
 * refresh token its target holds, or holding a later registration of its process
 * (stale-files.ts continuesLogin, continuesRegistration) is renamed over it, under the target's lock. Resolves to the
 * temps adopted or left for later (the lock busy, the rename refused): none of them is revoked.
 */
export const adoptRenewals = async (loc: StoreLocation, temps: StaleTemp[]): Promise<Set<string>> => {
  const kept = new Set<string>()
  for (const temp of temps) {
    const target = path.join(path.dirname(temp.path), temp.name.target)
    const stored = await readCredentialFile(target).catch(() => null)
    const continues = (c: CredentialFile) => continuesLogin(temp.text, c) || continuesRegistration(temp.text, c)
    if (!stored || !continues(stored.credentials)) continue
    kept.add(temp.path)
    try {
      await withLocks([target], loc.lock?.held ? loc.lock : { ...loc.lock, waitMs: 0, purpose: 'renew' }, async () => {
        const now = await readCredentialFile(target)
        if (!now || !continues(now.credentials)) return
        await assertLocksHeld([target])
        await fsp.rename(temp.path, target)
        await fsyncDir(path.dirname(target))
      })
    } catch {
      // Held by a live writer, or a read-only mount: the temp stays, whole, for the next operation.
    }
  }
  return kept
}

// --- checks before a login ---------------------------------------------------------------------

/**
 * The global omicOS home must be a directory of yours when it exists; a file there (an
 * `OMICOS_HOME` pointing at one, say) is said as such rather than read as "not logged in".
 */
export const assertHomeUsable = async (loc: StoreLocation = {}): Promise<void> => {
  await checkPrivateDir(homeOf(loc), { label: homeLabel(loc), tighten: 'try' })
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
  const targets: Array<{ dir: string; file: string; label: string }> = []
  if (loc.workspaceOnly && places.workspace) {
    targets.push({ dir: places.workspace.dir, file: places.workspace.path, label: places.workspace.dir })
    await storedWorkspaceId(places.workspace.root)
  } else {
    targets.push({ dir: places.home, file: places.globalPath, label: homeLabel(loc) })
    if (places.workspace && places.workspaceExists && (await readCredentialFile(places.workspace.path))) {
      targets.push({ dir: places.workspace.dir, file: places.workspace.path, label: places.workspace.dir })
    }
  }
  for (const target of targets) {
    await readCredentialFile(target.file)
    await waitUntilUnlocked(target.file, loc.lock)
    await probeWritable(target.dir, target.label)
  }
}

// --- writing -----------------------------------------------------------------------------------

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
  else await ensurePrivateDir(places.home, homeLabel(loc))
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

/**
 * Writes `text` to every file of `files` (workspace files first, see the top): all temps are
 * prepared before the first rename, and every temp after the first is a twin.
 */
const writeTwins = async (files: string[], text: string, home: string): Promise<void> => {
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

const registeredAt = (file: CredentialFile): number | null =>
  file.process_registered_at === null ? null : Date.parse(file.process_registered_at)

const sameProcess = (a: CredentialFile, b: CredentialFile) =>
  a.user.account_id === b.user.account_id && a.process_id === b.process_id && a.server === b.server

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
export const persistLogin = async (
  loc: StoreLocation & { workspaceOnly: boolean },
  credentials: CredentialFile,
): Promise<PersistOutcome> => {
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

  await ensurePrivateDir(places.home, homeLabel(loc))
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

/**
 * Marks the process token of `account` and `process` on `server` as replaced in the files a
 * login writes (global and workspace twin, or the workspace's with `workspaceOnly`): a
 * registration reached the server and the answer could not be used, so the token stored is
 * rotated away. Only the marker changes; a file of another account, process or server, or one
 * already marked, is left as it is. Resolves to the files marked.
 */
export const markProcessReplaced = async (
  loc: StoreLocation & { workspaceOnly: boolean },
  which: { server: string; accountId: string; processId: string },
  at: number,
): Promise<string[]> => {
  const targets = await loginLockTargets(loc)
  return withLocks(targets, loc.lock, async () => {
    const marked: string[] = []
    for (const file of targets) {
      const stored = await readCredentialFile(file).catch(() => null)
      const c = stored?.credentials
      if (!stored || !c || c.process_token_replaced_at) continue
      if (c.server !== which.server || c.user.account_id !== which.accountId || c.process_id !== which.processId) continue
      const next: CredentialFile = { ...c, process_token_replaced_at: new Date(at).toISOString() }
      if ((await rewriteIfUnchanged([file], stored.text, next, loc)).length > 0) marked.push(file)
    }
    return marked
  })
}

/** persistLogin, returning the paths written. */
export const persistCredentials = async (
  loc: StoreLocation & { workspaceOnly: boolean },
  credentials: CredentialFile,
): Promise<string[]> => (await persistLogin(loc, credentials)).written

/**
 * Replaces the credentials in `files` (already locked by the caller) with `credentials`, each
 * only if it still holds `expectedText`; workspace files are renamed first (see the top).
 * Used by the resolver's process-token refresh and by repairTwins.
 */
export const rewriteIfUnchanged = async (
  files: string[],
  expectedText: string,
  credentials: CredentialFile,
  loc: StoreLocation = {},
): Promise<string[]> => rewriteTextIfUnchanged(files, expectedText, serializeCredentialFile(credentials), loc)

/** rewriteIfUnchanged with the bytes to write: a renewal puts back the exact file it found. */
export const rewriteTextIfUnchanged = async (files: string[], expectedText: string, text: string, loc: StoreLocation = {}): Promise<string[]> => {
  const targets: string[] = []
  for (const file of files) if ((await readCredentialFile(file))?.text === expectedText) targets.push(file)
  if (targets.length > 0) await writeTwins(targets, text, homeOf(loc))
  return targets
}

// --- reading -----------------------------------------------------------------------------------

/** A global and a workspace file of one account and process whose contents differ. */
export interface TwinReport {
  global: string
  workspace: string
  /** which holds the later registration (the live process token), or null when that cannot be told */
  newer: 'global' | 'workspace' | null
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

const compareTwins = (global: StoredCredentials | null, workspace: StoredCredentials | null): TwinReport | null => {
  if (!global || !workspace || global.text === workspace.text || !sameProcess(global.credentials, workspace.credentials)) return null
  const g = registeredAt(global.credentials)
  const w = registeredAt(workspace.credentials)
  const newer = g === null || w === null || g === w ? null : g > w ? 'global' : 'workspace'
  return { global: global.path, workspace: workspace.path, newer }
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

/**
 * Mends twins that differ (see TwinReport) by copying the one with the later registration over
 * the other, under both locks and only if neither changed meanwhile. Resolves to the files
 * rewritten (none when they agree or which is newer cannot be told).
 */
export const repairTwins = async (loc: StoreLocation = {}): Promise<string[]> => {
  const { twins } = await readStoreStatus(loc)
  if (!twins?.newer) return []
  return withLocks([twins.global, twins.workspace], { purpose: 'repair', ...loc.lock }, async () => {
    const global = await readCredentialFile(twins.global)
    const workspace = await readCredentialFile(twins.workspace)
    const now = compareTwins(global, workspace)
    if (!now?.newer || !global || !workspace) return []
    const [from, to] = now.newer === 'global' ? [global, workspace] : [workspace, global]
    // A twin temp: what it holds lives on in `from`, so a crash here never gets it revoked.
    const write = await prepareAtomicWrite(to.path, from.text, { twin: true })
    try {
      await assertLocksHeld([to.path])
    } catch (error) {
      await write.discard()
      throw error
    }
    await write.commit()
    return [to.path]
  })
}

// --- removing ----------------------------------------------------------------------------------

export interface DeleteOutcome {
  /** the credential files removed */
  removed: string[]
  /**
   * The tokens of the account's temp files, removed too (a login of it killed while writing,
   * or still writing): revoke them, and put back with putBackRevocations what could not be.
   */
  revocations: Revocation[]
  /**
   * The tokens the removed files held, read under their locks: a daemon may have registered
   * a process, or renewed, after the logout first read them. Revoke those too.
   */
  held: Revocation[]
}

/**
 * Removes every credential file (the global one and the current workspace's) whose account is
 * `accountId`, and no other, and every temp file of that account in their directories.
 */
export const deleteByAccount = async (loc: StoreLocation, accountId: string): Promise<DeleteOutcome> => {
  const places = await enter(loc, 'try')
  await sweep(loc, places, false)
  const candidates = [
    ...(places.homeExists ? [places.globalPath] : []),
    ...(places.workspace && places.workspaceExists ? [places.workspace.path] : []),
  ]
  return withLocks(candidates, { purpose: 'logout', ...loc.lock }, async () => {
    const removed: string[] = []
    const held: Revocation[] = []
    for (const file of candidates) {
      const stored = await readCredentialFile(file)
      if (stored?.credentials.user.account_id !== accountId) continue
      await removeFile(file)
      removed.push(file)
      held.push({ server: stored.credentials.server, tokens: tokensOf(stored.credentials) })
    }
    const temps: StaleTemp[] = []
    for (const dir of dirsOf(places)) {
      for (const temp of await findTemps(dir, { all: true })) if (tokensOfTemp(temp.text)?.accountId === accountId) temps.push(temp)
    }
    const live = await liveTokens(places)
    // Twins too: the file they copy is gone with this account.
    const revocations = mergeRevocations(revocationsOf(temps.map((t) => ({ ...t, name: { ...t.name, twin: false } })), live))
    await removeTemps(temps)
    return { removed, revocations, held: mergeRevocations(held) }
  })
}
