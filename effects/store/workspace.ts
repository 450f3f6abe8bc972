// Where the workspace is, and its stable id.
//
// The workspace root, for a directory `cwd`:
//   1. `OMICOS_WORKSPACE`, when set (resolved against cwd); it must name an existing directory,
//      since a login would otherwise create a workspace where none was meant (usage error);
//   2. else the nearest directory, from cwd up to the root (`/`, `C:\`, `\\server\share\`), that
//      holds a `.omicos/` directory which is neither the global omicOS home (`OMICOS_HOME`) nor
//      ~/.omicos (the default home, which holds a global login even while OMICOS_HOME points
//      elsewhere) - so `~` itself is not a workspace just because it holds a global home;
//   3. else the nearest directory, from cwd up, that holds `.git` (a directory, or the file a
//      worktree or submodule has);
//   4. else cwd itself.
// The workspace credential file is `<root>/.omicos/cloud_login.json`. When that is the global
// file (cwd is the home directory, say), the workspace has no file of its own.
//
// The workspace id, used as the process id `local-<workspace_id>`:
//   - the `workspace_id` kept in `<root>/.omicos/workspace.json`, when that file is there;
//   - else the first 16 hex digits of the sha256 of the root's real path (symlinks resolved),
//     so every shell and tool that reaches the root by any path agrees on it.
// `workspace.json` is written (0600) the first time a workspace credential file is, so the id
// then survives moving or renaming the directory; before that, moving the workspace gives it
// a new id, which is harmless since nothing was registered under the old one from here.
// `.omicos` and `workspace.json` are read with the store's checks (private-file.ts): a
// symlinked `.omicos` (a cloned repository can hold one) or an odd file there is refused.
import { createHash } from 'node:crypto'
import { promises as fs } from 'node:fs'
import path from 'node:path'
import { engineError } from '../client/engine-error.js'
import { hasUnsafeChars } from '../client/server-url.js'
import { defaultHomeDir, resolveHome, type Env } from './home.js'
import { ancestorsOf, realPath } from './platform.js'
import { checkPrivateDir, readPrivateText } from './private-file.js'

export const WORKSPACE_FILE = 'workspace.json'

const realOrResolved = async (dir: string): Promise<string> => {
  try {
    return await realPath(dir)
  } catch {
    return path.resolve(dir)
  }
}

const isDirectory = async (p: string): Promise<boolean> => {
  try {
    return (await fs.stat(p)).isDirectory()
  } catch {
    return false
  }
}

const exists = async (p: string): Promise<boolean> => {
  try {
    await fs.lstat(p)
    return true
  } catch {
    return false
  }
}

export interface WorkspaceOptions {
  cwd?: string
  env?: Env
  /** the global omicOS home; default from env */
  home?: string
}

/** The workspace root for `cwd` (see the rule above). */
export const findWorkspaceRoot = async (options: WorkspaceOptions = {}): Promise<string> => {
  const env = options.env ?? process.env
  const cwd = path.resolve(options.cwd ?? process.cwd())
  const override = env.OMICOS_WORKSPACE?.trim()
  if (override) {
    const root = path.resolve(cwd, override)
    if (!(await isDirectory(root))) {
      throw engineError('workspaceUnusable', { problem: 'notDirectory', variable: 'OMICOS_WORKSPACE', value: hasUnsafeChars(override) ? null : override })
    }
    return root
  }
  // Only to tell the global home from a workspace's `.omicos`: a home that cannot be named (no
  // HOME) is reported by the operation that needs it, not here.
  let home = options.home ?? null
  if (home === null) {
    try {
      home = resolveHome(env, cwd).home
    } catch {
      home = null
    }
  }
  const defaultHome = defaultHomeDir(env)
  const homes = new Set<string>()
  for (const dir of [home, defaultHome]) if (dir !== null) homes.add(await realOrResolved(dir))
  const chain = ancestorsOf(cwd)
  for (const dir of chain) {
    const marker = path.join(dir, '.omicos')
    if ((await isDirectory(marker)) && !homes.has(await realOrResolved(marker))) return dir
  }
  for (const dir of chain) if (await exists(path.join(dir, '.git'))) return dir
  return cwd
}

/** The id derived from a root's real path: 16 hex digits of its sha256. */
export const derivedWorkspaceId = async (root: string): Promise<string> =>
  createHash('sha256')
    .update(await realOrResolved(root))
    .digest('hex')
    .slice(0, 16)

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The id kept in `<root>/.omicos/workspace.json`, or null when there is none (or its contents
 * are unusable). A symlinked or foreign `.omicos`, or a `workspace.json` that is a link or not
 * a regular file of yours, throws `local_files`. The id is no secret: its mode is not checked.
 */
export const storedWorkspaceId = async (root: string): Promise<string | null> => {
  const dir = path.join(root, '.omicos')
  if (!(await checkPrivateDir(dir, { tighten: 'no' }))) return null
  const text = await readPrivateText(path.join(dir, WORKSPACE_FILE), { privateMode: false })
  if (text === null) return null
  try {
    const data = JSON.parse(text)
    return typeof data?.workspace_id === 'string' && ID_PATTERN.test(data.workspace_id) ? data.workspace_id : null
  } catch {
    return null
  }
}

export interface Workspace {
  root: string
  id: string
  /** `local-<id>` */
  processId: string
}

/** The workspace of `cwd`: its root, id and process id. Reads only; writes nothing. */
export const resolveWorkspace = async (options: WorkspaceOptions = {}): Promise<Workspace> => {
  const root = await findWorkspaceRoot(options)
  const id = (await storedWorkspaceId(root)) ?? (await derivedWorkspaceId(root))
  return { root, id, processId: `local-${id}` }
}

/**
 * Refuses a workspace-only login (`--workspace`) whose workspace is the home folder itself: its
 * `.omicos` is the global home (or the default one, ~/.omicos), so the "workspace" file would be
 * the global login, written while the person asked to leave that one alone. Reads only.
 */
export const refuseHomeAsWorkspace = async (root: string, options: WorkspaceOptions = {}): Promise<void> => {
  const env = options.env ?? process.env
  const cwd = path.resolve(options.cwd ?? process.cwd())
  let home = options.home ?? null
  if (home === null) {
    try {
      home = resolveHome(env, cwd).home
    } catch {
      home = null
    }
  }
  const defaultHome = defaultHomeDir(env)
  const marker = await realOrResolved(path.join(root, '.omicos'))
  const isHome = (await realOrResolved(root)) === (await realOrResolved(path.dirname(defaultHome)))
  const holdsGlobal = marker === (await realOrResolved(defaultHome)) || (home !== null && marker === (await realOrResolved(home)))
  if (!isHome && !holdsGlobal) return
  throw engineError('workspaceUnusable', { problem: 'homeFolder', path: hasUnsafeChars(root) ? null : root })
}

/** The workspace id inside a process id, when it has the `local-<id>` form. */
export const workspaceIdOf = (processId: string): string | null => {
  const match = /^local-(.+)$/.exec(processId)
  return match && ID_PATTERN.test(match[1]) ? match[1] : null
}
