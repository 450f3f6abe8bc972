// What the engine reads from the machine it runs on. Each reader takes what it reads from
// (env, cwd) as arguments, so tests and other front ends can pass their own.
import os from 'node:os'
import path from 'node:path'
import { EngineError } from '../client/engine-error.js'
import { hasUnsafeChars, replaceUnsafeChars } from '../client/server-url.js'

export type Env = Record<string, string | undefined>

export interface HomeChoice {
  /** the global omicOS directory, absolute */
  home: string
  /** a line for the person running omicos when the choice needs saying (a relative OMICOS_HOME), else null */
  notice: string | null
}

const shown = (value: string) => (hasUnsafeChars(value) ? 'the value' : JSON.stringify(value))

/**
 * The global omicOS directory: `OMICOS_HOME` when set, else `$HOME/.omicos`.
 * - A relative `OMICOS_HOME` is made absolute once, against `cwd`, and said in `notice`: every
 *   later step then uses that one directory, wherever it runs.
 * - Without `OMICOS_HOME`, `HOME` must be an absolute path: an empty or unset `HOME` would put
 *   the global login in `./.omicos` of wherever omicos runs (inside a repository, say), so it is
 *   a usage error naming both variables.
 */
export const resolveHome = (env: Env = process.env, cwd = process.cwd()): HomeChoice => {
  const override = env.OMICOS_HOME?.trim()
  if (override) {
    if (path.isAbsolute(override)) return { home: path.normalize(override), notice: null }
    const home = path.resolve(cwd, override)
    return { home, notice: `note: OMICOS_HOME ${shown(override)} is relative: using ${home} (set OMICOS_HOME to an absolute path)` }
  }
  // Windows has no HOME as a rule; its home comes from the system.
  const userHome = process.platform === 'win32' ? os.homedir() : env.HOME?.trim()
  if (!userHome || !path.isAbsolute(userHome)) {
    throw new EngineError(
      'usage',
      `HOME is ${userHome ? 'not an absolute path' : 'empty or unset'} and OMICOS_HOME is not set: set HOME to your home directory, or OMICOS_HOME to the absolute path of the folder for omicos logins`,
    )
  }
  return { home: path.join(userHome, '.omicos'), notice: null }
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

/** This machine's name as the approver of a pairing request sees it. */
export const hostName = (): string => {
  try {
    return os.hostname() || 'unknown-host'
  } catch {
    return 'unknown-host'
  }
}

/** The server's limit on a process name (server/omicos-routes.ts), in UTF-16 units. */
export const PROCESS_NAME_MAX = 200

/**
 * A process name the server accepts, made from any text: control, escape and bidi characters
 * and lone surrogates become `_`, the length is capped at PROCESS_NAME_MAX without splitting a
 * character, and a blank result becomes `omicos`. The default name comes from a directory or
 * an environment, which may hold anything; a name the server refuses would only be found out
 * after the tokens were issued.
 */
export const safeProcessName = (value: string): string => {
  let name = replaceUnsafeChars(value, '_').replace(/\p{Cs}/gu, '_').trim()
  if (name.length > PROCESS_NAME_MAX) {
    const high = name.charCodeAt(PROCESS_NAME_MAX - 1)
    name = name.slice(0, high >= 0xd800 && high <= 0xdbff ? PROCESS_NAME_MAX - 1 : PROCESS_NAME_MAX).trim()
  }
  return name || 'omicos'
}

/**
 * The process display name when `--name` is not given: the conda environment
 * (`CONDA_DEFAULT_ENV`, which is a path when the environment was activated by path), else the
 * name of the current directory; made safe (safeProcessName).
 */
export const defaultProcessName = (env: Env = process.env, cwd = process.cwd()): string => {
  const conda = env.CONDA_DEFAULT_ENV?.trim()
  if (conda) return safeProcessName(path.basename(conda) || conda)
  return safeProcessName(path.basename(path.resolve(cwd)) || 'omicos')
}

/** The effective user id, or null where there is none (Windows). */
export const currentUid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null)
