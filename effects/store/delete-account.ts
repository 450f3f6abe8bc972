// What logout removes: every credential file of one account in a command's places, and the
// temps of that account, with the tokens they held to revoke.
import { withLocks } from './lock.js'
import type { StoreLocation } from './locations.js'
import { dirsOf, enter, liveTokens } from './places.js'
import { removeFile } from './private-file.js'
import { mergeRevocations, type Revocation } from './revocation-queue.js'
import { findTemps, removeTemps, revocationsOf, tokensOfTemp, type StaleTemp } from './stale-files.js'
import { readCredentialFile, tokensOf } from './stored-credentials.js'
import { sweep } from './sweep.js'

export interface DeleteOutcome {
  /** the credential files removed */
  removed: string[]
  /**
   * The tokens of the account's temp files, removed too (a login of it killed while writing,
   * or still writing): revoke them, and put back with putBackRevocations what could not be.
   */
  revocations: Revocation[]
  /**
   * The tokens the removed files held, read under their locks: a daemon may have registered
   * a process, or renewed, after the logout first read them. Revoke those too.
   */
  held: Revocation[]
}

/**
 * Removes every credential file (the global one and the current workspace's) whose account is
 * `accountId`, and no other, and every temp file of that account in their directories.
 */
export const deleteByAccount = async (loc: StoreLocation, accountId: string): Promise<DeleteOutcome> => {
  const places = await enter(loc, 'try')
  await sweep(loc, places, false)
  const candidates = [...(places.homeExists ? [places.globalPath] : []), ...(places.workspace && places.workspaceExists ? [places.workspace.path] : [])]
  return withLocks(candidates, { purpose: 'logout', ...loc.lock }, async () => {
    const removed: string[] = []
    const held: Revocation[] = []
    for (const file of candidates) {
      const stored = await readCredentialFile(file)
      if (stored?.credentials.user.account_id !== accountId) continue
      await removeFile(file)
      removed.push(file)
      held.push({ server: stored.credentials.server, tokens: tokensOf(stored.credentials) })
    }
    const temps: StaleTemp[] = []
    for (const dir of dirsOf(places)) {
      for (const temp of await findTemps(dir, { all: true })) if (tokensOfTemp(temp.text)?.accountId === accountId) temps.push(temp)
    }
    const live = await liveTokens(places)
    // Twins too: the file they copy is gone with this account.
    const revocations = mergeRevocations(
      revocationsOf(
        temps.map((t) => ({ ...t, name: { ...t.name, twin: false } })),
        live,
      ),
    )
    await removeTemps(temps)
    return { removed, revocations, held: mergeRevocations(held) }
  })
}
