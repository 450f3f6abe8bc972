// The file primitives every omicos file goes through: private directories, private files read
// without following links or waiting on odd files, atomic writes, and a write probe.
//
// - Directories and files are opened, then checked with fstat on what was opened, so a symlink
//   swapped in between a check and a use is never followed (O_NOFOLLOW, O_DIRECTORY).
// - Opens never wait: O_NONBLOCK makes a FIFO open at once (and fstat then refuses it), and a
//   socket fails to open (ENXIO); devices and directories are refused by fstat.
// - Modes are set with fchmod on the open handle: creation modes pass through the umask.
// - Windows has none of these flags nor modes: platform.ts says what stands for them there
//   (lstat and the final path for links, an ACL for privacy, a replace that waits out readers).
// - A write goes to a temp file created 0600 (O_EXCL) in the target's directory, is fsynced,
//   renamed over the target, and the directory is fsynced: a reader sees the old file or the
//   new one. The temp's name carries the writer's pid and host, so a temp whose writer died
//   can be told apart from one being written (stale-files.ts sweeps them).
// node:fs, not fs-extra: fs-extra offers none of no-follow opens, O_EXCL, fsync of a directory
// or fstat on a handle, and everything else here is one node:fs call.
import { createHash, randomBytes } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import type { FileProblem, FileStep, StorePath } from '../../machines/failure.js'
import { EngineError, engineError } from '../client/engine-error.js'
import {
  isHeldOpen,
  lookBeforeOpen,
  makePrivate,
  PLATFORM,
  REPLACE_RETRY_MS,
  OPEN_FLAGS,
  openedThroughLink,
  ownerUid,
  PRIVATE_TOOL,
  privacyOf,
  replaceFile,
  SYNCS_DIRECTORIES,
} from './platform.js'
import { identityKey } from './process-identity.js'

export const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code

/** The I/O error code of `error` (`EACCES`, `EROFS`, `ENOSPC`), null when it has none; cli/ words it. */
export const ioCause = (error: unknown): string | null => errorCode(error) ?? null

/** A file or folder of the store found unusable as it is (a link, another owner, too open…). */
export const unsafeFile = (at: StorePath, problem: FileProblem, cause?: unknown) => engineError('fileUnsafe', { ...at, ...problem }, cause)

/** An I/O step on `at` that failed with `error`. */
export const failedIo = (at: StorePath, step: FileStep, error: unknown) => engineError('fileIo', { ...at, ...step, io: ioCause(error) }, error)

/** A path as a shell would take it, for the commands messages suggest. */
export const quoted = (p: string) => (/^[\w./~@+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)

// A credential file is a few KiB; anything far bigger is not one of ours, and is not read whole.
const MAX_PRIVATE_FILE_BYTES = 1 << 20

const { dir: O_DIR, read: O_READ, create: O_CREATE } = OPEN_FLAGS

/** How failures name a folder: its path, and the variable that chose it (OMICOS_HOME), if one did. */
const named = (dir: string, variable: string | undefined): StorePath => (variable ? { path: dir, variable } : { path: dir })

// --- directories -------------------------------------------------------------------------------

export interface DirCheck {
  /** the variable that chose the directory (`OMICOS_HOME`), for failures to name it with its path */
  variable?: string
  /**
   * A directory of ours wider than 0700 is tightened: 'must' fails when that is not possible,
   * 'try' (readers, which must work on a read-only mount) goes on, 'no' leaves the mode alone.
   */
  tighten?: 'must' | 'try' | 'no'
}

/**
 * Checks that `dir` is a real directory (not a link) owned by you, and tightens it to 0700 when
 * it is wider (see DirCheck). Resolves to false when it does not exist.
 */
export const checkPrivateDir = async (dir: string, check: DirCheck = {}): Promise<boolean> => {
  const at = named(dir, check.variable)
  const tighten = check.tighten ?? 'must'
  let handle: fsp.FileHandle
  const before = await lookBeforeOpen(dir).catch(() => undefined)
  if (before === null) return false
  if (before === 'link') throw unsafeFile(at, { problem: 'symlink' })
  try {
    handle = await fsp.open(dir, O_DIR)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT') return false
    // O_DIRECTORY on a symlink answers ENOTDIR, as on a file: lstat tells them apart.
    const link = code === 'ELOOP' || (code === 'ENOTDIR' && (await fsp.lstat(dir).catch(() => null))?.isSymbolicLink())
    if (link) throw unsafeFile(at, { problem: 'symlink' }, error)
    if (code === 'ENOTDIR') throw unsafeFile(at, { problem: 'notDirectory' }, error)
    throw failedIo(at, { step: 'open' }, error)
  }
  try {
    const stat = await handle.stat()
    if (await openedThroughLink(dir, before, stat)) throw unsafeFile(at, { problem: 'symlink' })
    if (!stat.isDirectory()) throw unsafeFile(at, { problem: 'notDirectory' })
    const uid = ownerUid()
    if (uid !== null && stat.uid !== uid) throw unsafeFile(at, { problem: 'notOwned', entry: 'dir', ownerUid: stat.uid })
    if (tighten === 'no') return true
    try {
      if (await privacyOf(dir, 'dir', stat, quoted)) await makePrivate(dir, 'dir', handle)
    } catch (error) {
      if (tighten === 'must') throw failedIo(at, { step: 'makePrivate', tool: PRIVATE_TOOL('dir') }, error)
    }
    return true
  } finally {
    await handle.close().catch(() => {})
  }
}

/** Creates `dir` (and its parents) if needed, then checks it as checkPrivateDir does, tightening it. */
export const ensurePrivateDir = async (dir: string, variable?: string): Promise<void> => {
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    // EEXIST: a dangling symlink or a file in the way, which the check below names.
    if (errorCode(error) !== 'EEXIST') throw failedIo(named(dir, variable), { step: 'create' }, error)
  }
  if (!(await checkPrivateDir(dir, { variable, tighten: 'must' }))) throw unsafeFile(named(dir, variable), { problem: 'vanished' })
}

/** Fsyncs a directory so a rename or unlink in it survives a power cut. */
export const fsyncDir = async (dir: string): Promise<void> => {
  if (!SYNCS_DIRECTORIES) return
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(dir, O_DIR)
    await handle.sync()
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => {})
  }
}

// --- reading -----------------------------------------------------------------------------------

export interface ReadCheck {
  /** refuse a file readable or writable by others (default true: the file holds secrets) */
  privateMode?: boolean
}

/**
 * Reads a file of omicos: null when there is none. A symlink, anything but a regular file (a
 * FIFO, a socket, a device, a directory), another owner, or (by default) permissions wider than
 * 0600 throw `local_files` at once, without waiting on the file.
 */
export const readPrivateText = async (file: string, check: ReadCheck = {}): Promise<string | null> => {
  let handle: fsp.FileHandle
  let before: Awaited<ReturnType<typeof lookBeforeOpen>>
  try {
    before = await lookBeforeOpen(file)
  } catch (error) {
    throw failedIo({ path: file }, { step: 'read' }, error)
  }
  if (before === null) return null
  if (before === 'link') throw unsafeFile({ path: file }, { problem: 'symlink' })
  try {
    handle = await fsp.open(file, O_READ)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    if (code === 'ELOOP' || code === 'EMLINK') throw unsafeFile({ path: file }, { problem: 'symlink' }, error)
    // A socket cannot be opened; a FIFO or device with O_NONBLOCK may answer ENXIO too.
    if (code === 'ENXIO' || code === 'EOPNOTSUPP') throw unsafeFile({ path: file }, { problem: 'notRegular' }, error)
    throw failedIo({ path: file }, { step: 'read' }, error)
  }
  try {
    const stat = await handle.stat()
    if (await openedThroughLink(file, before, stat)) throw unsafeFile({ path: file }, { problem: 'symlink' })
    if (!stat.isFile()) throw unsafeFile({ path: file }, { problem: 'notRegular' })
    const uid = ownerUid()
    if (uid !== null && stat.uid !== uid) throw unsafeFile({ path: file }, { problem: 'notOwned', entry: 'file', ownerUid: stat.uid })
    const open = (check.privateMode ?? true) ? await privacyOf(file, 'file', stat, quoted) : null
    if (open) throw unsafeFile({ path: file }, { problem: 'notPrivate', ...open })
    if (stat.size > MAX_PRIVATE_FILE_BYTES) throw unsafeFile({ path: file }, { problem: 'tooLarge' })
    return await handle.readFile('utf8')
  } catch (error) {
    if (error instanceof EngineError) throw error
    throw failedIo({ path: file }, { step: 'read' }, error)
  } finally {
    await handle.close().catch(() => {})
  }
}

/** Removes a file, fsyncing its directory; a file already gone is fine. */
export const removeFile = async (file: string): Promise<boolean> => {
  try {
    await fsp.unlink(file)
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false
    throw failedIo({ path: file }, { step: 'remove' }, error)
  }
  await fsyncDir(path.dirname(file))
  return true
}

// --- temp files --------------------------------------------------------------------------------

/**
 * A short tag of this host, boot and PID namespace, in temp names: a pid is only meaningful
 * where it was written (process-identity.ts).
 */
export const HOST_TAG = createHash('sha256').update(identityKey()).digest('hex').slice(0, 8)

export interface TempName {
  /** the file the temp was written for, in the same directory */
  target: string
  pid: number
  /** null in temps written before names carried the host */
  hostTag: string | null
  /** a copy of a file renamed into place first elsewhere (see prepareAtomicWrite) */
  twin: boolean
}

const TEMP_NAME = /^\.(.+)\.(\d{1,10})\.([0-9a-f]{8})\.[0-9a-f]{12}(\.twin)?\.tmp$/
const OLD_TEMP_NAME = /^\.(.+)\.(\d{1,10})\.[0-9a-f]{12}\.tmp$/

/** What a temp file's name says, or null when `name` is not one of ours. */
export const parseTempName = (name: string): TempName | null => {
  const match = TEMP_NAME.exec(name)
  if (match) return { target: match[1]!, pid: Number(match[2]), hostTag: match[3]!, twin: Boolean(match[4]) }
  const old = OLD_TEMP_NAME.exec(name)
  return old ? { target: old[1]!, pid: Number(old[2]), hostTag: null, twin: false } : null
}

/** A fresh temp name next to `file` (see parseTempName). */
export const tempPathFor = (file: string, twin: boolean) =>
  path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${HOST_TAG}.${randomBytes(6).toString('hex')}${twin ? '.twin' : ''}.tmp`)

export interface PreparedWrite {
  file: string
  temp: string
  /** renames the temp over the file, then fsyncs the directory */
  commit(): Promise<void>
  /** removes the temp (after a failure elsewhere) */
  discard(): Promise<void>
}

/**
 * Writes `text` to a 0600 temp file next to `file` and fsyncs it; commit() puts it in place.
 * `twin` marks a copy of a file that is committed first elsewhere: a twin temp left by a crash
 * holds tokens that live on in that file, so the sweep never revokes them.
 */
export const prepareAtomicWrite = async (file: string, text: string, options: { twin?: boolean } = {}): Promise<PreparedWrite> => {
  const temp = tempPathFor(file, options.twin ?? false)
  let handle: fsp.FileHandle | undefined
  const failed = (error: unknown) => failedIo({ path: file }, { step: 'write' }, error)
  try {
    handle = await fsp.open(temp, O_CREATE, 0o600)
    await makePrivate(temp, 'file', handle)
    await handle.writeFile(text, 'utf8')
    await handle.sync()
    await handle.close()
    handle = undefined
  } catch (error) {
    await handle?.close().catch(() => {})
    await fsp.unlink(temp).catch(() => {})
    throw failed(error)
  }
  return {
    file,
    temp,
    commit: async () => {
      try {
        await replaceFile(temp, file)
      } catch (error) {
        await fsp.unlink(temp).catch(() => {})
        if (isHeldOpen(PLATFORM, error)) {
          throw failedIo({ path: file }, { step: 'replaceHeld', waitedMs: REPLACE_RETRY_MS }, error)
        }
        throw failed(error)
      }
      await fsyncDir(path.dirname(file))
    },
    discard: async () => {
      await fsp.unlink(temp).catch(() => {})
    },
  }
}

/** Writes `text` to `file` atomically with mode 0600 (temp file, fsync, rename, fsync dir). */
export const writeFileAtomic = async (file: string, text: string): Promise<void> => {
  await (await prepareAtomicWrite(file, text)).commit()
}

/**
 * Fails with `local_files` unless a file can be created in `dir` (or, when `dir` does not exist
 * yet, in its nearest existing ancestor, where it would be created). Creating and removing a
 * temp file is the only true test: access(W_OK) says yes to root on a read-only mount.
 */
export const probeWritable = async (dir: string, variable?: string): Promise<void> => {
  let where = path.resolve(dir)
  for (;;) {
    const stat = await fsp.stat(where).catch(() => null)
    if (stat) break
    const parent = path.dirname(where)
    if (parent === where) break
    where = parent
  }
  const probe = tempPathFor(path.join(where, 'omicos-probe'), false)
  try {
    const handle = await fsp.open(probe, O_CREATE, 0o600)
    await handle.close()
  } catch (error) {
    throw failedIo(named(dir, variable), { step: 'writeIn', nearest: where === path.resolve(dir) ? null : where }, error)
  }
  await fsp.unlink(probe).catch(() => {})
}

/** A refresh token's fingerprint: enough to tell its lineage, nothing that could be used as it. */
export const refreshFingerprint = (refreshToken: string): string => createHash('sha256').update(refreshToken).digest('hex').slice(0, 32)

/** True when `pid` names a live process on this host. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return errorCode(error) === 'EPERM'
  }
}
