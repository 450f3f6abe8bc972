// What dead writers left in a command's directories, cleared before it goes on: their temps
// (the tokens in them queued for revocation, or rolled forward when they continue a login) and
// their locks.
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import type { CredentialFile } from './credential-file.js'
import { EngineError } from '../client/engine-error.js'
import { assertLocksHeld, withLocks } from './lock.js'
import type { StoreLocation } from './locations.js'
import { dirsOf, liveTokens, type Places } from './places.js'
import { fsyncDir, removeFile } from './private-file.js'
import { queueRevocations } from './revocation-queue.js'
import { continuesLogin, continuesRegistration, findTemps, revocationsOf, sweepStaleLocks, type StaleTemp } from './stale-files.js'
import { readCredentialFile } from './stored-credentials.js'

/**
 * Clears what dead writers left in the places' directories: stale temps (their tokens queued
 * for revocation first) and locks. An odd file among them throws. With `bestEffort` (readers),
 * a temp that cannot be queued or removed (a read-only mount) is left for a later command.
 * Resolves to the paths removed.
 */
export const sweep = async (loc: StoreLocation, places: Places, bestEffort: boolean): Promise<string[]> => {
  const staleMs = loc.lock?.staleMs
  const dirs = dirsOf(places)
  const found: StaleTemp[] = []
  for (const dir of dirs) found.push(...(await findTemps(dir, { staleMs })))
  // A renewal's temp that continues its file's login is rolled forward, not revoked; one that
  // cannot be adopted now (its file locked, a read-only mount) is left for a later operation.
  // Never under locks this process holds already (a login about to replace the file): it waits.
  const kept = await adoptRenewals({ ...loc, lock: { ...loc.lock, held: false } }, found)
  const temps = found.filter((temp) => !kept.has(temp.path))
  const removed: string[] = []
  if (temps.length > 0) {
    const owed = revocationsOf(temps, await liveTokens(places))
    let removable = temps
    try {
      await queueRevocations(places.home, owed, loc)
    } catch (error) {
      if (!bestEffort || !(error instanceof EngineError)) throw error
      // Not queued (a read-only home): keep the temps whose tokens would otherwise be lost.
      removable = temps.filter((temp) => revocationsOf([temp], new Set()).length === 0)
    }
    for (const temp of removable) {
      try {
        if (await removeFile(temp.path)) removed.push(temp.path)
      } catch (error) {
        if (!bestEffort || !(error instanceof EngineError)) throw error
      }
    }
  }
  for (const dir of dirs) removed.push(...(await sweepStaleLocks(dir, { staleMs })))
  return removed
}

/**
 * Rolls forward the temps of renewals and process registrations whose writer died after the
 * new tokens reached the disk and before the rename: a whole credential file continuing the
 * refresh token its target holds, or holding a later registration of its process
 * (stale-files.ts continuesLogin, continuesRegistration) is renamed over it, under the target's lock. Resolves to the
 * temps adopted or left for later (the lock busy, the rename refused): none of them is revoked.
 */
export const adoptRenewals = async (loc: StoreLocation, temps: StaleTemp[]): Promise<Set<string>> => {
  const kept = new Set<string>()
  for (const temp of temps) {
    const target = path.join(path.dirname(temp.path), temp.name.target)
    const stored = await readCredentialFile(target).catch(() => null)
    const continues = (c: CredentialFile) => continuesLogin(temp.text, c) || continuesRegistration(temp.text, c)
    if (!stored || !continues(stored.credentials)) continue
    kept.add(temp.path)
    try {
      await withLocks([target], loc.lock?.held ? loc.lock : { ...loc.lock, waitMs: 0, purpose: 'renew' }, async () => {
        const now = await readCredentialFile(target)
        if (!now || !continues(now.credentials)) return
        await assertLocksHeld([target])
        await fsp.rename(temp.path, target)
        await fsyncDir(path.dirname(target))
      })
    } catch {
      // Held by a live writer, or a read-only mount: the temp stays, whole, for the next operation.
    }
  }
  return kept
}
