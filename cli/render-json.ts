import { toFailure, type ExistingLogin, type Failure, type LoginOutput, type LogoutOutput } from '../machines/index.js'
import { describeFailure } from './failure-words.js'
import { english } from './words/english.js'
import { firstLine, printable } from './printable-text.js'
import { ExitCode, exitCodeFor } from './exit-codes.js'

// `--json`: one object on stdout for every command and every ending, errors included, in the
// shape docs/cli-json.schema.json documents (a spec validates every state against it). An
// envelope every object has (command, action, outcome, exit_code, error), then the fields of
// its action, all of them always present (null or [] when they do not apply), so a script
// reads `.email` without first asking which ending it got. Never a token, a password or a code.
export const JSON_SCHEMA_VERSION = 1

export type JsonCommand = 'login' | 'cli login'
export type JsonAction = 'login' | 'logout' | 'status'
export type JsonOutcome = 'loggedIn' | 'alreadyLoggedIn' | 'loggedOut' | 'notLoggedIn' | 'reported' | 'failed'

export interface JsonError {
  kind: Failure['kind'] | 'internal'
  reason: string | null
  message: string
}

/** The failure's codes and its line, in English whatever the language of the terminal. */
export const jsonError = (failure: Failure, message: string): JsonError => ({
  kind: failure.kind,
  // A line a Node effect worded itself has the code it gave, if any.
  reason: failure.reason === 'described' ? (failure.details.code ?? null) : failure.reason,
  message,
})

const againOf = (command: JsonCommand) => `omicos ${command}`

export const envelope = (command: JsonCommand, action: JsonAction, outcome: JsonOutcome, exitCode: number, error: JsonError | null) => ({
  schema_version: JSON_SCHEMA_VERSION,
  command,
  action,
  outcome,
  exit_code: exitCode,
  error,
})

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

const replacedJson = (existing: ExistingLogin, revoked: boolean | null) => ({
  email: existing.email,
  account_id: existing.accountId,
  server: existing.server,
  process_name: existing.processName,
  auth_method: existing.authMethod,
  path: existing.path,
  user_token_expires_at: iso(existing.userTokenExpiresAt),
  revoked,
})

const NO_LOGIN = {
  email: null,
  account_id: null,
  server: null,
  process_name: null,
  auth_method: null,
  files: [] as string[],
  kept: [] as string[],
  user_token_expires_at: null,
  replaced: null,
  resumable_until: null,
  issued_revoked: null,
}

export function loginJson(command: JsonCommand, output: LoginOutput, message: string | null): object {
  switch (output.kind) {
    case 'loggedIn':
      return {
        ...envelope(command, 'login', 'loggedIn', ExitCode.ok, null),
        ...NO_LOGIN,
        email: output.email,
        account_id: output.accountId,
        server: output.server,
        process_name: output.processName,
        auth_method: output.authMethod,
        files: output.paths,
        kept: output.kept,
        replaced: output.replaced ? replacedJson(output.replaced, output.replacedRevoked) : null,
      }
    case 'alreadyLoggedIn': {
      const { existing } = output
      return {
        ...envelope(command, 'login', 'alreadyLoggedIn', ExitCode.ok, null),
        ...NO_LOGIN,
        email: existing.email,
        account_id: existing.accountId,
        server: existing.server,
        process_name: existing.processName,
        auth_method: existing.authMethod,
        files: [existing.path],
        user_token_expires_at: iso(existing.userTokenExpiresAt),
      }
    }
    case 'failed':
      return {
        ...envelope(
          command,
          'login',
          'failed',
          exitCodeFor(output.failure.kind),
          jsonError(output.failure, message ?? describeFailure(output.failure, { again: againOf(command) })),
        ),
        ...NO_LOGIN,
        resumable_until: iso(output.resumableUntil),
        issued_revoked: output.issuedRevoked,
      }
  }
}

export function logoutJson(command: JsonCommand, output: LogoutOutput, message: string | null): object {
  switch (output.kind) {
    case 'loggedOut':
      return {
        ...envelope(command, 'logout', 'loggedOut', ExitCode.ok, null),
        email: output.email,
        server: output.server,
        removed: output.removed,
        revoked: output.revoked,
      }
    case 'notLoggedIn':
      return { ...envelope(command, 'logout', 'notLoggedIn', ExitCode.ok, null), email: null, server: null, removed: [], revoked: null }
    case 'failed':
      return {
        ...envelope(
          command,
          'logout',
          'failed',
          exitCodeFor(output.failure.kind),
          jsonError(output.failure, message ?? describeFailure(output.failure, { again: againOf(command) })),
        ),
        email: null,
        server: null,
        removed: [],
        revoked: null,
      }
  }
}

/** The status fields when there is no report to fill them from (a failure before reading). */
export const NO_STATUS = {
  logged_in: false,
  email: null,
  process_name: null,
  config: null,
  server: null,
  account_id: null,
  tier: null,
  auth_method: null,
  logged_in_at: null,
  process_id: null,
  process_token_expires_at: null,
  process_token_replaced_at: null,
  user_token_expires_at: null,
  user_token_state: null,
  active_file: null,
  active_source: null,
  verified: null,
  proxy: null,
  logins: [] as unknown[],
  swept_temps: [] as string[],
  twins_differ: false,
  clock_skew_ms: null,
}

/**
 * A failure that ends a command before any machine ran (a usage error, a bug): the object of
 * the action the command line asked for, with its fields empty.
 */
export function failureJson(command: JsonCommand, action: JsonAction, error: JsonError, exitCode: number): object {
  const head = envelope(command, action, 'failed', exitCode, error)
  switch (action) {
    case 'login':
      return { ...head, ...NO_LOGIN }
    case 'logout':
      return { ...head, email: null, server: null, removed: [], revoked: null }
    case 'status':
      return { ...head, ...NO_STATUS }
  }
}

export const jsonLine = (value: object): string => JSON.stringify(value)

/**
 * An error that reached a command with --json (cli/command-base.ts `fail` words the same for
 * lines): its object and exit code; anything not raised on purpose is a bug, exit 70.
 */
export function thrownJson(command: JsonCommand, action: JsonAction, error: unknown): { line: string; code: number } {
  const failure = error && typeof error === 'object' && 'kind' in error ? toFailure(error) : null
  const code = failure ? (exitCodeFor(failure.kind) as number | undefined) : undefined
  if (!failure || code === undefined) {
    const message = error instanceof Error ? error.message : String(error)
    const line = english.t('failure.bug', { message: printable(firstLine(message)) })
    return { line: jsonLine(failureJson(command, action, { kind: 'internal', reason: null, message: line }, ExitCode.internal)), code: ExitCode.internal }
  }
  const message = printable(firstLine(describeFailure(failure, { again: againOf(command) })))
  return { line: jsonLine(failureJson(command, action, jsonError(failure, message), code)), code }
}

/** The object for a `login` or `cli login` command line with --json that clipanion could not parse. */
export function jsonForUnparsed(argv: string[], message: string): string | null {
  const command: JsonCommand | null = argv[0] === 'login' ? 'login' : argv[0] === 'cli' && argv[1] === 'login' ? 'cli login' : null
  if (!command || !argv.includes('--json')) return null
  const action: JsonAction = command === 'login' && argv.includes('--status') ? 'status' : argv.includes('--logout') ? 'logout' : 'login'
  return jsonLine(failureJson(command, action, { kind: 'usage', reason: null, message }, ExitCode.usage))
}
