// Mending twins that a crash between their renames left different (twins.ts).
import { assertLocksHeld, withLocks } from './lock.js'
import type { StoreLocation } from './locations.js'
import { prepareAtomicWrite } from './private-file.js'
import { readStoreStatus } from './store-status.js'
import { readCredentialFile } from './stored-credentials.js'
import { compareTwins } from './twins.js'

/**
 * Mends twins that differ (see TwinReport) by copying the one with the later registration over
 * the other, under both locks and only if neither changed meanwhile. Resolves to the files
 * rewritten (none when they agree or which is newer cannot be told).
 */
export const repairTwins = async (loc: StoreLocation = {}): Promise<string[]> => {
  const { twins } = await readStoreStatus(loc)
  if (!twins?.newer) return []
  return withLocks([twins.global, twins.workspace], { purpose: 'repair', ...loc.lock }, async () => {
    const global = await readCredentialFile(twins.global)
    const workspace = await readCredentialFile(twins.workspace)
    const now = compareTwins(global, workspace)
    if (!now?.newer || !global || !workspace) return []
    const [from, to] = now.newer === 'global' ? [global, workspace] : [workspace, global]
    // A twin temp: what it holds lives on in `from`, so a crash here never gets it revoked.
    const write = await prepareAtomicWrite(to.path, from.text, { twin: true })
    try {
      await assertLocksHeld([to.path])
    } catch (error) {
      await write.discard()
      throw error
    }
    await write.commit()
    return [to.path]
  })
}
