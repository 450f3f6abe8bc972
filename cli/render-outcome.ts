import type { LoginOutput, LogoutOutput } from '../machines/contracts.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { approximately } from './terminal.js'

// Turning a machine's final output into what the user reads and the exit code, apart from the
// commands so the same outcome renders the same from `omicos login` and `omicos cli login`.
export interface Rendered {
  stdout: string[]
  stderr: string[]
  code: number
}

export function renderLogin(
  output: LoginOutput,
  opts: { platform?: NodeJS.Platform; again: string; /** a cancelled pairing's code keeps this long */ pairingLeftMs?: number },
): Rendered {
  switch (output.kind) {
    case 'loggedIn': {
      const stdout = [`Logged in as ${output.email} (process "${output.processName}").`]
      for (const path of output.paths) stdout.push(`Credentials written to ${path}`)
      const stderr =
        (opts.platform ?? process.platform) === 'win32'
          ? ['warning: Windows does not enforce the 0600 mode of these files; keep them private yourself (check your umask and folder permissions).']
          : []
      return { stdout, stderr, code: ExitCode.ok }
    }
    case 'alreadyLoggedIn': {
      const { existing } = output
      return {
        stdout: [
          `Already logged in as ${existing.email} (process "${existing.processName}") on ${existing.server}.`,
          `Credentials: ${existing.path}. Use ${opts.again} --force to log in again.`,
        ],
        stderr: [],
        code: ExitCode.ok,
      }
    }
    case 'failed': {
      const left = opts.pairingLeftMs ?? 0
      // A cancelled pairing is kept (effects/api.ts): say how to pick it up, and how not to.
      const resume =
        output.failure.kind === 'cancelled' && left >= 1000
          ? `; the pairing code stays valid for ${approximately(left)}: run ${opts.again} again to continue with it, or add --force for a new one`
          : ''
      return { stdout: [], stderr: [`error: ${output.failure.message}${resume}`], code: exitCodeFor(output.failure.kind) }
    }
  }
}

export function renderLogout(output: LogoutOutput): Rendered {
  switch (output.kind) {
    case 'loggedOut':
      return {
        stdout: [
          `Logged out ${output.email}.`,
          ...output.removed.map((path) => `Removed ${path}`),
          ...(output.revoked ? [] : ['The server could not be told; the tokens stop working when they expire.']),
        ],
        stderr: [],
        code: ExitCode.ok,
      }
    case 'notLoggedIn':
      return { stdout: ['Not logged in: there were no credentials to remove.'], stderr: [], code: ExitCode.ok }
    case 'failed':
      return { stdout: [], stderr: [`error: ${output.failure.message}`], code: exitCodeFor(output.failure.kind) }
  }
}
