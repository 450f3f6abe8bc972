// Where credential files live and how they are read, written and removed safely.
//
// - Global file: `<home>/cloud_login.json` (home: `OMICOS_HOME`, else ~/.omicos).
// - Workspace file: `<workspace root>/.omicos/cloud_login.json` (see workspace.ts).
// - Files 0600 and directories 0700, set with chmod since creation modes pass through the umask.
// - A write goes to a temp file created 0600 in the same directory, is fsynced, renamed over
//   the target, and the directory is fsynced: a reader sees the old file or the new one, and a
//   failed write leaves the old one as it was. rename() replaces a symlink rather than writing
//   through it, and an existing symlink is refused before that anyway.
// - Writers take a lock file next to each target (`cloud_login.json.lock`, O_EXCL) holding
//   their pid, host and time; a lock whose process is gone, or that is older than `staleMs`,
//   is taken over. Several files are locked in path order, so two writers cannot deadlock.
// - A file in the way that is a symlink, not a regular file, not yours, readable by others,
//   or not a valid credential file stops the operation with `local_files`: never overwritten.
import { randomBytes } from 'node:crypto'
import { constants as FS, promises as fsp } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseCredentialFile, serializeCredentialFile, type CredentialFile } from './credential-file.js'
import { EngineError } from '../client/engine-error.js'
import { currentUid, omicosHome, type Env } from '../node/environment.js'
import { findWorkspaceRoot, storedWorkspaceId, workspaceIdOf, WORKSPACE_FILE } from './workspace.js'

export const CREDENTIAL_FILE_NAME = 'cloud_login.json'

export interface LockOptions {
  /** how long to wait for a lock held by a live process (default 3000 ms) */
  waitMs?: number
  /** a lock older than this is taken over whoever holds it (default 30000 ms) */
  staleMs?: number
  /** pause between tries (default 25 ms) */
  pollMs?: number
  /** the caller holds the locks already (the login machine takes them before it registers) */
  held?: boolean
}

export interface StoreLocation {
  /** the global omicOS home (default: OMICOS_HOME, else ~/.omicos) */
  home?: string
  /** where the command runs; decides the workspace (default: process.cwd()) */
  cwd?: string
  env?: Env
  lock?: LockOptions
}

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

const homeOf = (loc: StoreLocation) => path.resolve(loc.home ?? omicosHome(loc.env ?? process.env, loc.cwd))
const cwdOf = (loc: StoreLocation) => path.resolve(loc.cwd ?? process.cwd())

export const globalCredentialPath = (loc: StoreLocation = {}): string => path.join(homeOf(loc), CREDENTIAL_FILE_NAME)

export interface WorkspaceFile {
  root: string
  path: string
}

/**
 * The workspace credential file for `cwd`, or null when it would be a global file: the one
 * of the home in use, or the one in ~/.omicos (the default home, never a workspace's).
 */
export const workspaceCredentialPath = async (loc: StoreLocation = {}): Promise<WorkspaceFile | null> => {
  const home = homeOf(loc)
  const root = await findWorkspaceRoot({ cwd: cwdOf(loc), env: loc.env, home })
  const file = path.join(root, '.omicos', CREDENTIAL_FILE_NAME)
  const same = async (dir: string) => {
    try {
      return (await fsp.realpath(path.dirname(file))) === (await fsp.realpath(dir))
    } catch {
      return path.dirname(file) === path.resolve(dir)
    }
  }
  return (await same(home)) || (await same(path.join(os.homedir(), '.omicos'))) ? null : { root, path: file }
}

// --- errors ------------------------------------------------------------------------------------

const IO_CAUSES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file size limit was reached',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  EIO: 'an I/O error occurred',
  EMFILE: 'too many open files',
}

const ioCause = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException)?.code
  return (code && IO_CAUSES[code]) || (code ? `error ${code}` : 'unexpected error')
}

const localFiles = (message: string, cause?: unknown) => new EngineError('local_files', message, { cause })

const quoted = (p: string) => (/^[\w./~@+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)

// --- directories -------------------------------------------------------------------------------

/** Creates the credential directory if needed and makes sure it is 0700 and ours. */
export const ensurePrivateDir = async (dir: string): Promise<void> => {
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
    const stat = await fsp.stat(dir)
    const uid = currentUid()
    if (uid !== null && stat.uid !== uid) {
      throw localFiles(`${dir} is not owned by you: omicos keeps credentials only in a directory of yours`)
    }
    if ((stat.mode & 0o777) !== 0o700) await fsp.chmod(dir, 0o700)
  } catch (error) {
    if (error instanceof EngineError) throw error
    throw localFiles(`cannot create ${dir}: ${ioCause(error)}`, error)
  }
}

const fsyncDir = async (dir: string): Promise<void> => {
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(dir, 'r')
    await handle.sync()
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => {})
  }
}

// --- reading -----------------------------------------------------------------------------------

/**
 * Reads a private file of omicos (a credential file, a pending pairing): null when there is
 * none. A symlink, a non-regular file, another owner or permissions wider than 0600 throw
 * `local_files`. Opened with O_NOFOLLOW so a symlink swapped in after a check is not followed.
 */
export const readPrivateText = async (file: string): Promise<string | null> => {
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(file, FS.O_RDONLY | FS.O_NOFOLLOW | FS.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ELOOP' || code === 'EMLINK') {
      throw localFiles(`${file} is a symbolic link, which omicos does not follow: replace it with a regular file or remove it`)
    }
    if (code === 'ENOTDIR') return null
    throw localFiles(`cannot read ${file}: ${ioCause(error)}`, error)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw localFiles(`${file} is not a regular file: move it aside, then log in again`)
    const uid = currentUid()
    if (uid !== null && stat.uid !== uid) {
      throw localFiles(`${file} is not owned by you (owner uid ${stat.uid}): remove it or restore its owner, then try again`)
    }
    const mode = stat.mode & 0o777
    if (mode & 0o077) {
      throw localFiles(
        `${file} has permissions ${mode.toString(8).padStart(4, '0')}, wider than 0600: run chmod 600 ${quoted(file)} (its tokens may have been read by others)`,
      )
    }
    return await handle.readFile('utf8')
  } catch (error) {
    if (error instanceof EngineError) throw error
    throw localFiles(`cannot read ${file}: ${ioCause(error)}`, error)
  } finally {
    await handle.close().catch(() => {})
  }
}

/** Reads and checks the credential file at `file` (see readPrivateText): null when there is none. */
export const readCredentialFile = async (file: string): Promise<StoredCredentials | null> => {
  const text = await readPrivateText(file)
  return text === null ? null : { credentials: parseCredentialFile(text, file), path: file, text }
}

// --- writing -----------------------------------------------------------------------------------

/** Writes `text` to `file` atomically with mode 0600 (temp file, fsync, rename, fsync dir). */
export const writeFileAtomic = async (file: string, text: string): Promise<void> => {
  const dir = path.dirname(file)
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(temp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600)
    await handle.chmod(0o600)
    await handle.writeFile(text, 'utf8')
    await handle.sync()
    await handle.close()
    handle = undefined
    await fsp.rename(temp, file)
  } catch (error) {
    await handle?.close().catch(() => {})
    await fsp.unlink(temp).catch(() => {})
    throw localFiles(`cannot write ${file}: ${ioCause(error)} (the previous file, if any, is unchanged)`, error)
  }
  await fsyncDir(dir)
}

// --- locking -----------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

interface LockInfo {
  pid: number
  host: string
  at: number
}

const readLock = async (lockPath: string): Promise<{ info: LockInfo | null; ino: number; mtimeMs: number } | null> => {
  try {
    const stat = await fsp.lstat(lockPath)
    let info: LockInfo | null = null
    try {
      const data = JSON.parse(await fsp.readFile(lockPath, 'utf8'))
      if (Number.isInteger(data?.pid) && typeof data?.host === 'string') info = data
    } catch {
      info = null
    }
    return { info, ino: stat.ino, mtimeMs: stat.mtimeMs }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Takes the lock for `file`; resolves to its release. */
export const acquireLock = async (file: string, options: LockOptions = {}): Promise<() => Promise<void>> => {
  const { waitMs = 3_000, staleMs = 30_000, pollMs = 25 } = options
  const lockPath = `${file}.lock`
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const handle = await fsp.open(lockPath, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600)
      let ino: number
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() }))
        ino = (await handle.stat()).ino
      } finally {
        await handle.close()
      }
      return async () => {
        // Only remove the lock if it is still ours (it may have been taken over as stale).
        const now = await fsp.lstat(lockPath).catch(() => null)
        if (now && now.ino === ino) await fsp.unlink(lockPath).catch(() => {})
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw localFiles(`cannot create the lock ${lockPath}: ${ioCause(error)}`, error)
      }
    }
    const held = await readLock(lockPath).catch(() => null)
    if (!held) continue
    const age = Date.now() - held.mtimeMs
    const stale =
      age > staleMs ||
      (held.info ? held.info.host === os.hostname() && !isAlive(held.info.pid) : age > 1_000)
    if (stale) {
      // Move the stale lock aside, then check it was the one judged stale: another process may
      // have replaced it in between, and that fresh lock is put back.
      const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`
      try {
        await fsp.rename(lockPath, aside)
      } catch {
        continue
      }
      const moved = await fsp.lstat(aside).catch(() => null)
      if (moved && moved.ino !== held.ino) await fsp.link(aside, lockPath).catch(() => {})
      await fsp.unlink(aside).catch(() => {})
      continue
    }
    if (Date.now() >= deadline) {
      const who = held.info ? `process ${held.info.pid}` : 'another process'
      throw localFiles(
        `${file} is locked by ${who}: try again when it is done, or remove ${quoted(lockPath)} if no omicos is running`,
      )
    }
    await sleep(pollMs)
  }
}

/** Runs `fn` holding the locks of `files` (taken in path order). */
export const withLocks = async <T>(files: string[], options: LockOptions | undefined, fn: () => Promise<T>): Promise<T> => {
  if (options?.held) return fn()
  const releases: Array<() => Promise<void>> = []
  try {
    for (const file of [...new Set(files)].sort()) releases.push(await acquireLock(file, options))
    return await fn()
  } finally {
    for (const release of releases.reverse()) await release()
  }
}

const dirExists = async (dir: string) => (await fsp.stat(dir).catch(() => null))?.isDirectory() ?? false

// --- checks before a login ---------------------------------------------------------------------

/** Fails with `local_files` when `dir` exists but is not a directory of ours; `label` names it. */
const assertUsableDir = async (dir: string, label: string): Promise<void> => {
  let stat
  try {
    stat = await fsp.stat(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw localFiles(`${label} is not a directory (a part of its path is a file): point it at a directory`)
    throw localFiles(`cannot use ${label}: ${ioCause(error)}`, error)
  }
  if (!stat.isDirectory()) throw localFiles(`${label} is not a directory: move the file aside or point it at a directory`)
  const uid = currentUid()
  if (uid !== null && stat.uid !== uid) throw localFiles(`${label} is not owned by you: omicos keeps credentials only in a directory of yours`)
}

/**
 * The global omicOS home must be a directory of ours when it exists; a file there (an
 * `OMICOS_HOME` pointing at one, say) is said as such rather than read as "not logged in".
 */
export const assertHomeUsable = async (loc: StoreLocation = {}): Promise<void> => {
  const home = homeOf(loc)
  const env = loc.env ?? process.env
  const named = Boolean(env.OMICOS_HOME?.trim()) && path.resolve(omicosHome(env, loc.cwd)) === home
  await assertUsableDir(home, named ? `OMICOS_HOME ${home}` : home)
}

/**
 * Checks, before a login goes online, every file and directory it will write: the global home
 * and file, and the workspace file (the twin a plain login also rewrites, or the only file of a
 * `workspaceOnly` login). A file that is unsafe or does not parse fails here, with the message
 * persist would give, so that no token is issued or rotated for a login that cannot be saved.
 */
export const checkLoginTargets = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<void> => {
  await assertHomeUsable(loc)
  const workspace = await workspaceCredentialPath(loc)
  if (loc.workspaceOnly && workspace) {
    await assertUsableDir(path.dirname(workspace.path), path.dirname(workspace.path))
    await readCredentialFile(workspace.path)
    return
  }
  await readCredentialFile(globalCredentialPath(loc))
  if (workspace && (await dirExists(path.dirname(workspace.path)))) await readCredentialFile(workspace.path)
}

// --- operations --------------------------------------------------------------------------------

/**
 * Every file a login may write, and so must lock: the workspace file with `workspaceOnly`;
 * else the global file and, when its directory exists, the workspace twin.
 */
export const loginLockTargets = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<string[]> => {
  const workspace = await workspaceCredentialPath(loc)
  if (loc.workspaceOnly && workspace) return [workspace.path]
  const twin = workspace && (await dirExists(path.dirname(workspace.path))) ? [workspace.path] : []
  return [globalCredentialPath(loc), ...twin]
}

/** Takes the locks of every file a login may write (see loginLockTargets); resolves to their release. */
export const lockLoginTargets = async (loc: StoreLocation & { workspaceOnly: boolean }): Promise<() => Promise<void>> => {
  const targets = await loginLockTargets(loc)
  for (const dir of new Set(targets.map((target) => path.dirname(target)))) await ensurePrivateDir(dir)
  // A login holds these from its registration to its write, one request at most: others wait that long.
  const options = { waitMs: 15_000, ...loc.lock }
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

/** True when `stored` holds a later registration of the same account and process than `next`. */
export const holdsLaterRegistration = (stored: CredentialFile, next: CredentialFile): boolean => {
  if (stored.user.account_id !== next.user.account_id || stored.process_id !== next.process_id || stored.server !== next.server) {
    return false
  }
  const storedAt = registeredAt(stored)
  const nextAt = registeredAt(next)
  return storedAt !== null && nextAt !== null && storedAt > nextAt
}

/**
 * Writes the credentials of a login.
 * - Plain login: the global file, and the workspace file too when it already holds the same
 *   account (so the two stay identical); a workspace file of another account is left alone.
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
  const globalPath = globalCredentialPath(loc)
  const workspace = await workspaceCredentialPath(loc)
  const text = serializeCredentialFile(credentials)

  if (loc.workspaceOnly && workspace) {
    const dir = path.dirname(workspace.path)
    await ensurePrivateDir(dir)
    return withLocks([workspace.path], loc.lock, async () => {
      const stored = await readCredentialFile(workspace.path)
      if (stored && holdsLaterRegistration(stored.credentials, credentials)) return { written: [], kept: [workspace.path] }
      await writeFileAtomic(workspace.path, text)
      const id = workspaceIdOf(credentials.process_id)
      if (id && !(await storedWorkspaceId(workspace.root))) {
        const idFile = path.join(dir, WORKSPACE_FILE)
        if (!(await fsp.lstat(idFile).catch(() => null))) {
          await writeFileAtomic(idFile, `${JSON.stringify({ version: 1, workspace_id: id }, null, 2)}\n`)
        }
      }
      return { written: [workspace.path], kept: [] }
    })
  }

  await ensurePrivateDir(path.dirname(globalPath))
  const twinCandidate = workspace && (await dirExists(path.dirname(workspace.path))) ? workspace.path : null
  return withLocks([globalPath, ...(twinCandidate ? [twinCandidate] : [])], loc.lock, async () => {
    const stored = await readCredentialFile(globalPath)
    const twin = twinCandidate ? await readCredentialFile(twinCandidate) : null
    const targets = [globalPath]
    if (twin && twin.credentials.user.account_id === credentials.user.account_id) targets.push(twin.path)
    const later = [stored, twin].some((file) => file && holdsLaterRegistration(file.credentials, credentials))
    if (later) return { written: [], kept: targets }
    for (const target of targets) await writeFileAtomic(target, text)
    return { written: targets, kept: [] }
  })
}

/** persistLogin, returning the paths written. */
export const persistCredentials = async (
  loc: StoreLocation & { workspaceOnly: boolean },
  credentials: CredentialFile,
): Promise<string[]> => (await persistLogin(loc, credentials)).written

/** The file the daemon uses in `cwd`: the workspace file first, the global file second. */
export const readActive = async (loc: StoreLocation = {}): Promise<ActiveCredentials | null> => {
  await assertHomeUsable(loc)
  const workspace = await workspaceCredentialPath(loc)
  const local = workspace ? await readCredentialFile(workspace.path) : null
  if (local) return { credentials: local.credentials, path: local.path, source: 'workspace' }
  const global = await readCredentialFile(globalCredentialPath(loc))
  return global ? { credentials: global.credentials, path: global.path, source: 'global' } : null
}

/**
 * Removes every credential file (the global one and the current workspace's) whose account is
 * `accountId`, and no other; returns the paths removed.
 */
export const deleteByAccount = async (loc: StoreLocation, accountId: string): Promise<string[]> => {
  const workspace = await workspaceCredentialPath(loc)
  const candidates: string[] = []
  for (const file of [globalCredentialPath(loc), workspace?.path]) {
    if (file && (await dirExists(path.dirname(file)))) candidates.push(file)
  }
  return withLocks(candidates, loc.lock, async () => {
    const removed: string[] = []
    for (const file of candidates) {
      const stored = await readCredentialFile(file)
      if (stored?.credentials.user.account_id !== accountId) continue
      try {
        await fsp.unlink(file)
      } catch (error) {
        throw localFiles(`cannot remove ${file}: ${ioCause(error)}`, error)
      }
      await fsyncDir(path.dirname(file))
      removed.push(file)
    }
    return removed
  })
}

/**
 * Replaces the credentials in `files` (already locked by the caller) with `credentials`, each
 * only if it still holds `expectedText`. Used by the resolver's process-token refresh.
 */
export const rewriteIfUnchanged = async (files: string[], expectedText: string, credentials: CredentialFile): Promise<string[]> => {
  const text = serializeCredentialFile(credentials)
  const written: string[] = []
  for (const file of files) {
    const current = await readCredentialFile(file)
    if (current?.text !== expectedText) continue
    await writeFileAtomic(file, text)
    written.push(file)
  }
  return written
}
