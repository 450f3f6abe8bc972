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
import { EngineError } from '../client/engine-error.js'
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
  // platform.ts, on Windows
  EACLLEFT: 'others keep access through entries of their own',
  EUNKNOWNUSER: 'whoami did not name the current user',
}

export const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code

export const ioCause = (error: unknown): string => {
  const code = errorCode(error)
  return (code && IO_CAUSES[code]) || (code ? `error ${code}` : 'unexpected error')
}

export const localFiles = (message: string, cause?: unknown) => new EngineError('local_files', message, { cause })

/** A path as a shell would take it, for the commands messages suggest. */
export const quoted = (p: string) => (/^[\w./~@+-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`)

// A credential file is a few KiB; anything far bigger is not one of ours, and is not read whole.
const MAX_PRIVATE_FILE_BYTES = 1 << 20

const { dir: O_DIR, read: O_READ, create: O_CREATE } = OPEN_FLAGS

const symlinkMessage = (p: string) => `${p} is a symbolic link, which omicos does not follow: replace it with a real one or remove it`
const notOwnedMessage = (p: string, uid: number) => `${p} is not owned by you (owner uid ${uid}): omicos keeps credentials only in files and directories of yours`

// --- directories -------------------------------------------------------------------------------

export interface DirCheck {
  /** what the messages call the directory (default: its path) */
  label?: string
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
  const label = check.label ?? dir
  const tighten = check.tighten ?? 'must'
  let handle: fsp.FileHandle
  const before = await lookBeforeOpen(dir).catch(() => undefined)
  if (before === null) return false
  if (before === 'link') throw localFiles(symlinkMessage(label))
  try {
    handle = await fsp.open(dir, O_DIR)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT') return false
    // O_DIRECTORY on a symlink answers ENOTDIR, as on a file: lstat tells them apart.
    const link = code === 'ELOOP' || (code === 'ENOTDIR' && (await fsp.lstat(dir).catch(() => null))?.isSymbolicLink())
    if (link) throw localFiles(symlinkMessage(label), error)
    if (code === 'ENOTDIR') throw localFiles(`${label} is not a directory: move it aside or point omicos at a directory`, error)
    throw localFiles(`cannot open ${label}: ${ioCause(error)}`, error)
  }
  try {
    const stat = await handle.stat()
    if (await openedThroughLink(dir, before, stat)) throw localFiles(symlinkMessage(label))
    if (!stat.isDirectory()) throw localFiles(`${label} is not a directory: move it aside or point omicos at a directory`)
    const uid = ownerUid()
    if (uid !== null && stat.uid !== uid) throw localFiles(notOwnedMessage(label, stat.uid))
    if (tighten === 'no') return true
    try {
      if (await privacyOf(dir, 'dir', stat, quoted)) await makePrivate(dir, 'dir', handle)
    } catch (error) {
      if (tighten === 'must') throw localFiles(`cannot make ${label} private (${PRIVATE_TOOL('dir')}): ${ioCause(error)}`, error)
    }
    return true
  } finally {
    await handle.close().catch(() => {})
  }
}

/** Creates `dir` (and its parents) if needed, then checks it as checkPrivateDir does, tightening it. */
export const ensurePrivateDir = async (dir: string, label = dir): Promise<void> => {
  try {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (error) {
    // EEXIST: a dangling symlink or a file in the way, which the check below names.
    if (errorCode(error) !== 'EEXIST') throw localFiles(`cannot create ${label}: ${ioCause(error)}`, error)
  }
  if (!(await checkPrivateDir(dir, { label, tighten: 'must' }))) throw localFiles(`${label} was removed while omicos was creating it: try again`)
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
    throw localFiles(`cannot read ${file}: ${ioCause(error)}`, error)
  }
  if (before === null) return null
  if (before === 'link') throw localFiles(symlinkMessage(file))
  try {
    handle = await fsp.open(file, O_READ)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    if (code === 'ELOOP' || code === 'EMLINK') throw localFiles(symlinkMessage(file), error)
    // A socket cannot be opened; a FIFO or device with O_NONBLOCK may answer ENXIO too.
    if (code === 'ENXIO' || code === 'EOPNOTSUPP') throw localFiles(`${file} is not a regular file: move it aside, then try again`, error)
    throw localFiles(`cannot read ${file}: ${ioCause(error)}`, error)
  }
  try {
    const stat = await handle.stat()
    if (await openedThroughLink(file, before, stat)) throw localFiles(symlinkMessage(file))
    if (!stat.isFile()) throw localFiles(`${file} is not a regular file: move it aside, then try again`)
    const uid = ownerUid()
    if (uid !== null && stat.uid !== uid) {
      throw localFiles(`${file} is not owned by you (owner uid ${stat.uid}): remove it or restore its owner, then try again`)
    }
    const open = (check.privateMode ?? true) ? await privacyOf(file, 'file', stat, quoted) : null
    if (open) throw localFiles(`${file} ${open.what}: run ${open.fix} (its tokens may have been read by others)`)
    if (stat.size > MAX_PRIVATE_FILE_BYTES) throw localFiles(`${file} is too large to be a file of omicos: move it aside, then try again`)
    return await handle.readFile('utf8')
  } catch (error) {
    if (error instanceof EngineError) throw error
    throw localFiles(`cannot read ${file}: ${ioCause(error)}`, error)
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
    throw localFiles(`cannot remove ${file}: ${ioCause(error)}`, error)
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
  const failed = (error: unknown) => localFiles(`cannot write ${file}: ${ioCause(error)} (the previous file, if any, is unchanged)`, error)
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
          throw localFiles(
            `cannot replace ${file}: another program kept it open for ${REPLACE_RETRY_MS / 1000} s (the previous file is unchanged): close it, then try again`,
            error,
          )
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
export const probeWritable = async (dir: string, label = dir): Promise<void> => {
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
    throw localFiles(`cannot write in ${label}${where === path.resolve(dir) ? '' : ` (nor create it in ${where})`}: ${ioCause(error)}`, error)
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
