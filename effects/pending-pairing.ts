// A device pairing that is still waiting for approval, kept as the machine's persisted
// snapshot so the next `omicos cli login` for the same server and workspace continues with the
// same code. The snapshot holds the device code, so it lives under the omicOS home with the
// credential files' rules: 0600 in a 0700 directory, written atomically, never printed.
import { createHash } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { ensurePrivateDir, readPrivateText, writeFileAtomic } from './credential-store.js'

export interface PairingScope {
  server: string
  workspaceRoot: string
  workspaceOnly: boolean
}

export function createPendingPairings(home: string, scope: PairingScope, now: () => number = Date.now) {
  const key = createHash('sha256')
    .update(JSON.stringify([scope.server, scope.workspaceRoot, scope.workspaceOnly]))
    .digest('hex')
    .slice(0, 16)
  const dir = path.join(home, 'pending')
  const file = path.join(dir, `device-${key}.json`)
  return {
    file,
    /** The saved snapshot, or null; an unreadable one is dropped rather than trusted. */
    read: async (): Promise<unknown | null> => {
      const text = await readPrivateText(file).catch(async () => {
        await fsp.unlink(file).catch(() => {})
        return null
      })
      if (text === null) return null
      try {
        const snapshot = JSON.parse(text) as { status?: string; value?: unknown; context?: { deadline?: unknown } }
        if (snapshot.status !== 'active') return null
        // A code that died while nobody was running is no use to resume: the next run asks for a new one.
        if (!(typeof snapshot.context?.deadline === 'number' && snapshot.context.deadline > now())) {
          await fsp.unlink(file).catch(() => {})
          return null
        }
        return snapshot
      } catch {
        await fsp.unlink(file).catch(() => {})
        return null
      }
    },
    write: async (snapshot: unknown): Promise<void> => {
      await ensurePrivateDir(dir)
      await writeFileAtomic(file, JSON.stringify(snapshot))
    },
    remove: async (): Promise<void> => {
      await fsp.unlink(file).catch(() => {})
    },
  }
}
