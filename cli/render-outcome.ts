import type { LoginOutput, LogoutOutput } from '../machines/contracts.js'
import type { Failure } from '../machines/failure.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { describeFailure, type Wording } from './failure-words.js'
import { jsonLine, loginJson, logoutJson, type JsonCommand } from './render-json.js'

// Turning a machine's final output into what the user reads and the exit code, apart from the
// commands so the same outcome renders the same from `omicos login` and `omicos cli login`.
export interface Rendered {
  stdout: string[]
  stderr: string[]
  code: number
}

export function renderLogin(
  output: LoginOutput,
  opts: {
    again: string
    /** epoch ms now, to say how long a cancelled pairing's code keeps */
    now?: number
    /** print one JSON object for this command instead of lines (warnings stay on stderr) */
    json?: JsonCommand
  },
): Rendered {
  // No platform warning: on Windows the store gives these files an ACL for you alone, as it
  // gives them 0600 elsewhere (effects/store/platform.ts).
  const stderr: string[] = []
  if (opts.json) {
    const message = output.kind === 'failed' ? failureLine(output, opts) : null
    const code = output.kind === 'failed' ? exitCodeFor(output.failure.kind) : ExitCode.ok
    return { stdout: [jsonLine(loginJson(opts.json, output, message))], stderr: [...stderr, ...replacedWarning(output)], code }
  }
  switch (output.kind) {
    case 'loggedIn': {
      const stdout = [`Logged in as ${output.email} (process "${output.processName}").`]
      for (const path of output.paths) stdout.push(`Credentials written to ${path}`)
      const { replaced } = output
      if (replaced) {
        const revoked = output.replacedRevoked === true ? '; its tokens were revoked at the server' : ''
        stdout.push(`Replaced the login of ${replaced.email} on ${replaced.server} (process "${replaced.processName}")${revoked}.`)
      }
      return { stdout, stderr: [...stderr, ...replacedWarning(output)], code: ExitCode.ok }
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
      return { stdout: [], stderr: [`error: ${failureLine(output, opts)}`], code: exitCodeFor(output.failure.kind) }
    }
  }
}

const failureLine = (output: Extract<LoginOutput, { kind: 'failed' }>, opts: { again: string; now?: number }): string => {
  const resumableForMs = output.resumableUntil === null ? 0 : output.resumableUntil - (opts.now ?? Date.now())
  return describeFailure(output.failure, { again: opts.again, resumableForMs })
}

// A revocation that did not go through is kept in a queue and tried again by the next login;
// the login itself stands, so this is a warning and not an error.
const replacedWarning = (output: LoginOutput): string[] =>
  output.kind === 'loggedIn' && output.replaced && output.replacedRevoked === false
    ? [`warning: the server did not confirm the revocation of the replaced login's tokens; the next login tries again (they expire by themselves otherwise).`]
    : []

export function renderLogout(output: LogoutOutput, wording: Wording & { json?: JsonCommand } = { again: 'omicos login' }): Rendered {
  if (wording.json) {
    const message = output.kind === 'failed' ? logoutFailureLine(output.failure, wording) : null
    const code = output.kind === 'failed' ? exitCodeFor(output.failure.kind) : ExitCode.ok
    return { stdout: [jsonLine(logoutJson(wording.json, output, message))], stderr: [], code }
  }
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
      return { stdout: [], stderr: [`error: ${logoutFailureLine(output.failure, wording)}`], code: exitCodeFor(output.failure.kind) }
  }
}

const logoutFailureLine = (failure: Failure, wording: Wording): string =>
  describeFailure(failure, { wrongServerHint: 'logout', ...wording })
