// What the engine reads from the machine it runs on. Each reader takes what it reads from
// (env, cwd) as arguments, so tests and other front ends can pass their own.
import os from 'node:os'
import path from 'node:path'

export type Env = Record<string, string | undefined>

/** The global omicOS directory: `OMICOS_HOME` when set (tests use it), else `~/.omicos`. */
export const omicosHome = (env: Env = process.env, cwd = process.cwd()): string => {
  const override = env.OMICOS_HOME?.trim()
  return override ? path.resolve(cwd, override) : path.join(os.homedir(), '.omicos')
}

/** This machine's name as the approver of a pairing request sees it. */
export const hostName = (): string => {
  try {
    return os.hostname() || 'unknown-host'
  } catch {
    return 'unknown-host'
  }
}

/**
 * The process display name when `--name` is not given: the conda environment
 * (`CONDA_DEFAULT_ENV`, which is a path when the environment was activated by path), else the
 * name of the current directory.
 */
export const defaultProcessName = (env: Env = process.env, cwd = process.cwd()): string => {
  const conda = env.CONDA_DEFAULT_ENV?.trim()
  if (conda) return path.basename(conda) || conda
  return path.basename(path.resolve(cwd)) || 'omicos'
}

/** The effective user id, or null where there is none (Windows). */
export const currentUid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null)
