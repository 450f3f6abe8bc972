// Asking a person for an email and a password on the terminal. The questions go to stderr by
// default, so stdout stays free for what a script reads; the answers come from stdin, which
// must be a terminal: without one nothing is asked, and nothing waits on input that will not
// come.
import type { Credentials, PromptInput } from '../../machines/password-grant.contract.js'
import { emailProblem, normalizeEmail, type EmailProblem } from '../client/email.js'
import type { Failure } from '../../machines/failure.js'
import { engineError } from '../client/engine-error.js'

export interface PromptStreams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  /** where the questions are written (default: process.stderr) */
  stdout?: NodeJS.WritableStream
  /** whose NO_COLOR and TERM decide the styling (default: process.env) */
  env?: NodeJS.ProcessEnv
  /** the line shown before asking again, for why the last try failed (the front end's words); none without it */
  notice?: (failure: Failure) => string
  /** the line under the email prompt when what was typed is not an email (the front end's words; else the problem's code) */
  notAnEmail?: (problem: EmailProblem) => string
  /** the questions in the front end's words (default: `Email:` and `Password:`) */
  labels?: PromptLabels
}

export interface PromptLabels {
  email: string
  password: string
  emailEmpty: string
  passwordEmpty: string
}

const ENGLISH_LABELS: PromptLabels = { email: 'Email:', password: 'Password:', emailEmpty: 'Email cannot be empty', passwordEmpty: 'Password cannot be empty' }

/**
 * NO_COLOR (set and not empty, no-color.org) or TERM=dumb: the prompts draw no colour, bold or
 * dim (SGR). enquirer keeps that switch in one place for the whole process (ansi-colors'
 * `enabled`), so every prompt sets it, either way.
 */
const styled = (env: NodeJS.ProcessEnv): boolean => !env.NO_COLOR && env.TERM !== 'dumb'

interface PromptInstance {
  run(): Promise<string>
  cancel(): Promise<void>
}
export type PromptClass = new (options: Record<string, unknown>) => PromptInstance

/** The prompt classes asked with (enquirer's `Input` and `Password`, passed by the Node actors). */
export interface PromptClasses {
  Input: PromptClass
  Password: PromptClass
}

const PLAIN = { pending: '', submitted: '', cancelled: '' }

const ask = async (
  Prompt: PromptClass,
  message: string,
  empty: string,
  streams: PromptStreams,
  signal?: AbortSignal,
  initial?: string,
  check?: (value: string) => string | null,
): Promise<string> => {
  if (signal?.aborted) throw engineError('cancelled', { flow: 'login' })
  const prompt = new Prompt({
    name: 'value',
    ...(initial ? { initial } : {}),
    // Plain `Email: ` and `Password: `, as the user guide shows them, in place of enquirer's
    // `? Email ›` decorations.
    message,
    symbols: { prefix: PLAIN, separator: PLAIN },
    stdin: streams.stdin,
    stdout: streams.stdout ?? process.stderr,
    styles: { enabled: styled(streams.env ?? process.env) },
    validate: (value: string) => {
      if (value.length === 0) return empty
      const problem = check?.(value)
      // `Email: not an email address (...)`; a full-width colon takes no space after it.
      return problem ? `${message}${message.endsWith('：') ? '' : ' '}${problem}` : true
    },
  })
  const onAbort = () => void prompt.cancel().catch(() => {})
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await prompt.run()
  } catch {
    // enquirer rejects (with an empty string) on Ctrl-C or Escape.
    throw engineError('cancelled', { flow: 'login' })
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * Asks `Email:` (unless known) and a masked `Password:`; `usage` when stdin is no terminal.
 * `classes` is a function so that the prompt library is loaded only when a question is asked.
 */
export const promptCredentials = async (
  streams: PromptStreams,
  input: PromptInput,
  classes: () => Promise<PromptClasses>,
  signal?: AbortSignal,
): Promise<Credentials> => {
  if (!streams.stdin.isTTY) throw engineError('needsTerminal', {})
  const out = streams.stdout ?? process.stderr
  if (input.lastError && streams.notice) out.write(`${streams.notice(input.lastError)}\n`)
  const { Input, Password } = await classes()
  const labels = streams.labels ?? ENGLISH_LABELS
  const email =
    input.email ??
    normalizeEmail(
      await ask(Input, labels.email, labels.emailEmpty, streams, signal, input.emailDefault ?? undefined, (typed) => {
        const problem = emailProblem(normalizeEmail(typed))
        return problem ? (streams.notAnEmail?.(problem) ?? problem) : null
      }),
    )
  const password = await ask(Password, labels.password, labels.passwordEmpty, streams, signal)
  return { email, password }
}

const MAX_SECRET_BYTES = 64 * 1024

/**
 * Reads a secret piped on stdin (`--password-stdin`): everything up to the first newline.
 * Refuses a terminal (that is what the prompt is for) rather than wait on it.
 */
export const readSecretFromStream = async (stdin: NodeJS.ReadableStream & { isTTY?: boolean }, signal?: AbortSignal): Promise<string> => {
  if (stdin.isTTY) throw engineError('passwordStdin', { problem: 'terminal' })
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    if (signal?.aborted) throw engineError('cancelled', { flow: 'login' })
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    chunks.push(buffer)
    size += buffer.length
    if (size > MAX_SECRET_BYTES) throw engineError('passwordStdin', { problem: 'tooLarge', maxBytes: MAX_SECRET_BYTES })
  }
  const secret = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0]
  if (!secret) throw engineError('passwordStdin', { problem: 'empty' })
  return secret
}
