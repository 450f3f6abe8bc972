// The omicOS home: the directory that holds the global login, chosen from the environment.
// It is the store's to know (where the credential files are), so the store does not reach up
// into the Node runtime for it. Each reader takes what it reads from (env, cwd) as arguments,
// so tests and other front ends can pass their own.
import os from 'node:os'
import path from 'node:path'
import { engineError } from '../client/engine-error.js'
import { hasUnsafeChars } from '../client/server-url.js'

export type Env = Record<string, string | undefined>

export interface HomeChoice {
  /** the global omicOS directory, absolute */
  home: string
  /**
   * OMICOS_HOME as it was given when it was relative and made absolute (the choice then needs
   * saying), null when it cannot be shown (control characters) or there was nothing to say
   */
  relative: { value: string | null } | null
}

/**
 * The global omicOS directory: `OMICOS_HOME` when set, else `$HOME/.omicos`.
 * - A relative `OMICOS_HOME` is made absolute once, against `cwd`, and told in `relative`: every
 *   later step then uses that one directory, wherever it runs.
 * - Without `OMICOS_HOME`, `HOME` must be an absolute path: an empty or unset `HOME` would put
 *   the global login in `./.omicos` of wherever omicos runs (inside a repository, say), so it is
 *   a usage error naming both variables.
 */
export const resolveHome = (env: Env = process.env, cwd = process.cwd()): HomeChoice => {
  const override = env.OMICOS_HOME?.trim()
  if (override) {
    if (path.isAbsolute(override)) return { home: path.normalize(override), relative: null }
    const home = path.resolve(cwd, override)
    return { home, relative: { value: hasUnsafeChars(override) ? null : override } }
  }
  // Windows has no HOME as a rule; its home comes from the system.
  const userHome = process.platform === 'win32' ? os.homedir() : env.HOME?.trim()
  if (!userHome || !path.isAbsolute(userHome)) {
    throw engineError('fileNoHome', { home: userHome ? 'relative' : 'unset' })
  }
  return { home: path.join(userHome, '.omicos'), relative: null }
}

/** resolveHome's directory (see there): throws `usage` when neither variable gives one. */
export const omicosHome = (env: Env = process.env, cwd = process.cwd()): string => resolveHome(env, cwd).home

/**
 * `~/.omicos`, the default home (HOME's, else the system's idea of yours): it holds a global
 * login even while OMICOS_HOME points elsewhere, so it is never taken for a workspace.
 */
export const defaultHomeDir = (env: Env = process.env): string => {
  const userHome = process.platform === 'win32' ? os.homedir() : env.HOME?.trim()
  return path.join(userHome && path.isAbsolute(userHome) ? userHome : os.homedir(), '.omicos')
}
