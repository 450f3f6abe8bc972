// The lock that serializes writers of one file: `<file>.lock`, created with O_EXCL, holding the
// holder's pid, host and time. A lock whose process is gone (same host), or that is older than
// `staleMs`, is taken over; several files are locked in path order, so two writers cannot
// deadlock. Anything but a regular file of ours at the lock's path (a FIFO, a socket, a
// directory, a symlink) is refused at once: it is never read, waited on or removed.
import { randomBytes } from 'node:crypto'
import { constants as FS, promises as fsp } from 'node:fs'
import os from 'node:os'
import { EngineError } from '../client/engine-error.js'
import { errorCode, ioCause, isAlive, localFiles, quoted, readPrivateText, tempPathFor } from './private-file.js'

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

export const DEFAULT_STALE_MS = 30_000
const DEFAULT_WAIT_MS = 3_000

export const lockPathOf = (file: string) => `${file}.lock`

interface LockInfo {
  pid: number
  host: string
  at: number
}

export interface HeldLock {
  info: LockInfo | null
  ino: number
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
  return { info, ino: stat.ino, mtimeMs: stat.mtimeMs }
}

/** Whether a held lock may be taken over. */
export const isStale = (held: HeldLock, staleMs: number, now = Date.now()): boolean => {
  const age = now - held.mtimeMs
  if (age > staleMs) return true
  // A lock without readable contents is one being written: give its writer a second.
  return held.info ? held.info.host === os.hostname() && !isAlive(held.info.pid) : age > 1_000
}

/**
 * Removes the stale lock `held`: moved aside first, then checked to be the one judged stale
 * (another process may have replaced it in between, and that fresh lock is put back).
 */
const breakLock = async (lockPath: string, held: HeldLock): Promise<boolean> => {
  const aside = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.stale`
  try {
    await fsp.rename(lockPath, aside)
  } catch {
    return false
  }
  const moved = await fsp.lstat(aside).catch(() => null)
  const same = moved?.ino === held.ino
  if (moved && !same) await fsp.link(aside, lockPath).catch(() => {})
  await fsp.unlink(aside).catch(() => {})
  return same
}

/** Removes the lock at `lockPath` when it is stale; true when it did. */
export const removeStaleLock = async (lockPath: string, staleMs = DEFAULT_STALE_MS): Promise<boolean> => {
  const held = await readLock(lockPath)
  if (!held || !isStale(held, staleMs)) return false
  return breakLock(lockPath, held)
}

const lockedMessage = (file: string, lockPath: string, held: HeldLock) => {
  const who = held.info ? `process ${held.info.pid}` : 'another process'
  return `${file} is locked by ${who}: try again when it is done, or remove ${quoted(lockPath)} if no omicos is running`
}

/**
 * Creates the lock file whole, or resolves to null when one is there: its contents go to a
 * temp file first, which is then hard-linked to the lock's name (atomic, and refused when the
 * name exists), so a holder killed at any instant leaves a lock that names it, never an empty
 * one that nobody can judge. The temp is swept like any other (stale-files.ts).
 */
const createLock = async (lockPath: string): Promise<number | null> => {
  const temp = tempPathFor(lockPath, false)
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(temp, FS.O_WRONLY | FS.O_CREAT | FS.O_EXCL | FS.O_NOFOLLOW, 0o600)
    await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), at: Date.now() }))
    const { ino } = await handle.stat()
    await handle.close()
    handle = undefined
    try {
      await fsp.link(temp, lockPath)
      return ino
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return null
      throw error
    }
  } catch (error) {
    throw localFiles(`cannot create the lock ${lockPath}: ${ioCause(error)}`, error)
  } finally {
    await handle?.close().catch(() => {})
    await fsp.unlink(temp).catch(() => {})
  }
}

/** Takes the lock for `file`; resolves to its release. */
export const acquireLock = async (file: string, options: LockOptions = {}): Promise<() => Promise<void>> => {
  const { waitMs = DEFAULT_WAIT_MS, staleMs = DEFAULT_STALE_MS, pollMs = 25 } = options
  const lockPath = lockPathOf(file)
  const deadline = Date.now() + waitMs
  for (;;) {
    const ino = await createLock(lockPath)
    if (ino !== null) {
      return async () => {
        // Only remove the lock if it is still ours (it may have been taken over as stale).
        const now = await fsp.lstat(lockPath).catch(() => null)
        if (now && now.ino === ino) await fsp.unlink(lockPath).catch(() => {})
      }
    }
    const held = await readLock(lockPath)
    if (!held) continue
    if (isStale(held, staleMs)) {
      await breakLock(lockPath, held)
      continue
    }
    if (Date.now() >= deadline) throw new LockHeldError(lockedMessage(file, lockPath, held))
    await sleep(pollMs)
  }
}

/** The `local_files` failure of a lock held by a live process (as opposed to an odd file there). */
export class LockHeldError extends EngineError {
  constructor(message: string) {
    super('local_files', message)
  }
}

/**
 * Waits, as acquireLock would, until the lock of `file` is free or stale, without taking it:
 * a login checks this before it goes online. An odd file at the lock's path throws at once.
 */
export const waitUntilUnlocked = async (file: string, options: LockOptions = {}): Promise<void> => {
  const { waitMs = DEFAULT_WAIT_MS, staleMs = DEFAULT_STALE_MS, pollMs = 25 } = options
  const lockPath = lockPathOf(file)
  const deadline = Date.now() + waitMs
  for (;;) {
    const held = await readLock(lockPath)
    if (!held || isStale(held, staleMs)) return
    if (Date.now() >= deadline) throw localFiles(lockedMessage(file, lockPath, held))
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
