// Tokens waiting to be revoked: those of temp files whose writer died (a login killed while it
// wrote its credentials), which no credential file holds and which would otherwise stay valid
// for their whole lifetime. The store finds them offline (stale-files.ts); the next operation
// that goes online takes them (takePendingRevocations), revokes them, and puts back what the
// server could not be asked about (putBackRevocations).
//
// `<home>/revocations.json`, 0600 in the 0700 home: it holds live tokens, so it has the
// credential files' rules (private-file.ts) and its own lock.
import path from 'node:path'
import { withLocks } from './lock.js'
import { homeOf, type StoreLocation } from './locations.js'
import { checkPrivateDir, ensurePrivateDir, readPrivateText, removeFile, writeFileAtomic } from './private-file.js'

export const REVOCATION_FILE = 'revocations.json'

export interface Revocation {
  /** the server that issued the tokens (a credential file's `server`) */
  server: string
  tokens: string[]
}

/** `entries` with one entry a server and no token twice, in first-seen order. */
export const mergeRevocations = (...lists: Revocation[][]): Revocation[] => {
  const byServer = new Map<string, Set<string>>()
  for (const list of lists) {
    for (const { server, tokens } of list) {
      const set = byServer.get(server) ?? new Set<string>()
      for (const token of tokens) if (token) set.add(token)
      byServer.set(server, set)
    }
  }
  return [...byServer].filter(([, set]) => set.size > 0).map(([server, set]) => ({ server, tokens: [...set] }))
}

const isRevocation = (value: unknown): value is Revocation =>
  Boolean(value) &&
  typeof (value as Revocation).server === 'string' &&
  Array.isArray((value as Revocation).tokens) &&
  (value as Revocation).tokens.every((t) => typeof t === 'string')

const readQueue = async (file: string): Promise<Revocation[]> => {
  const text = await readPrivateText(file)
  if (text === null) return []
  try {
    const data = JSON.parse(text)
    return Array.isArray(data?.entries) ? mergeRevocations(data.entries.filter(isRevocation)) : []
  } catch {
    // Contents no program of ours wrote: nothing in them can be trusted to be a token of ours.
    return []
  }
}

const serialize = (entries: Revocation[]) => `${JSON.stringify({ version: 1, entries }, null, 2)}\n`

/** Adds `entries` to the queue in `home` (created if needed). */
export const queueRevocations = async (home: string, entries: Revocation[], loc: StoreLocation = {}): Promise<void> => {
  const merged = mergeRevocations(entries)
  if (merged.length === 0) return
  await ensurePrivateDir(home)
  const file = path.join(home, REVOCATION_FILE)
  await withLocks([file], loc.lock, async () => {
    await writeFileAtomic(file, serialize(mergeRevocations(await readQueue(file), merged)))
  })
}

/**
 * Takes every queued revocation out of the queue: the caller revokes them and puts back, with
 * putBackRevocations, those it could not. Reads no server; an empty list when none is queued.
 */
export const takePendingRevocations = async (loc: StoreLocation = {}): Promise<Revocation[]> => {
  const home = homeOf(loc)
  if (!(await checkPrivateDir(home, { tighten: 'try' }))) return []
  const file = path.join(home, REVOCATION_FILE)
  if ((await readPrivateText(file)) === null) return []
  return withLocks([file], loc.lock, async () => {
    const entries = await readQueue(file)
    await removeFile(file)
    return entries
  })
}

/** Puts revocations that could not be done back in the queue, for the next online operation. */
export const putBackRevocations = (loc: StoreLocation, entries: Revocation[]): Promise<void> => queueRevocations(homeOf(loc), entries, loc)
