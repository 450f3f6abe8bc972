// What a writer that died leaves behind, found and cleared by the next store operation:
// - temp files (`.<file>.<pid>.<host>.<random>.tmp`) whose writer is dead (its pid, judged
//   only when the name's tag is this host's, boot's and PID namespace's: process-identity.ts),
//   or that are older than the lock's stale threshold while no live process holds the lock of
//   their file (a writer in another container, slowed down, is still at work). A temp is a whole or partial
//   credential file: its tokens, unless a credential file still holds them or it is a twin
//   (a copy of a file already in place elsewhere), are handed to the revocation queue before
//   the temp is removed, so no secret outlives its writer unrevoked;
// - stale locks (lock.ts: no heartbeat, or a holder known dead), and the `.stale` names a
//   lock take-over moves locks to, once older than a take-over lasts.
// Only names of these forms are looked at. Any of them that is not a regular file of ours
// (a FIFO, a socket, a directory, a symlink) is refused with `local_files`, never opened for
// long, followed or removed.
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { defaultStaleMs, liveHolderOf, removeStaleLock } from './lock.js'
import { errorCode, failedIo, HOST_TAG, isAlive, parseTempName, readPrivateText, removeFile, type TempName, unsafeFile } from './private-file.js'
import { pidJudgeable } from './process-identity.js'
import type { Revocation } from './revocation-queue.js'
import { parseCredentialFile, type CredentialFile } from './credential-file.js'
import { refreshFingerprint } from './private-file.js'

export interface StaleTemp {
  path: string
  name: TempName
  /** its contents, for the tokens in them */
  text: string
}

export interface SweepOptions {
  /** temps older than this are stale whoever wrote them (default: the lock's, 30 s) */
  staleMs?: number
  /** the locks' own stale threshold in this directory (default: staleMs) */
  lockStaleMs?: number
  now?: number
}

const STALE_LOCK_ASIDE = /\.lock\.(\d{1,10})\.[0-9a-f]{8}\.stale$/

const listDir = async (dir: string): Promise<string[]> => {
  try {
    return await fsp.readdir(dir)
  } catch (error) {
    const code = errorCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw failedIo({ path: dir }, { step: 'list' }, error)
  }
}

/** Whether a live process other than this one holds the lock of `file` (its writer may be at work). */
const heldByAnother = async (file: string, staleMs: number): Promise<boolean> => {
  const holder = await liveHolderOf(file, staleMs).catch(() => null)
  return holder !== null && !(holder.pid === process.pid && pidJudgeable(holder))
}

const ageOf = async (file: string, now: number): Promise<number | null> => {
  const stat = await fsp.lstat(file).catch(() => null)
  return stat ? now - stat.mtimeMs : null
}

/** Temps in `dir` (checked by the caller) whose writer is gone, or every temp with `all`. */
export const findTemps = async (dir: string, options: SweepOptions & { all?: boolean } = {}): Promise<StaleTemp[]> => {
  const staleMs = options.staleMs ?? defaultStaleMs()
  const lockStaleMs = options.lockStaleMs ?? staleMs
  const now = options.now ?? Date.now()
  const found: StaleTemp[] = []
  for (const entry of (await listDir(dir)).sort()) {
    const name = parseTempName(entry)
    if (!name) continue
    const file = path.join(dir, entry)
    if (!options.all) {
      const age = await ageOf(file, now)
      if (age === null) continue
      const judgeable = name.hostTag === HOST_TAG
      const writerGone = judgeable && name.pid !== process.pid && !isAlive(name.pid)
      // A writer known alive is at work, however old its temp looks: the file's time is the
      // kernel's (or a file server's), the age is judged on this process's clock.
      if (judgeable && !writerGone) continue
      if (!(writerGone || age > staleMs)) continue
      if (!writerGone && (await heldByAnother(path.join(dir, name.target), lockStaleMs))) continue
    }
    // Checked like any private file (no link, regular, ours) but whatever its mode: it goes.
    const text = await readPrivateText(file, { privateMode: false })
    if (text === null) continue
    found.push({ path: file, name, text })
  }
  return found
}

/** What a temp of a credential file would have revoked: its server, account and tokens. */
export const tokensOfTemp = (text: string): { server: string; accountId: string | null; tokens: string[] } | null => {
  let data: Record<string, unknown> | null = null
  try {
    const parsed = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed
  } catch {
    data = null
  }
  const field = (key: string): string | null => {
    if (data) return typeof data[key] === 'string' ? (data[key] as string) : null
    // A writer killed mid-write leaves a prefix of the file: take the fields that are whole.
    const match = new RegExp(`"${key}":\\s*"([^"\\\\]*)"`).exec(text)
    return match ? match[1]! : null
  }
  const server = field('server')
  if (!server) return null
  const tokens = ['refresh_token', 'user_token', 'process_token'].map(field).filter((t): t is string => Boolean(t))
  const user = data?.user as Record<string, unknown> | undefined
  const accountId = typeof user?.account_id === 'string' ? user.account_id : (/"account_id":\s*"([^"\\]*)"/.exec(text)?.[1] ?? null)
  return tokens.length ? { server, accountId, tokens } : null
}

/**
 * The adoption rule: a temp is the next state of the login in `stored` when it is a whole
 * credential file of the same server, account and process, renewed from the refresh token
 * `stored` holds (its `renewed_from`). Such a temp holds the only live tokens of that login
 * once the server rotated the refresh token: it is renamed into place, never revoked.
 */
export const continuesLogin = (text: string, stored: CredentialFile): boolean => {
  let temp: CredentialFile
  try {
    temp = parseCredentialFile(text, 'temp')
  } catch {
    return false
  }
  return (
    temp.renewed_from !== undefined &&
    stored.refresh_token !== null &&
    temp.renewed_from === refreshFingerprint(stored.refresh_token) &&
    temp.refresh_token !== stored.refresh_token &&
    temp.server === stored.server &&
    temp.user.account_id === stored.user.account_id &&
    temp.process_id === stored.process_id
  )
}

/**
 * The same rule for a process-token refresh: a whole credential file of the same server,
 * account, process and grant (user and refresh tokens unchanged) holding a later registration
 * than `stored`. Its writer died between the registration's answer and the rename; the server
 * replaced the stored process token with the temp's, so the temp holds the live one.
 */
export const continuesRegistration = (text: string, stored: CredentialFile): boolean => {
  let temp: CredentialFile
  try {
    temp = parseCredentialFile(text, 'temp')
  } catch {
    return false
  }
  const at = (c: CredentialFile) => (c.process_registered_at === null ? Number.NaN : Date.parse(c.process_registered_at))
  return (
    temp.server === stored.server &&
    temp.user.account_id === stored.user.account_id &&
    temp.process_id === stored.process_id &&
    temp.user_token === stored.user_token &&
    temp.refresh_token === stored.refresh_token &&
    temp.process_token !== stored.process_token &&
    at(temp) > at(stored)
  )
}

/** The revocations owed for `temps`: not twins, and not tokens a credential file still holds. */
export const revocationsOf = (temps: StaleTemp[], liveTokens: Set<string>): Revocation[] => {
  const out: Revocation[] = []
  for (const temp of temps) {
    if (temp.name.twin) continue
    const found = tokensOfTemp(temp.text)
    if (!found) continue
    const tokens = found.tokens.filter((t) => !liveTokens.has(t))
    if (tokens.length) out.push({ server: found.server, tokens })
  }
  return out
}

/** Removes `temps`; the paths removed. */
export const removeTemps = async (temps: StaleTemp[]): Promise<string[]> => {
  const removed: string[] = []
  for (const temp of temps) if (await removeFile(temp.path)) removed.push(temp.path)
  return removed
}

/** Removes the locks of dead writers in `dir`, and lock take-over leftovers; the paths removed. */
export const sweepStaleLocks = async (dir: string, options: SweepOptions = {}): Promise<string[]> => {
  const lockStaleMs = options.lockStaleMs ?? options.staleMs ?? defaultStaleMs()
  const now = options.now ?? Date.now()
  const removed: string[] = []
  for (const entry of await listDir(dir)) {
    const file = path.join(dir, entry)
    // Only locks of omicos files: a workspace's `.omicos` may hold others' files.
    if (/\.json\.lock$/.test(entry)) {
      if (await removeStaleLock(file, lockStaleMs)) removed.push(file)
      continue
    }
    const aside = STALE_LOCK_ASIDE.exec(entry)
    if (!aside) continue
    const age = await ageOf(file, now)
    if (age === null) continue
    // Its pid says nothing of the namespace it lives in: only its age decides, and a take-over
    // lasts milliseconds.
    if (age > Math.min(lockStaleMs, 10_000)) {
      const stat = await fsp.lstat(file).catch(() => null)
      if (stat && !stat.isFile()) throw unsafeFile({ path: file }, { problem: 'notRegular' })
      // A leftover that cannot be removed now (a read-only mount) is for a later command.
      if (stat && (await removeFile(file).catch(() => false))) removed.push(file)
    }
  }
  return removed
}
