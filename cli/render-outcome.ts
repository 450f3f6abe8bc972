import type { LoginOutput, LogoutOutput } from '../machines/contracts.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { describeFailure, type Wording } from './failure-words.js'

// Turning a machine's final output into what the user reads and the exit code, apart from the
// commands so the same outcome renders the same from `omicos login` and `omicos cli login`.
export interface Rendered {
  stdout: string[]
  stderr: string[]
  code: number
}

export function renderLogin(
  output: LoginOutput,
  opts: { platform?: NodeJS.Platform; again: string; /** epoch ms now, to say how long a cancelled pairing's code keeps */ now?: number },
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
          ...(output.renewed ? ['Its user token was near its end and has been renewed.'] : []),
        ],
        // Said, not hidden: "already logged in" without the server's word is the file's word only.
        stderr: output.confirmed ? [] : ['note: the server could not be asked whether this login still works.'],
        code: ExitCode.ok,
      }
    }
    case 'failed': {
      // A cancelled pairing is kept when the machine says it can go on: say how, and how not to.
      const resumableForMs = output.resumableUntil === null ? 0 : output.resumableUntil - (opts.now ?? Date.now())
      return { stdout: [], stderr: [`error: ${describeFailure(output.failure, { again: opts.again, resumableForMs })}`], code: exitCodeFor(output.failure.kind) }
    }
  }
}

export function renderLogout(output: LogoutOutput, wording: Wording = { again: 'omicos login' }): Rendered {
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
      return { stdout: [], stderr: [`error: ${describeFailure(output.failure, { wrongServerHint: 'nothing was removed; leave --server out to log out of it', ...wording })}`], code: exitCodeFor(output.failure.kind) }
  }
}
