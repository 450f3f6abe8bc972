// Rewriting credential files in place, each only while it still holds what was read: a
// renewal, a process-token refresh, a process token marked as replaced.
import { serializeCredentialFile, type CredentialFile } from './credential-file.js'
import { withLocks } from './lock.js'
import { homeOf, type StoreLocation } from './locations.js'
import { loginLockTargets } from './login-targets.js'
import { readCredentialFile } from './stored-credentials.js'
import { writeTwins } from './twins.js'

/**
 * Replaces the credentials in `files` (already locked by the caller) with `credentials`, each
 * only if it still holds `expectedText`; workspace files are renamed first (twins.ts).
 * Used by the resolver's process-token refresh and by markProcessReplaced.
 */
export const rewriteIfUnchanged = async (files: string[], expectedText: string, credentials: CredentialFile, loc: StoreLocation = {}): Promise<string[]> =>
  rewriteTextIfUnchanged(files, expectedText, serializeCredentialFile(credentials), loc)

/** rewriteIfUnchanged with the bytes to write: a renewal puts back the exact file it found. */
export const rewriteTextIfUnchanged = async (files: string[], expectedText: string, text: string, loc: StoreLocation = {}): Promise<string[]> => {
  const targets: string[] = []
  for (const file of files) if ((await readCredentialFile(file))?.text === expectedText) targets.push(file)
  if (targets.length > 0) await writeTwins(targets, text, homeOf(loc))
  return targets
}

/**
 * Marks the process token of `account` and `process` on `server` as replaced in the files a
 * login writes (global and workspace twin, or the workspace's with `workspaceOnly`): a
 * registration reached the server and the answer could not be used, so the token stored is
 * rotated away. Only the marker changes; a file of another account, process or server, or one
 * already marked, is left as it is. Resolves to the files marked.
 */
export const markProcessReplaced = async (
  loc: StoreLocation & { workspaceOnly: boolean },
  which: { server: string; accountId: string; processId: string },
  at: number,
): Promise<string[]> => {
  const targets = await loginLockTargets(loc)
  return withLocks(targets, loc.lock, async () => {
    const marked: string[] = []
    for (const file of targets) {
      const stored = await readCredentialFile(file).catch(() => null)
      const c = stored?.credentials
      if (!stored || !c || c.process_token_replaced_at) continue
      if (c.server !== which.server || c.user.account_id !== which.accountId || c.process_id !== which.processId) continue
      const next: CredentialFile = { ...c, process_token_replaced_at: new Date(at).toISOString() }
      if ((await rewriteIfUnchanged([file], stored.text, next, loc)).length > 0) marked.push(file)
    }
    return marked
  })
}
