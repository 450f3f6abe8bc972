// The one place of the store that knows the platform; private-file.ts asks it, and nothing else
// of the engine branches on process.platform for files.
//
// POSIX (Linux, macOS): opens refuse links by O_NOFOLLOW and never wait (O_NONBLOCK); privacy
// is modes 0600/0700, set with fchmod on the open handle and read from fstat; a file is yours
// by its uid; a rename replaces a file whoever has it open.
//
// Windows: fs.constants has no O_NOFOLLOW, O_DIRECTORY or O_NONBLOCK (an `|` with them would
// silently drop them), modes read 0666 whatever was set, and there is no uid. So:
// - links and junctions (lstat reports both as symbolic links) are refused by lstat before the
//   open, then by comparing what was opened with what lstat saw (same file id) and with the
//   final path of the name (a link swapped in between, or one lstat does not see, resolves
//   elsewhere);
// - privacy is an ACL naming the current user alone (windows-acl.ts), set and read with the
//   system's icacls;
// - a rename over a file that another process has open is refused (EPERM, EBUSY or EACCES)
//   until it closes it, so replacing is retried for a bounded time (REPLACE_RETRY_MS).
import { constants as FS, promises as fsp, realpath, type Stats } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import pRetry from 'p-retry'
import type { FileOpenness } from '../../machines/failure.js'
import { othersAllowed, parseIcacls, parseWhoami, privateAclArgs, privateAclCommand, WHOAMI_ARGS, type AclEntry, type WindowsUser } from './windows-acl.js'

export type StorePlatform = 'posix' | 'windows'

export const platformOf = (nodePlatform: NodeJS.Platform = process.platform): StorePlatform => (nodePlatform === 'win32' ? 'windows' : 'posix')

export const PLATFORM: StorePlatform = platformOf()

export interface OpenFlags {
  /** a directory, to fstat and fsync it */
  dir: number
  /** a file to read */
  read: number
  /** a new file, refused when the name exists */
  create: number
  /** the same, also to read back (the lock) */
  createReadWrite: number
}

type Constants = Partial<Record<'O_RDONLY' | 'O_WRONLY' | 'O_RDWR' | 'O_CREAT' | 'O_EXCL' | 'O_NOFOLLOW' | 'O_DIRECTORY' | 'O_NONBLOCK', number>>

/**
 * The open flags of `platform`, from `constants` (fs.constants of the running Node). On POSIX a
 * missing flag throws rather than being dropped by `|`: without O_NOFOLLOW an open follows links.
 */
export const openFlagsFor = (platform: StorePlatform, constants: Constants = FS): OpenFlags => {
  const c = (name: keyof Constants): number => {
    const value = constants[name]
    if (typeof value !== 'number') throw new Error(`fs.constants.${name} is missing on this platform`)
    return value
  }
  if (platform === 'windows') {
    const create = c('O_CREAT') | c('O_EXCL')
    return { dir: c('O_RDONLY'), read: c('O_RDONLY'), create: c('O_WRONLY') | create, createReadWrite: c('O_RDWR') | create }
  }
  const create = c('O_CREAT') | c('O_EXCL') | c('O_NOFOLLOW')
  return {
    dir: c('O_RDONLY') | c('O_DIRECTORY') | c('O_NOFOLLOW') | c('O_NONBLOCK'),
    read: c('O_RDONLY') | c('O_NOFOLLOW') | c('O_NONBLOCK'),
    create: c('O_WRONLY') | create,
    createReadWrite: c('O_RDWR') | create,
  }
}

export const OPEN_FLAGS = openFlagsFor(PLATFORM)

/** The uid files must belong to, or null where files have no uid (Windows). */
export const ownerUid = (): number | null => (PLATFORM === 'posix' && typeof process.getuid === 'function' ? process.getuid() : null)

/**
 * Whether a directory can be opened and fsynced: on Windows a directory opens read-only, and
 * FlushFileBuffers refuses a read-only handle (NTFS journals the rename itself).
 */
export const SYNCS_DIRECTORIES = PLATFORM === 'posix'

// --- paths -------------------------------------------------------------------------------------

/** `dir` and every folder above it, up to the root: `/`, a drive (`C:\`) or a share (`\\srv\share\`). */
export const ancestorsOf = (dir: string, p: path.PlatformPath = path): string[] => {
  const out: string[] = []
  let current = p.resolve(dir)
  for (;;) {
    out.push(current)
    const parent = p.dirname(current)
    if (parent === current) return out
    current = parent
  }
}

/**
 * Whether `finalPath` (the real path of a name) is the name itself, `base` inside the real path
 * of its folder: false when the name is a link or junction to something else. Windows names
 * compare without case, as NTFS does.
 */
export const isFinalPathOf = (platform: StorePlatform, finalPath: string, dirFinalPath: string, base: string): boolean => {
  const p = platform === 'windows' ? path.win32 : path.posix
  const expected = p.join(dirFinalPath, base)
  return platform === 'windows' ? finalPath.toLowerCase() === expected.toLowerCase() : finalPath === expected
}

/**
 * A real path that is the same for every spelling of a folder: on Windows the file system's own
 * (its case, its drive letter; `C:\Work` and `c:\work` are one folder there), elsewhere realpath.
 */
export const realPath = (p: string): Promise<string> => (PLATFORM === 'windows' ? finalPathOf(p) : fsp.realpath(p))

// GetFinalPathNameByHandle on Windows (fs.promises has no native realpath).
const finalPathOf = promisify(realpath.native)

// --- links (Windows) ---------------------------------------------------------------------------

/** What lstat saw before an open: null when nothing is there, 'link' for a link or junction. */
export type BeforeOpen = Stats | 'link' | null

/**
 * On Windows, lstat of `target` before it is opened (see BeforeOpen); on POSIX undefined, since
 * O_NOFOLLOW refuses a link in the open itself.
 */
export const lookBeforeOpen = async (target: string): Promise<BeforeOpen | undefined> => {
  if (PLATFORM === 'posix') return undefined
  try {
    const stat = await fsp.lstat(target)
    return stat.isSymbolicLink() ? 'link' : stat
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return null
    throw error
  }
}

/**
 * On Windows, whether what was opened at `target` is not the entry lstat saw there (a link
 * swapped in between: another file id) or is reached through a link lstat does not report (its
 * final path is elsewhere). Always false on POSIX.
 */
export const openedThroughLink = async (target: string, before: BeforeOpen | undefined, opened: Stats): Promise<boolean> => {
  if (PLATFORM === 'posix' || before === undefined || before === null || before === 'link') return false
  if (before.ino !== opened.ino || before.dev !== opened.dev) return true
  try {
    const [finalPath, dirFinalPath] = await Promise.all([finalPathOf(target), finalPathOf(path.dirname(target))])
    return !isFinalPathOf('windows', finalPath, dirFinalPath, path.basename(target))
  } catch {
    return true
  }
}

// --- privacy -----------------------------------------------------------------------------------

/**
 * Why a file or folder is not private: its mode and the one wanted (POSIX), or who else its ACL
 * lets in (Windows); and `fix`, the command that makes it so (`chmod 600 /path`, `icacls …`).
 */
export type NotPrivate = FileOpenness & { fix: string }

/** POSIX: the verdict on a mode. */
export const modePrivacy = (target: string, kind: 'dir' | 'file', mode: number, quote: (p: string) => string): NotPrivate | null => {
  const bits = mode & 0o777
  if (!(bits & 0o077)) return null
  const wanted = kind === 'dir' ? '0700' : '0600'
  return { mode: bits.toString(8).padStart(4, '0'), wanted, fix: `chmod ${wanted.slice(1)} ${quote(target)}` }
}

/** Windows: the verdict on an ACL as icacls printed it (null: none printed, nothing to judge). */
export const aclPrivacy = (target: string, kind: 'dir' | 'file', entries: AclEntry[] | null, user: WindowsUser): NotPrivate | null => {
  if (entries === null) return null
  const others = othersAllowed(entries, user)
  if (others.length === 0) return null
  return { others, fix: privateAclCommand(target, kind, user) }
}

const SYSTEM_ROOT = () => process.env.SystemRoot ?? process.env.windir ?? 'C:\\Windows'
// Full paths: a folder of the PATH (or the current one, which cmd searches first) must not be
// able to answer for these tools.
const systemTool = (name: string) => path.win32.join(SYSTEM_ROOT(), 'System32', name)

/**
 * Runs a system tool; its output, read byte for byte (latin1: both tools print the console's code
 * page). child_process is loaded here, when first needed (on Windows only): loading it takes a
 * few milliseconds of every start elsewhere (scripts/bench-startup.mjs).
 */
const runTool = async (file: string, args: string[]): Promise<string> => {
  const { execFile } = await import('node:child_process')
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'latin1', windowsHide: true, timeout: 10_000, maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) reject(error)
      else resolve(stdout)
    })
  })
}

let currentUser: Promise<WindowsUser> | undefined

/** The current Windows user (whoami, once a process). */
export const windowsUser = (): Promise<WindowsUser> => {
  currentUser ??= runTool(systemTool('whoami.exe'), WHOAMI_ARGS).then((text) => {
    const user = parseWhoami(text)
    if (!user) throw Object.assign(new Error('whoami named no user'), { code: 'EUNKNOWNUSER' })
    return user
  })
  currentUser.catch(() => (currentUser = undefined))
  return currentUser
}

const readAcl = async (target: string): Promise<AclEntry[] | null> => parseIcacls(await runTool(systemTool('icacls.exe'), [target]), target)

/**
 * Why `target` is not private (see NotPrivate), or null when it is. `stat` is its fstat.
 * Windows reads the ACL with icacls; a failure to read it throws.
 */
export const privacyOf = async (target: string, kind: 'dir' | 'file', stat: Stats, quote: (p: string) => string): Promise<NotPrivate | null> => {
  if (PLATFORM === 'posix') return modePrivacy(target, kind, stat.mode, quote)
  const user = await windowsUser()
  return aclPrivacy(target, kind, await readAcl(target), user)
}

/** How failures name the step that makes a file or folder private (a command, said as it is). */
export const PRIVATE_TOOL = (kind: 'dir' | 'file') => (PLATFORM === 'windows' ? 'icacls' : kind === 'dir' ? 'chmod 700' : 'chmod 600')

/**
 * Makes `target` private: fchmod through `handle` on POSIX (a creation mode passes through the
 * umask), an ACL for the current user alone on Windows. Throws what failed.
 */
export const makePrivate = async (target: string, kind: 'dir' | 'file', handle: fsp.FileHandle): Promise<void> => {
  if (PLATFORM === 'posix') return handle.chmod(kind === 'dir' ? 0o700 : 0o600)
  const user = await windowsUser()
  await runTool(systemTool('icacls.exe'), privateAclArgs(target, kind, user))
  // A new file has no entry but what it inherited, which /inheritance:r removed. A folder that
  // was there may hold an explicit entry of someone else, which /grant:r does not remove: that
  // has to be said, not left.
  if (kind === 'file') return
  const left = aclPrivacy(target, kind, await readAcl(target), user)
  if (left) throw Object.assign(new Error(`EACLLEFT: ${target}`), { code: 'EACLLEFT' })
}

// --- replacing ---------------------------------------------------------------------------------

/** How long a replace waits for other processes to close the file on Windows. */
export const REPLACE_RETRY_MS = 5_000

const HELD_OPEN = new Set(['EPERM', 'EBUSY', 'EACCES'])

/** Whether a rename failed because another process has the file open (Windows only). */
export const isHeldOpen = (platform: StorePlatform, error: unknown): boolean =>
  platform === 'windows' && HELD_OPEN.has((error as NodeJS.ErrnoException | undefined)?.code ?? '')

/**
 * Renames `temp` over `file`. On Windows a rename refused because the file is open elsewhere (the
 * daemon reading it) is retried with backoff for up to REPLACE_RETRY_MS, by p-retry: graceful-fs
 * (fs-extra's rename) retries only while the target does not exist, and gives up at once on a
 * target held open, which is the case here.
 */
export const replaceFile = (temp: string, file: string, retryMs = REPLACE_RETRY_MS): Promise<void> => {
  if (PLATFORM === 'posix') return fsp.rename(temp, file)
  return pRetry(() => fsp.rename(temp, file), {
    retries: 1_000,
    minTimeout: 20,
    maxTimeout: 250,
    factor: 1.5,
    maxRetryTime: retryMs,
    shouldRetry: ({ error }) => isHeldOpen('windows', error),
  })
}
