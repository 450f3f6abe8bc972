import type { Failure, LoginOutput, LogoutOutput } from '../machines/index.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { describeFailure, type Wording } from './failure-words.js'
import { jsonLine, loginJson, logoutJson, type JsonCommand } from './render-json.js'
import { english, type Words } from './words/english.js'

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
  words: Words = english,
): Rendered {
  const { t } = words
  // No platform warning: on Windows the store gives these files an ACL for you alone, as it
  // gives them 0600 elsewhere (effects/store/platform.ts).
  const stderr: string[] = []
  if (opts.json) {
    const message = output.kind === 'failed' ? failureLine(output, opts, english) : null
    const code = output.kind === 'failed' ? exitCodeFor(output.failure.kind) : ExitCode.ok
    return { stdout: [jsonLine(loginJson(opts.json, output, message))], stderr: [...stderr, ...replacedWarning(output, words)], code }
  }
  switch (output.kind) {
    case 'loggedIn': {
      const stdout = [t('outcome.loggedIn', { email: output.email, process: output.processName })]
      for (const path of output.paths) stdout.push(t('outcome.written', { path }))
      const { replaced } = output
      if (replaced) {
        const values = { email: replaced.email, server: replaced.server, process: replaced.processName }
        stdout.push(t(output.replacedRevoked === true ? 'outcome.replaced.revoked' : 'outcome.replaced', values))
      }
      return { stdout, stderr: [...stderr, ...replacedWarning(output, words)], code: ExitCode.ok }
    }
    case 'alreadyLoggedIn': {
      const { existing } = output
      return {
        stdout: [
          t('outcome.already', { email: existing.email, process: existing.processName, server: existing.server }),
          t('outcome.already.credentials', { path: existing.path, again: opts.again }),
          ...(output.renewed ? [t('outcome.already.renewed')] : []),
        ],
        // Said, not hidden: "already logged in" without the server's word is the file's word only.
        stderr: output.confirmed ? [] : [t('outcome.already.unconfirmed')],
        code: ExitCode.ok,
      }
    }
    case 'failed': {
      // A cancelled pairing is kept when the machine says it can go on: say how, and how not to.
      return { stdout: [], stderr: [t('line.error', { line: failureLine(output, opts, words) })], code: exitCodeFor(output.failure.kind) }
    }
  }
}

const failureLine = (output: Extract<LoginOutput, { kind: 'failed' }>, opts: { again: string; now?: number }, words: Words): string => {
  const resumableForMs = output.resumableUntil === null ? 0 : output.resumableUntil - (opts.now ?? Date.now())
  return describeFailure(output.failure, { again: opts.again, resumableForMs }, words)
}

// A revocation that did not go through is kept in a queue and tried again by the next login;
// the login itself stands, so this is a warning and not an error.
const replacedWarning = (output: LoginOutput, words: Words): string[] =>
  output.kind === 'loggedIn' && output.replaced && output.replacedRevoked === false ? [words.t('outcome.replaced.notRevoked')] : []

export function renderLogout(output: LogoutOutput, wording: Wording & { json?: JsonCommand } = { again: 'omicos login' }, words: Words = english): Rendered {
  const { t } = words
  if (wording.json) {
    const message = output.kind === 'failed' ? logoutFailureLine(output.failure, wording, english) : null
    const code = output.kind === 'failed' ? exitCodeFor(output.failure.kind) : ExitCode.ok
    return { stdout: [jsonLine(logoutJson(wording.json, output, message))], stderr: [], code }
  }
  switch (output.kind) {
    case 'loggedOut':
      return {
        stdout: [
          t('outcome.loggedOut', { email: output.email }),
          ...output.removed.map((path) => t('outcome.removed', { path })),
          ...(output.revoked ? [] : [t('outcome.loggedOut.notTold')]),
        ],
        stderr: [],
        code: ExitCode.ok,
      }
    case 'notLoggedIn':
      return { stdout: [t('outcome.nobodyLoggedIn')], stderr: [], code: ExitCode.ok }
    case 'failed':
      return { stdout: [], stderr: [t('line.error', { line: logoutFailureLine(output.failure, wording, words) })], code: exitCodeFor(output.failure.kind) }
  }
}

const logoutFailureLine = (failure: Failure, wording: Wording, words: Words): string => describeFailure(failure, { wrongServerHint: 'logout', ...wording }, words)
