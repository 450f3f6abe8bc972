// A device pairing that is still waiting for approval, kept as the machine's persisted
// snapshot so the next `omicos cli login` for the same server and workspace continues with the
// same code. The snapshot holds the device code, so it lives under the omicOS home with the
// credential files' rules: 0600 in 0700 directories (the home and `pending/`, both checked),
// written atomically, never printed. A link or an odd file where it or its claim should be is
// refused (`local_files`), never followed or waited on; contents that do not parse are dropped.
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { engineError } from '../client/engine-error.js'
import { acquireLock, LockHeldError } from './lock.js'
import { ensurePrivateDir, readPrivateText, removeFile, writeFileAtomic } from './private-file.js'
import { findTemps, removeTemps, sweepStaleLocks } from './stale-files.js'

export interface PairingScope {
  server: string
  workspaceRoot: string
  workspaceOnly: boolean
}

// A claim outlives any pairing code (10 min by default); only a dead owner frees it early.
const CLAIM_NEVER_STALE_MS = 24 * 3_600_000

export function createPendingPairings(home: string, scope: PairingScope, now: () => number = Date.now) {
  const key = createHash('sha256')
    .update(JSON.stringify([scope.server, scope.workspaceRoot, scope.workspaceOnly]))
    .digest('hex')
    .slice(0, 16)
  const dir = path.join(home, 'pending')
  const file = path.join(dir, `device-${key}.json`)
  const enter = async () => {
    await ensurePrivateDir(home)
    await ensurePrivateDir(dir)
    // A snapshot's temp holds a device code, no token: removed without revoking anything.
    await removeTemps(await findTemps(dir))
    await sweepStaleLocks(dir, { lockStaleMs: CLAIM_NEVER_STALE_MS })
  }
  const drop = () => removeFile(file).catch(() => false)
  return {
    file,
    /**
     * Claims the pairing for this run. Two runs polling one code would together poll faster
     * than its interval, so a second run is refused while the first is alive; the claim of a
     * run that died is taken over. Resolves to its release.
     */
    claim: async (): Promise<() => Promise<void>> => {
      await enter()
      try {
        return await acquireLock(file, { waitMs: 0, staleMs: CLAIM_NEVER_STALE_MS })
      } catch (error) {
        if (!(error instanceof LockHeldError)) throw error
        throw engineError('lockPairing', { path: file }, error)
      }
    },
    /** The saved snapshot, or null; one that does not parse or whose code died is dropped. */
    read: async (): Promise<unknown | null> => {
      const text = await readPrivateText(file)
      if (text === null) return null
      try {
        const snapshot = JSON.parse(text) as { status?: string; value?: unknown; context?: { pairing?: { deadline?: unknown } | null } }
        if (snapshot.status !== 'active') return null
        // A code that died while nobody was running is no use to resume: the next run asks for a new one.
        if (!(typeof snapshot.context?.pairing?.deadline === 'number' && snapshot.context.pairing.deadline > now())) {
          await drop()
          return null
        }
        return snapshot
      } catch {
        await drop()
        return null
      }
    },
    write: async (snapshot: unknown): Promise<void> => {
      await ensurePrivateDir(dir)
      await writeFileAtomic(file, JSON.stringify(snapshot))
    },
    remove: async (): Promise<void> => {
      await drop()
    },
  }
}

/**
 * The servers of the pairings still waiting in this workspace (and mode), whichever server
 * they were started with, soonest-dying last: what `omicos cli login` without `--server`
 * continues rather than start afresh with the default server. Files that do not read, or whose
 * code died, are skipped (the run that picks them up drops them).
 */
export async function pendingPairingServers(home: string, scope: Omit<PairingScope, 'server'>, now: () => number = Date.now): Promise<string[]> {
  const dir = path.join(home, 'pending')
  let names: string[]
  try {
    names = (await readdir(dir)).filter((name) => /^device-[0-9a-f]{16}\.json$/.test(name))
  } catch {
    return []
  }
  const found: Array<{ server: string; deadline: number }> = []
  for (const name of names) {
    try {
      const text = await readPrivateText(path.join(dir, name))
      if (text === null) continue
      const snapshot = JSON.parse(text) as { status?: string; context?: { input?: { server?: unknown }; pairing?: { deadline?: unknown } | null } }
      const server = snapshot.context?.input?.server
      const deadline = snapshot.context?.pairing?.deadline
      if (snapshot.status !== 'active' || typeof server !== 'string' || typeof deadline !== 'number' || deadline <= now()) continue
      // Only a pairing of this workspace and mode: its file name is the hash of exactly that.
      if (createPendingPairings(home, { ...scope, server }).file !== path.join(dir, name)) continue
      found.push({ server, deadline })
    } catch {
      // unreadable: not ours to judge here
    }
  }
  return found.sort((a, b) => b.deadline - a.deadline).map((entry) => entry.server)
}
