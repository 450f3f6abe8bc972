// What the `omicos login` end-to-end specs share: their setup (the reference server and the
// sandboxes), and the leak watch: every run's output and every file a sandbox held are kept,
// and every token read from a credential file is remembered, so each spec file can end by
// checking that no password or token leaked anywhere but the credential files.
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { CLI_BIN, findSecret, makeSandbox, runCli, startCli, type CliResult, type CliSandbox, type RunOptions, type RunningCli } from './cli.js'
import { referenceServerFor, type ReferenceServer, type TestUser } from './server.js'

export const CREDENTIAL_FILE = 'cloud_login.json'
const REVOCATION_FILE = 'revocations.json'

export interface Credentials {
  version: number
  user_token: string
  refresh_token?: string
  process_token: string
  process_id: string
  process_name: string
  auth_method: string
  server: string
  user: { account_id: string; email: string; tier?: string; cloud_base: string }
  logged_in_at: string
}

export interface LeakWatch {
  /** runs `omicos ...args` to its end; its output is kept */
  run(args: string[], options?: RunOptions): Promise<CliResult>
  /** starts `omicos ...args`; its output is kept when it ends */
  start(args: string[], options?: RunOptions): RunningCli
  /** a sandbox whose files are searched for secrets when it is cleaned up */
  sandbox(extraEnv?: NodeJS.ProcessEnv): CliSandbox
  /** parses a credential file and remembers its tokens */
  readCredentials(file: string): Credentials
  /** more text that must hold no secret (a screen capture, say) */
  keep(text: string): void
  secret(value: string): void
  /** fails naming the first secret found in any kept text */
  assertNoLeak(): void
}

export function watchForLeaks(): LeakWatch {
  const texts: string[] = []
  const secrets = new Set<string>()
  const keepRun = (result: CliResult) => {
    texts.push(result.stdout, result.stderr)
    return result
  }
  const keepTree = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = join(dir, name)
      const stat = lstatSync(file)
      if (stat.isDirectory()) keepTree(file)
      // The revocation queue holds tokens owed a revocation, under the credential files' rules.
      else if (stat.isFile() && name === REVOCATION_FILE) assert.is(stat.mode & 0o777, 0o600, `${file} is 0600`)
      else if (stat.isFile() && name !== CREDENTIAL_FILE) texts.push(`${file}\n${readFileSync(file, 'utf8')}`)
      else if (stat.isFile()) rememberTokens(readFileSync(file, 'utf8'))
    }
  }
  const rememberTokens = (text: string) => {
    try {
      const data = JSON.parse(text)
      for (const key of ['user_token', 'refresh_token', 'process_token']) if (typeof data?.[key] === 'string') secrets.add(data[key])
    } catch {
      // a deliberately broken file holds no token
    }
  }
  return {
    run: async (args, options) => keepRun(await runCli(args, options)),
    start(args, options) {
      const running = startCli(args, options)
      running.done.then(keepRun, () => texts.push(running.stdout(), running.stderr()))
      return running
    },
    sandbox(extraEnv) {
      const box = makeSandbox(extraEnv)
      const cleanup = box.cleanup
      box.cleanup = () => {
        keepTree(join(box.home, '..'))
        cleanup()
      }
      return box
    },
    readCredentials(file) {
      const text = readFileSync(file, 'utf8')
      rememberTokens(text)
      return JSON.parse(text)
    },
    keep: (text) => void texts.push(text),
    secret: (value) => void secrets.add(value),
    assertNoLeak() {
      assert.ok(secrets.size > 0, 'some secrets were collected to look for')
      const found = findSecret(texts, [...secrets])
      assert.is(found, null, `a secret (${found?.slice(0, 3)}...) appears in output or in a file other than a credential file`)
    },
  }
}

export interface LoginSpec {
  /** the reference server of the spec file, holding `users` */
  ref: ReferenceServer
  /** a leak-watched sandbox, removed after the test */
  sandbox(extraEnv?: NodeJS.ProcessEnv): CliSandbox
  /** removes the sandboxes not removed yet, so their files are searched for secrets now */
  cleanUp(): void
}

/**
 * What every `omicos login` spec file sets up: the built binary, a reference server with
 * `users` for the whole file (their passwords are secrets `leaks` looks for), and sandboxes
 * that are searched for secrets and removed after each test.
 */
export function loginSpec(
  suite: Test,
  leaks: LeakWatch,
  users: TestUser[],
  server: Omit<Parameters<typeof referenceServerFor>[1] & object, 'users'> = {},
): LoginSpec {
  for (const user of users) leaks.secret(user.password)
  suite.before(() => {
    assert.ok(existsSync(CLI_BIN), `${CLI_BIN} is built (node scripts/build.mjs)`)
  })
  const ref = referenceServerFor(suite, { ...server, users })
  const sandboxes: CliSandbox[] = []
  const cleanUp = () => {
    for (const box of sandboxes.splice(0)) box.cleanup()
  }
  suite.after.each(cleanUp)
  return {
    ref,
    sandbox(extraEnv) {
      const box = leaks.sandbox(extraEnv)
      sandboxes.push(box)
      return box
    },
    cleanUp,
  }
}

/** The file's mode bits, as `stat -c %a` prints them (`600`). */
export const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8)

/** A failed run: its code, and stderr one line beginning with `error:`, no stack trace. */
export function assertOneLineError(result: CliResult, code: number, pattern?: RegExp): void {
  assert.is(result.code, code, `exit ${code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  const lines = result.stderr.split('\n').filter(Boolean)
  assert.is(lines.length, 1, `one line on stderr, got:\n${result.stderr}`)
  assert.match(lines[0]!, /^error: /)
  assert.not.match(result.stderr, /\n\s+at |Error: /, 'no stack trace')
  if (pattern) assert.match(lines[0]!, pattern)
}

/** Bytes of a file, or null when there is none. */
export const bytesOf = (path: string): Buffer | null => {
  try {
    return readFileSync(path)
  } catch {
    return null
  }
}
