// What the engine reads from the machine it runs on to name it and its process to the server.
// Each reader takes what it reads from (env, cwd) as arguments, so tests and other front ends
// can pass their own. Where the logins live (the omicOS home) is the store's: store/home.ts.
import os from 'node:os'
import path from 'node:path'
import { replaceUnsafeChars } from '../client/server-url.js'
import type { Env } from '../store/home.js'

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
  let name = replaceUnsafeChars(value, '_')
    .replace(/\p{Cs}/gu, '_')
    .trim()
  if (name.length > PROCESS_NAME_MAX) {
    const high = name.charCodeAt(PROCESS_NAME_MAX - 1)
    name = name.slice(0, high >= 0xd800 && high <= 0xdbff ? PROCESS_NAME_MAX - 1 : PROCESS_NAME_MAX).trim()
  }
  return name || 'omicos'
}

/**
 * The process display name when `--name` is not given: the conda environment
 * (`CONDA_DEFAULT_ENV`, which is a path when the environment was activated by path), else the
 * name of the current directory; made safe (safeProcessName). Conda's `base` environment is
 * active in every shell once conda is installed, so it names no work: it counts as none.
 */
export const defaultProcessName = (env: Env = process.env, cwd = process.cwd()): string => {
  const conda = env.CONDA_DEFAULT_ENV?.trim()
  if (conda && !isCondaBase(conda, env)) return safeProcessName(path.basename(conda) || conda)
  return safeProcessName(path.basename(path.resolve(cwd)) || 'omicos')
}

/**
 * Whether `CONDA_DEFAULT_ENV` names conda's base environment: `base` by name, or by path when
 * activated by path (the install's own prefix, the one `CONDA_EXE` lives in, as `bin/conda` or
 * `Scripts\conda.exe`).
 */
const isCondaBase = (conda: string, env: Env): boolean => {
  if (conda === 'base') return true
  const exe = env.CONDA_EXE?.trim()
  if (!exe || !path.isAbsolute(conda) || !path.isAbsolute(exe)) return false
  const same = (a: string, b: string) => (process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b)
  return same(path.resolve(conda), path.dirname(path.dirname(path.resolve(exe))))
}
