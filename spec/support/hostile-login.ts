// What the hostile login specs share: the reference server behind a listener that misbehaves
// on one route per test, Ada's account, the leak watch, and the run that logs Ada in through
// the listener. After each test the secrets the listener saw are added to the leak watch and
// its scripts are dropped.
import { join } from 'node:path'
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { findSecret, type CliResult, type CliSandbox } from './cli.js'
import { bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks, type Credentials, type LeakWatch, type LoginSpec } from './cli-login.js'
import { secretsSeen, startHostileServer, type HostileServer } from './hostile-server.js'

export const ADA = { email: 'ada@example.com', password: 'correct horse battery' }

export interface HostileLoginSpec extends LoginSpec {
  leaks: LeakWatch
  /** the listener, started before the first test (its methods may be taken before then) */
  hostile: HostileServer
  /** `omicos login` as Ada through the listener (or `server`), the password on stdin */
  login(box: CliSandbox, extra?: string[], options?: { server?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult>
  /** a sandbox Ada logged in to through the listener; `since` marks the listener's answers of this test */
  loggedIn(): Promise<{ box: CliSandbox; file: string; before: Buffer | null; since: number; credentials: Credentials }>
  /** no password and no token the listener saw or passed on, in the output */
  assertNoSecretIn(result: CliResult, more?: string[]): void
}

export function hostileLoginSpec(suite: Test, options: { deviceCodes?: boolean } = {}): HostileLoginSpec {
  const leaks = watchForLeaks()
  const spec = loginSpec(suite, leaks, [ADA])
  let server: HostileServer | undefined
  const started = (): HostileServer => {
    if (!server) throw new Error('the hostile listener is not started yet')
    return server
  }
  // The specs name `hostile` at their top level, before the listener starts.
  const hostile = new Proxy({} as HostileServer, {
    get: (_, key) => {
      const value = (started() as unknown as Record<PropertyKey, unknown>)[key]
      return typeof value === 'function' ? value.bind(server) : value
    },
  })
  suite.before(async () => {
    server = await startHostileServer({ upstream: () => spec.ref.server.url })
  })
  suite.after(async () => {
    await server?.close()
  })
  suite.after.each(() => {
    for (const secret of secretsSeen(started(), { deviceCodes: options.deviceCodes })) leaks.secret(secret)
    started().reset()
  })
  const login: HostileLoginSpec['login'] = (box, extra = [], { server: at, env } = {}) =>
    leaks.run(['login', '--server', at ?? hostile.url, '--email', ADA.email, '--password-stdin', ...extra], {
      cwd: box.workspace,
      env: env ?? box.env,
      input: ADA.password,
      timeoutMs: 30_000,
    })
  return {
    ...spec,
    leaks,
    hostile,
    login,
    async loggedIn() {
      const since = hostile.answers.length
      const box = spec.sandbox()
      const first = await login(box)
      assert.is(first.code, 0, first.stderr)
      const file = join(box.home, CREDENTIAL_FILE)
      const credentials = leaks.readCredentials(file)
      return { box, file, before: bytesOf(file), since, credentials }
    },
    assertNoSecretIn(result, more = []) {
      const found = findSecret([result.stdout, result.stderr], [ADA.password, ...secretsSeen(started()), ...more])
      assert.is(found, null, `a secret (${found?.slice(0, 4)}...) in the output:\n${result.stderr}`)
    },
  }
}
