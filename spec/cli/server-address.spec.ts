// Server addresses as people type them, against the reference server on 127.0.0.1: a loopback
// HOST:PORT means http, a bare host https, and the address used is said once; a server that
// calls itself by another name on the same machine is named, and that name works as printed;
// https against a plain-http server says so and names the address that works; a refused
// connection or an unknown host says what to check; a user name and password in the address
// are refused without being repeated, under the name the address came by.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer as createNetServer } from 'node:net'
import type { CliResult, CliSandbox } from '../support/cli.js'
import { loginSpec, watchForLeaks } from '../support/cli-login.js'
import { timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const leaks = watchForLeaks()
leaks.secret('s3cret-in-the-url')
const { ref, sandbox } = loginSpec(test, leaks, [ADA])

const login = (box: CliSandbox, server: string | null, env: NodeJS.ProcessEnv = {}) =>
  leaks.run(['login', ...(server === null ? [] : ['--server', server]), '--email', ADA.email, '--password-stdin'], {
    cwd: box.workspace,
    env: { ...box.env, ...env },
    input: ADA.password,
    timeoutMs: 20_000,
  })

const portOf = (url: string) => new URL(url).port

/** The run failed with `code` and one `error:` line matching `pattern` (a `Using ...` line may come before it); that line. */
function errorLine(result: CliResult, code: number, pattern: RegExp): string {
  assert.is(result.code, code, `exit ${code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  const lines = result.stderr.split('\n').filter(Boolean)
  const errors = lines.filter((line) => line.startsWith('error: '))
  assert.is(errors.length, 1, result.stderr)
  assert.ok(
    lines.every((line) => line.startsWith('error: ') || line.startsWith('Using ')),
    result.stderr,
  )
  assert.match(errors[0]!, pattern)
  return errors[0]!
}

test('127.0.0.1:PORT means http://127.0.0.1:PORT, said once; logged in', async () => {
  const box = sandbox()
  const typed = `127.0.0.1:${portOf(ref.server.url)}`
  const result = await login(box, typed)
  assert.is(result.code, 0, result.stderr)
  assert.is(result.stderr.split(`Using ${ref.server.url} (--server ${typed}).`).length - 1, 1, result.stderr)
  assert.match(result.stdout, `Logged in as ${ADA.email}`)
  // An address with its scheme is used as it is, and not repeated.
  const again = await login(sandbox(), ref.server.url)
  assert.is(again.code, 0, again.stderr)
  assert.not.match(again.stderr, 'Using ')
})

test('OMICOS_SERVER=localhost:PORT: the server calls itself 127.0.0.1; that name is given, and works as printed', async () => {
  const box = sandbox()
  const typed = `localhost:${portOf(ref.server.url)}`
  const result = await login(box, null, { OMICOS_SERVER: typed })
  assert.is(result.code, 6, result.stderr)
  assert.match(result.stderr, `Using http://${typed} (OMICOS_SERVER ${typed}).`)
  const line = errorLine(result, 6, /another issuer than http:\/\/localhost:\d+ \(it calls itself http:\/\/127\.0\.0\.1:\d+\)/)
  const hint = /use --server (\S+)$/.exec(line)?.[1]
  assert.is(hint, ref.server.url, line)
  const followed = await login(box, hint!, { OMICOS_SERVER: typed })
  assert.is(followed.code, 0, followed.stderr)
})

test('https:// against a plain-http server: said so, with the address that works', async () => {
  const box = sandbox()
  const host = `127.0.0.1:${portOf(ref.server.url)}`
  const result = await login(box, `https://${host}`)
  const line = errorLine(result, 3, /it answers plain http, not https \(TLS\): use --server http:\/\/127\.0\.0\.1:\d+$/)
  assert.not.match(line, 'private CA')
  const followed = await login(box, /use --server (\S+)$/.exec(line)![1]!)
  assert.is(followed.code, 0, followed.stderr)
})

test('a refused connection and an unknown host: what to check', async () => {
  const probe = createNetServer()
  await timeout(new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve)), 5_000, 'binding a port')
  const port = (probe.address() as { port: number }).port
  await timeout(new Promise<void>((resolve) => probe.close(() => resolve())), 5_000, 'closing a port')
  const refused = await login(sandbox(), `127.0.0.1:${port}`)
  errorLine(refused, 3, /connection refused: check that the server runs at that address and port$/)
  const unknown = await login(sandbox(), 'no-such-host.invalid')
  assert.match(unknown.stderr, 'Using https://no-such-host.invalid (--server no-such-host.invalid).')
  errorLine(unknown, 3, /cannot reach no-such-host\.invalid: .*\(DNS\).*: check the server address and the network/)
})

test('a user name and password in the address: refused (exit 2), not repeated, named by where it came from', async () => {
  const url = `http://ada:s3cret-in-the-url@127.0.0.1:${portOf(ref.server.url)}`
  for (const [args, env, source] of [
    [['login', '--server', url], {}, '--server'],
    [['cli', 'login', '--server', url], {}, '--server'],
    [['login'], { OMICOS_SERVER: url }, 'OMICOS_SERVER'],
    [['cli', 'login'], { OMICOS_SERVER: url.replace('http://', '') }, 'OMICOS_SERVER'],
  ] as const) {
    const box = sandbox()
    const result = await leaks.run(
      [...args, '--email', ADA.email, '--password-stdin'].filter(
        (a) => args[0] === 'login' || (!a.startsWith('--email') && a !== ADA.email && a !== '--password-stdin'),
      ),
      {
        cwd: box.workspace,
        env: { ...box.env, ...env },
        input: ADA.password,
        timeoutMs: 20_000,
      },
    )
    const line = errorLine(result, 2, new RegExp(`^error: ${source}: the address carries a user name or password`))
    assert.not.match(line, 's3cret')
    assert.not.match(result.stdout + result.stderr, 'ada:')
  }
})

test('--email as typed with a Chinese input method or with spaces around: the same address; one that is none says why', async () => {
  for (const typed of ['ａｄａ＠example.com', ' ada@example.com ']) {
    const box = sandbox()
    const result = await leaks.run(['login', '--server', ref.server.url, '--email', typed, '--password-stdin'], {
      cwd: box.workspace,
      env: box.env,
      input: ADA.password,
      timeoutMs: 20_000,
    })
    assert.is(result.code, 0, result.stderr)
    assert.match(result.stdout, `Logged in as ${ADA.email}`)
  }
  const bad = await leaks.run(['login', '--server', ref.server.url, '--email', 'ada.example.com', '--password-stdin'], {
    cwd: sandbox().workspace,
    input: ADA.password,
    timeoutMs: 20_000,
  })
  assert.is(bad.code, 2)
  assert.match(bad.stderr, /^error: --email "ada\.example\.com" is not an email address: it has no @$/m)
})

test('nothing leaked', () => {
  leaks.assertNoLeak()
})

test.run()
