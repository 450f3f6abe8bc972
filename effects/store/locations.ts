// Where the credential files of a command are: the global file in the omicOS home, and the
// workspace file of the directory it runs in (workspace.ts says which workspace that is).
import path from 'node:path'
import { defaultHomeDir, resolveHome, type Env } from './home.js'
import type { LockOptions } from './lock.js'
import { realPath } from './platform.js'
import { findWorkspaceRoot } from './workspace.js'

export const CREDENTIAL_FILE_NAME = 'cloud_login.json'

export interface StoreLocation {
  /** the global omicOS home (default: OMICOS_HOME, else ~/.omicos; see resolveHome) */
  home?: string
  /** where the command runs; decides the workspace (default: process.cwd()) */
  cwd?: string
  env?: Env
  lock?: LockOptions
}

export const cwdOf = (loc: StoreLocation) => path.resolve(loc.cwd ?? process.cwd())

/** The home of `loc`, absolute (a relative `home` is taken from cwd, as OMICOS_HOME is). */
export const homeOf = (loc: StoreLocation): string =>
  loc.home !== undefined ? path.resolve(cwdOf(loc), loc.home) : resolveHome(loc.env ?? process.env, cwdOf(loc)).home

/** The variable that chose the home (`OMICOS_HOME`), for failures to name it with its path; else undefined. */
export const homeVariable = (loc: StoreLocation): string | undefined => {
  const home = homeOf(loc)
  const env = loc.env ?? process.env
  if (!env.OMICOS_HOME?.trim()) return undefined
  try {
    return resolveHome(env, cwdOf(loc)).home === home ? 'OMICOS_HOME' : undefined
  } catch {
    return undefined
  }
}

export const globalCredentialPath = (loc: StoreLocation = {}): string => path.join(homeOf(loc), CREDENTIAL_FILE_NAME)

export interface WorkspaceFile {
  root: string
  /** `<root>/.omicos/cloud_login.json` */
  path: string
  /** `<root>/.omicos` */
  dir: string
}

/**
 * The workspace credential file for `cwd`, or null when it would be a global file: the one
 * of the home in use, or the one in ~/.omicos (the default home, never a workspace's).
 */
export const workspaceCredentialPath = async (loc: StoreLocation = {}): Promise<WorkspaceFile | null> => {
  const home = homeOf(loc)
  const env = loc.env ?? process.env
  const root = await findWorkspaceRoot({ cwd: cwdOf(loc), env, home })
  const dir = path.join(root, '.omicos')
  const same = async (other: string) => {
    try {
      return (await realPath(dir)) === (await realPath(other))
    } catch {
      return dir === path.resolve(other)
    }
  }
  if ((await same(home)) || (await same(defaultHomeDir(env)))) return null
  return { root, path: path.join(dir, CREDENTIAL_FILE_NAME), dir }
}
