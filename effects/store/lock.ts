// The lock that serializes writers of one file: `<file>.lock`, created whole with O_EXCL
// semantics (a temp hard-linked to the name), recording who holds it (pid, host, boot, PID
// namespace) and what for (`purpose`, which others read with readLock).
//
// - Liveness is a heartbeat: the holder sets the lock's mtime every third of the stale time
//   while it holds it; a lock whose mtime is older than the stale time is taken over, whoever
//   holds it. Its pid is judged (dead: taken over at once) only when host, boot and PID
//   namespace are all this process's (process-identity.ts); else only the heartbeat decides.
// - Fencing: a holder stopped (SIGSTOP, a laptop lid, a stalled NFS) past the stale time may
//   have lost its lock. assertLocksHeld, called immediately before a credential file is
//   renamed into place, refreshes the heartbeat and checks the lock at the path is still the
//   one created (same inode, kept open so it cannot be reused); it throws LockLostError
//   otherwise, and the caller re-reads instead of overwriting.
// - Several files are locked in path order, so two writers cannot deadlock.
// - Anything but a regular file of ours at the lock's path (a FIFO, a socket, a directory, a
//   symlink) is refused at once: it is never read, waited on or removed.
//
// Not proper-lockfile, though it has the heartbeat and compromise detection this borrows: its
// lock is a directory (mkdir), which records nobody, so neither a pid nor a purpose can be
// read and a killed holder blocks everyone for the whole stale time; it removes a stale lock
// by stat then rmdir, so two waiters can remove each other's fresh lock; it learns of a
// compromise only on its next timer, with no check of the lock's identity before a write; it
// follows links at the lock path (stat, realpath); and its exit hook removes locks from
// signal-exit. Here a take-over moves the lock aside and checks it is the one judged stale.
import { randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import { failure, type LockPurpose } from '../../machines/failure.js'
import { EngineError } from '../client/engine-error.js'
import { errorCode, failedIo, isAlive, readPrivateText, tempPathFor } from './private-file.js'
import { localIdentity, pidJudgeable } from './process-identity.js'
import { OPEN_FLAGS } from './platform.js'

/** What the holder of a lock is doing, for those who find it held. */
export type { LockPurpose }

export interface LockWait {
  file: string
  /** the holder's pid, or null when the lock cannot be read yet */
  pid: number | null
  purpose: LockPurpose | null
}

export interface LockOptions {
  /** how long to wait for a lock held by a live process (default 60 s, enough for a herd; OMICOS_LOCK_WAIT_MS) */
  waitMs?: number
  /** a lock without a heartbeat for this long is taken over whoever holds it (default 30 s, OMICOS_LOCK_STALE_MS) */
  staleMs?: number
  /** pause between tries (default 25 ms) */
  pollMs?: number
  /** the caller holds the locks already (the login machine takes them before it registers) */
  held?: boolean
  /** what the holder will be doing, recorded in the lock */
  purpose?: LockPurpose
  /** called once for each holder waited on, so a front end can say what it waits for */
  onWait?: (wait: LockWait) => void
  /** a wait shorter than this is not worth telling (default 1 s) */
  tellAfterMs?: number
}

export const DEFAULT_STALE_MS = 30_000
export const DEFAULT_WAIT_MS = 60_000

const fromEnv = (name: string, fallback: number): number => {
  const value = Number(process.env[name])
  return process.env[name] && Number.isFinite(value) && value >= 0 ? value : fallback
}

/** The stale time: 30 s, or OMICOS_LOCK_STALE_MS (tests that stop a holder, or a slow shared file system). */
export const defaultStaleMs = (): number => fromEnv('OMICOS_LOCK_STALE_MS', DEFAULT_STALE_MS) || DEFAULT_STALE_MS

/** How long a caller waits for a live holder: 60 s, or OMICOS_LOCK_WAIT_MS. */
export const defaultWaitMs = (): number => fromEnv('OMICOS_LOCK_WAIT_MS', DEFAULT_WAIT_MS)

export const lockPathOf = (file: string) => `${file}.lock`

export interface LockInfo {
  pid: number
  host: string
  at: number
  boot?: string | null
  pidns?: string | null
  purpose?: LockPurpose | null
}

export interface HeldLock {
  info: LockInfo | null
  ino: number
  dev?: number
  mtimeMs: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The lock at `lockPath`, or null when there is none; an odd file there throws `local_files`. */
export const readLock = async (lockPath: string): Promise<HeldLock | null> => {
  // readPrivateText opens without following links or blocking and refuses what is not a
  // regular file of ours; the lock holds no secret, so its mode does not matter.
  const text = await readPrivateText(lockPath, { privateMode: false })
  if (text === null) return null
  const stat = await fsp.lstat(lockPath).catch(() => null)
  if (!stat) return null
  let info: LockInfo | null = null
  try {
    const data = JSON.parse(text)
    if (Number.isInteger(data?.pid) && typeof data?.host === 'string') info = data
  } catch {
    info = null
  }
  return { info, ino: stat.ino, dev: stat.dev, mtimeMs: stat.mtimeMs }
}

/** Whether a held lock may be taken over: no heartbeat for `staleMs`, or a holder known dead. */
export const isStale = (held: HeldLock, staleMs = defaultStaleMs(), now = Date.now()): boolean => {
  // A lock this process holds is never stale to it, whatever the wall clock did since its last beat.
  for (const own of owned.values()) if (own.ino === held.ino && own.dev === held.dev && !own.lost) return false
  const age = now - held.mtimeMs
  if (age > staleMs) return true
  // A lock without readable contents is one being written: give its writer a second.
  if (!held.info) return age > 1_000
  return pidJudgeable(held.info) && !isAlive(held.info.pid)
}

/** What holds the lock of `file` now, if anyone live does: for a caller deciding whether to wait. */
export const liveHolderOf = async (file: string, staleMs = defaultStaleMs()): Promise<LockInfo | null> => {
  const held = await readLock(lockPathOf(file))
  if (!held || isStale(held, staleMs)) return null
  return held.info ?? { pid: -1, host: '', at: held.mtimeMs }
}

/**
 * Removes the stale lock `held`: moved aside first, then checked to be the one judged stale,
 * same inode and no heartbeat since (another process may have replaced it, or its holder
 * woke up, in between: that lock is put back).
 */
const breakLock = async (lockPath: string, held: HeldLock): Promise<boolean> => {
  // `held` may be old news: its holder can have released it and another process taken the
  // name since (a pid judged dead is often one that just finished). Moving that fresh lock
  // aside, even for the moment it takes to put it back, fails its holder's fence, so look
  // again first; what is left is the instant between this look and the rename.
  const again = await readLock(lockPath).catch(() => null)
  if (!again || again.ino !== held.ino || again.mtimeMs !== held.mtimeMs) return false
  const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`
  try {
    await fsp.rename(lockPath, aside)
  } catch {
    return false
  }
  const moved = await fsp.lstat(aside).catch(() => null)
  const same = moved?.ino === held.ino && moved.mtimeMs === held.mtimeMs
  if (moved && !same) await fsp.link(aside, lockPath).catch(() => {})
  await fsp.unlink(aside).catch(() => {})
  return same
}

/** Removes the lock at `lockPath` when it is stale; true when it did. */
export const removeStaleLock = async (lockPath: string, staleMs = defaultStaleMs()): Promise<boolean> => {
  const held = await readLock(lockPath)
  if (!held || !isStale(held, staleMs)) return false
  return breakLock(lockPath, held)
}

/** The `local_files` failure of a lock held by a live process (as opposed to an odd file there), reason `lockHeld`. */
export class LockHeldError extends EngineError {
  constructor(file: string, held: HeldLock | null) {
    super(failure('lockHeld', { path: file, pid: held?.info?.pid ?? null, purpose: held?.info?.purpose ?? null }))
  }
}

/**
 * A holder found its lock taken over (it was stopped past the stale time): it must not write.
 * Thrown by assertLocksHeld; the caller re-reads and keeps what the new holder wrote.
 */
export class LockLostError extends EngineError {
  constructor(readonly file: string) {
    super(failure('lockLost', { path: file }))
  }
}

/** A lock this process holds: its inode, an open handle to it (for the heartbeat), its state. */
interface OwnLock {
  file: string
  lockPath: string
  ino: number
  dev: number
  handle: fsp.FileHandle
  timer: ReturnType<typeof setInterval>
  lost: boolean
}

// The locks this process holds, by lock path: what assertLocksHeld checks.
const owned = new Map<string, OwnLock>()

/** Sets the lock's mtime (through our handle, so never someone else's lock) and checks it is still at its path. */
const beat = async (own: OwnLock): Promise<boolean> => {
  if (own.lost) return false
  const now = new Date()
  await own.handle.utimes(now, now).catch(() => {})
  // Briefly gone is a take-over that found the heartbeat and is putting the lock back; on a
  // loaded machine that takes more than a few milliseconds, so look for up to a second.
  for (let look = 0; look < 20; look++) {
    const at = await fsp.lstat(own.lockPath).catch(() => null)
    if (at?.ino === own.ino) return true
    if (at !== null) break
    await sleep(50)
  }
  own.lost = true
  return false
}

/**
 * Creates the lock file whole, or resolves to null when one is there: its contents go to a
 * temp file first, which is then hard-linked to the lock's name (atomic, and refused when the
 * name exists), so a holder killed at any instant leaves a lock that names it, never an empty
 * one that nobody can judge. The temp is swept like any other (stale-files.ts).
 */
const createLock = async (lockPath: string, purpose: LockPurpose | null): Promise<{ ino: number; dev: number; handle: fsp.FileHandle } | null> => {
  const temp = tempPathFor(lockPath, false)
  let handle: fsp.FileHandle | undefined
  try {
    // Read-write: a handle's utimes needs write access on some platforms.
    handle = await fsp.open(temp, OPEN_FLAGS.createReadWrite, 0o600)
    const { host, boot, pidns } = localIdentity()
    const info: LockInfo = { pid: process.pid, host, at: Date.now(), boot, pidns, purpose }
    await handle.writeFile(JSON.stringify(info))
    // The first heartbeat, on this process's clock: the kernel stamped the file with its own
    // (a network file system's server, a wall clock that jumped since), which others would
    // judge against theirs.
    const at = new Date(info.at)
    await handle.utimes(at, at)
    const { ino, dev } = await handle.stat()
    try {
      await fsp.link(temp, lockPath)
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return null
      throw error
    }
    const kept = handle
    handle = undefined
    return { ino, dev, handle: kept }
  } catch (error) {
    throw failedIo({ path: lockPath }, { step: 'lock' }, error)
  } finally {
    await handle?.close().catch(() => {})
    await fsp.unlink(temp).catch(() => {})
  }
}

/** Takes the lock for `file`; resolves to its release. */
export const acquireLock = async (file: string, options: LockOptions = {}): Promise<() => Promise<void>> => {
  const { waitMs = defaultWaitMs(), staleMs = defaultStaleMs(), pollMs = 25 } = options
  const lockPath = lockPathOf(file)
  const started = Date.now()
  const deadline = started + waitMs
  let told: number | null = null
  for (;;) {
    const created = await createLock(lockPath, options.purpose ?? null)
    if (created !== null) {
      const own: OwnLock = { file, lockPath, ...created, lost: false, timer: undefined as unknown as ReturnType<typeof setInterval> }
      own.timer = setInterval(() => void beat(own), Math.max(10, Math.min(staleMs / 3, 10_000)))
      // The heartbeat alone must not keep a process alive.
      own.timer.unref?.()
      owned.set(lockPath, own)
      return async () => {
        clearInterval(own.timer)
        if (owned.get(lockPath) === own) owned.delete(lockPath)
        // Only remove the lock if it is still ours (it may have been taken over as stale).
        const now = await fsp.lstat(lockPath).catch(() => null)
        if (now && now.ino === own.ino) await fsp.unlink(lockPath).catch(() => {})
        await own.handle.close().catch(() => {})
      }
    }
    const held = await readLock(lockPath)
    if (!held) continue
    if (isStale(held, staleMs)) {
      await breakLock(lockPath, held)
      continue
    }
    if (Date.now() >= deadline) throw new LockHeldError(file, held)
    if (options.onWait && told !== held.ino && Date.now() - started >= (options.tellAfterMs ?? 1_000)) {
      told = held.ino
      options.onWait({ file, pid: held.info?.pid ?? null, purpose: held.info?.purpose ?? null })
    }
    await sleep(pollMs)
  }
}

/**
 * The fence: throws LockLostError unless every lock this process took for `files` is still
 * its own, refreshing their heartbeat on the way (so a holder that just passed cannot be judged
 * stale by one that looked at the old mtime: breakLock sees the new one and puts it back).
 * Files whose lock this process does not hold (a caller that took none) are not checked.
 */
export const assertLocksHeld = async (files: string[]): Promise<void> => {
  for (const file of files) {
    const own = owned.get(lockPathOf(file))
    if (own && !(await beat(own))) throw new LockLostError(file)
  }
}

/**
 * Waits, as acquireLock would, until the lock of `file` is free or stale, without taking it:
 * a login checks this before it goes online. An odd file at the lock's path throws at once.
 */
export const waitUntilUnlocked = async (file: string, options: LockOptions = {}): Promise<void> => {
  const { waitMs = defaultWaitMs(), staleMs = defaultStaleMs(), pollMs = 25 } = options
  const lockPath = lockPathOf(file)
  const started = Date.now()
  const deadline = started + waitMs
  let told: number | null = null
  for (;;) {
    const held = await readLock(lockPath)
    if (!held || isStale(held, staleMs)) return
    if (Date.now() >= deadline) throw new LockHeldError(file, held)
    if (options.onWait && told !== held.ino && Date.now() - started >= (options.tellAfterMs ?? 1_000)) {
      told = held.ino
      options.onWait({ file, pid: held.info?.pid ?? null, purpose: held.info?.purpose ?? null })
    }
    await sleep(pollMs)
  }
}

/** Runs `fn` holding the locks of `files` (taken in path order). */
export const withLocks = async <T>(files: string[], options: LockOptions | undefined, fn: () => Promise<T>): Promise<T> => {
  if (options?.held) return fn()
  const releases: Array<() => Promise<void>> = []
  try {
    for (const file of [...new Set(files)].sort()) {
      releases.push(await acquireLock(file, options))
    }
    return await fn()
  } finally {
    for (const release of releases.reverse()) await release()
  }
}
