// The directories an operation of the store works in (the omicOS home and the workspace's
// `.omicos`), checked before anything in them is read or written.
import { globalCredentialPath, homeVariable, homeOf, workspaceCredentialPath, type StoreLocation, type WorkspaceFile } from './locations.js'
import { checkPrivateDir } from './private-file.js'
import { readCredentialFile, tokensOf } from './stored-credentials.js'

export interface Places {
  home: string
  homeExists: boolean
  globalPath: string
  workspace: WorkspaceFile | null
  workspaceExists: boolean
}

/**
 * Checks the home and the workspace's `.omicos` (when they exist): real directories of yours,
 * tightened to 0700 ('try' for readers, which must work on a read-only mount).
 */
export const enter = async (loc: StoreLocation, tighten: 'must' | 'try'): Promise<Places> => {
  const home = homeOf(loc)
  const homeExists = await checkPrivateDir(home, { variable: homeVariable(loc), tighten })
  const workspace = await workspaceCredentialPath(loc)
  const workspaceExists = workspace ? await checkPrivateDir(workspace.dir, { tighten }) : false
  return { home, homeExists, globalPath: globalCredentialPath(loc), workspace, workspaceExists }
}

export const dirsOf = (places: Places): string[] => [
  ...(places.homeExists ? [places.home] : []),
  ...(places.workspace && places.workspaceExists ? [places.workspace.dir] : []),
]

/** The tokens the credential files of these places hold now. */
export const liveTokens = async (places: Places): Promise<Set<string>> => {
  const live = new Set<string>()
  for (const file of [places.globalPath, places.workspace?.path]) {
    if (!file) continue
    const stored = await readCredentialFile(file)
    if (stored) for (const token of tokensOf(stored.credentials)) live.add(token)
  }
  return live
}
