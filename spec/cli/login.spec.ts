// `omicos login` end to end: the built binary as a child process against the reference
// server on a free port, OMICOS_HOME and the workspace in temp folders.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { passwordLogin, request } from '../support/server.js'
import { timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const WES = { email: 'wes@example.com', password: 'wes knows best 42' }
const RITA = { email: 'rita@example.com', password: 'rita rate limited 7' }
const NAMES = { email: 'nora@example.com', password: 'nora names things 3' }
const WRONG = ['not the password 1', 'not the password 2', 'not the password 3', 'not the password 4', 'not the password 5', 'not the password 6']

const leaks = watchForLeaks()
for (const wrong of WRONG) leaks.secret(wrong)
const { ref, sandbox, cleanUp } = loginSpec(test, leaks, [ADA, WES, RITA, NAMES])

const globalFile = (box: CliSandbox) => join(box.home, CREDENTIAL_FILE)

/** `omicos login` with the password on stdin, in the sandbox's workspace. */
const loginWithStdin = (box: CliSandbox, user: { email: string; password: string }, extra: string[] = [], server = ref.server.url) =>
  leaks.run(['login', '--server', server, '--email', user.email, '--password-stdin', ...extra], {
    cwd: box.workspace,
    env: box.env,
    input: user.password,
    timeoutMs: 20_000,
  })

const closedPort = async (): Promise<number> => {
  const probe = createNetServer()
  await timeout(new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve)), 5_000, 'binding a port')
  const port = (probe.address() as { port: number }).port
  await timeout(new Promise<void>((resolve) => probe.close(() => resolve())), 5_000, 'closing a port')
  return port
}

// --- logging in -------------------------------------------------------------------------------

test('--email with --password logs in, writes the global file and warns once about shell history', async () => {
  const box = sandbox()
  const result = await leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password', ADA.password], { cwd: box.workspace, env: box.env })
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged in as ${ADA.email} (process "workspace").`)
  assert.match(result.stdout, `Credentials written to ${globalFile(box)}`)
  const warnings = result.stderr.split('\n').filter(Boolean)
  assert.is(warnings.length, 1, result.stderr)
  assert.match(warnings[0]!, /^warning: .*--password.*shell history.*--password-stdin/)

  const creds = leaks.readCredentials(globalFile(box))
  assert.is(creds.user.email, ADA.email)
  assert.is(creds.user.account_id, ref.users[0]!.accountId)
  assert.is(creds.user.cloud_base, new URL(ref.server.url).host)
  assert.match(creds.process_id, /^local-[A-Za-z0-9_-]+$/)
  assert.ok(creds.user_token && creds.process_token, 'both tokens are stored')
  assert.ok(!Number.isNaN(Date.parse(creds.logged_in_at)), 'logged_in_at is a time')
  assert.is(creds.server, ref.server.url)
  assert.is(creds.auth_method, 'password')
})

test('--password-stdin logs in without the warning', async () => {
  const box = sandbox()
  const result = await loginWithStdin(box, ADA)
  assert.is(result.code, 0, result.stderr)
  assert.is(result.stderr, '')
  assert.match(result.stdout, `Logged in as ${ADA.email}`)
  assert.is(leaks.readCredentials(globalFile(box)).user.email, ADA.email)
})

test('already logged in: says as whom, exit 0, no password needed; the server is asked only whether the login still works', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, ADA)).code, 0)
  const before = bytesOf(globalFile(box))
  const requests = ref.server.requests.length
  const result = await leaks.run(['login', '--server', ref.server.url], { cwd: box.workspace, env: box.env, timeoutMs: 10_000 })
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Already logged in as ${ADA.email} (process "workspace")`)
  assert.match(result.stdout, '--force')
  const asked = ref.server.requests.slice(requests).map((r) => `${r.method} ${r.path}`)
  assert.equal(
    asked.filter((r) => !r.includes('/.well-known/')),
    ['GET /omicos/account'],
    'only the account check: nothing issued or rotated',
  )
  assert.equal(bytesOf(globalFile(box)), before)
})

test('--force logs in again and the server rotates the process token: the first one stops working', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, ADA)).code, 0)
  const first = leaks.readCredentials(globalFile(box))
  const requests = ref.server.requests.length
  const again = await loginWithStdin(box, ADA, ['--force'])
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stdout, `Logged in as ${ADA.email}`)
  assert.ok(
    ref.server.requests.slice(requests).some((r) => r.path === '/token' && r.grantType === 'password'),
    'a new token request',
  )
  const second = leaks.readCredentials(globalFile(box))
  assert.is(second.process_id, first.process_id, 'same workspace, same process id')
  assert.is.not(second.process_token, first.process_token)

  const current = (token: string) => request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${token}` } })
  const old = await current(first.process_token)
  assert.is(old.status, 401)
  const now = await current(second.process_token)
  assert.is(now.status, 200)
  assert.is(now.body.process_id, second.process_id)
  assert.is(now.body.account_id, second.user.account_id)
})

// --- process names ----------------------------------------------------------------------------

test('--name sets the process name, here and at the server', async () => {
  const box = sandbox()
  const result = await loginWithStdin(box, NAMES, ['--name', 'rnaseq pipeline'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, '(process "rnaseq pipeline")')
  const creds = leaks.readCredentials(globalFile(box))
  assert.is(creds.process_name, 'rnaseq pipeline')
  const current = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${creds.process_token}` } })
  assert.is(current.body.name, 'rnaseq pipeline')
})

test("the default process name is the conda environment (not conda's base), else the directory name", async () => {
  const conda = sandbox({ CONDA_DEFAULT_ENV: 'scanpy-env' })
  const inConda = await loginWithStdin(conda, NAMES)
  assert.is(inConda.code, 0, inConda.stderr)
  assert.match(inConda.stdout, '(process "scanpy-env")')
  assert.is(leaks.readCredentials(globalFile(conda)).process_name, 'scanpy-env')

  // Conda's base is active in every shell once conda is installed: it names nothing; the directory does.
  const base = sandbox({ CONDA_DEFAULT_ENV: 'base', CONDA_EXE: '/opt/conda/bin/conda' })
  const inBase = await loginWithStdin(base, NAMES)
  assert.is(inBase.code, 0, inBase.stderr)
  assert.match(inBase.stdout, '(process "workspace")')
  assert.is(leaks.readCredentials(globalFile(base)).process_name, 'workspace')

  const plain = sandbox()
  const inDir = await loginWithStdin(plain, NAMES)
  assert.is(inDir.code, 0, inDir.stderr)
  assert.match(inDir.stdout, '(process "workspace")')
  assert.is(leaks.readCredentials(globalFile(plain)).process_name, 'workspace')
})

// --- refusals, each leaving the earlier login as it was ---------------------------------------

test('wrong password: exit 4, one line, the earlier credentials byte for byte', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, WES)).code, 0)
  const before = bytesOf(globalFile(box))
  const result = await loginWithStdin(box, { email: WES.email, password: WRONG[0]! }, ['--force'])
  assertOneLineError(result, 4, /wrong email or password/)
  assert.equal(bytesOf(globalFile(box)), before)
})

test('rate limited after repeated wrong passwords: exit 4 saying when to try again, fast, credentials intact', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, RITA)).code, 0)
  const before = bytesOf(globalFile(box))
  assertOneLineError(await loginWithStdin(box, { email: RITA.email, password: WRONG[0]! }, ['--force']), 4, /wrong email or password/)
  // Four more wrong tries straight at the token endpoint, the way a script would: same limit.
  for (const wrong of WRONG.slice(1, 5)) assert.is((await passwordLogin(ref.server, RITA.email, wrong)).status, 400)
  const started = Date.now()
  const limited = await loginWithStdin(box, { email: RITA.email, password: WRONG[5]! }, ['--force'])
  assertOneLineError(limited, 4, /too many login attempts: try again in \d+ (s|min)/)
  // The server asks for most of a minute: more than the login waits out, so it stops at once.
  assert.ok(Date.now() - started < 10_000, 'does not sit out a long Retry-After')
  // Even the right password is refused while the limit holds.
  const right = await loginWithStdin(box, RITA, ['--force'])
  assertOneLineError(right, 4, /too many login attempts/)
  assert.equal(bytesOf(globalFile(box)), before)
})

// A proxy in front of the reference server that answers password-grant requests with 429 and
// a short Retry-After for as long as `limited(n)` says so (n counts password grants from 1).
async function rateLimitingProxy(limited: (n: number) => boolean) {
  const grants: number[] = []
  let proxyUrl = ''
  const body = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = []
      req.on('data', (d: Buffer) => chunks.push(d))
      req.on('end', () => resolve(Buffer.concat(chunks)))
      req.on('error', reject)
    })
  const proxy: Server = createServer(async (req, res) => {
    try {
      const sent = await body(req)
      if (req.method === 'POST' && req.url === '/token' && new URLSearchParams(sent.toString()).get('grant_type') === 'password') {
        grants.push(Date.now())
        if (limited(grants.length)) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
          res.end(JSON.stringify({ error: 'invalid_request', error_description: 'too many requests' }))
          return
        }
      }
      const headers: Record<string, string> = {}
      for (const name of ['authorization', 'content-type', 'accept']) if (req.headers[name]) headers[name] = String(req.headers[name])
      const answer = await fetch(ref.server.url + req.url, {
        method: req.method,
        headers,
        body: sent.length ? sent.toString() : undefined,
        signal: AbortSignal.timeout(10_000),
      })
      // The metadata names the server's own address; the client must keep talking to the proxy.
      const text = (await answer.text()).split(ref.server.url).join(proxyUrl)
      const out: Record<string, string> = { 'content-type': answer.headers.get('content-type') ?? 'application/json' }
      const retry = answer.headers.get('retry-after')
      if (retry) out['retry-after'] = retry
      res.writeHead(answer.status, out)
      res.end(text)
    } catch {
      res.writeHead(502)
      res.end()
    }
  })
  await timeout(new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve)), 5_000, 'starting the proxy')
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`
  return {
    url: proxyUrl,
    grants,
    close: () =>
      timeout(
        new Promise<void>((resolve) => {
          proxy.closeAllConnections()
          proxy.close(() => resolve())
        }),
        5_000,
        'stopping the proxy',
      ),
  }
}

test('a short Retry-After is waited out, then the login goes through', async () => {
  const proxy = await rateLimitingProxy((n) => n === 1)
  try {
    const box = sandbox()
    const result = await loginWithStdin(box, ADA, [], proxy.url)
    assert.is(result.code, 0, result.stderr)
    assert.match(result.stdout, `Logged in as ${ADA.email}`)
    assert.is(proxy.grants.length, 2)
    assert.ok(proxy.grants[1]! - proxy.grants[0]! >= 950, `the second try waited for Retry-After (${proxy.grants[1]! - proxy.grants[0]!} ms)`)
  } finally {
    await proxy.close()
  }
})

test('a short Retry-After answered every time: three tries in all, then exit 4 saying when', async () => {
  const proxy = await rateLimitingProxy(() => true)
  try {
    const box = sandbox()
    assert.is((await loginWithStdin(box, ADA)).code, 0)
    const before = bytesOf(globalFile(box))
    const result = await loginWithStdin(box, ADA, ['--force'], proxy.url)
    assertOneLineError(result, 4, /too many login attempts: try again in 1 s/)
    assert.is(proxy.grants.length, 3)
    assert.equal(bytesOf(globalFile(box)), before)
  } finally {
    await proxy.close()
  }
})

test('server down (a closed port): exit 3 within 10 s, one line naming the host, credentials intact', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, ADA)).code, 0)
  const before = bytesOf(globalFile(box))
  const port = await closedPort()
  const started = Date.now()
  const result = await loginWithStdin(box, ADA, ['--force'], `http://127.0.0.1:${port}`)
  assert.ok(Date.now() - started < 10_000, `gave up in ${Date.now() - started} ms`)
  assertOneLineError(result, 3, new RegExp(`127\\.0\\.0\\.1:${port}`))
  assert.equal(bytesOf(globalFile(box)), before)
})

test('the default server https://auth.omicos.cn, unreachable here: exit 3 fast, naming it', async () => {
  const box = sandbox()
  const before = bytesOf(globalFile(box))
  const started = Date.now()
  const result = await leaks.run(['login', '--email', ADA.email, '--password-stdin', '--force'], {
    cwd: box.workspace,
    env: box.env,
    input: ADA.password,
    timeoutMs: 20_000,
  })
  assert.ok(Date.now() - started < 10_000, `gave up in ${Date.now() - started} ms`)
  assertOneLineError(result, 3, /auth\.omicos\.cn/)
  assert.equal(bytesOf(globalFile(box)), before)
})

test('no --server and a login here on another server: that server is used, and said, never the default silently', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, ADA)).code, 0)
  const result = await leaks.run(['login', '--email', ADA.email, '--password-stdin', '--force'], {
    cwd: box.workspace,
    env: box.env,
    input: ADA.password,
    timeoutMs: 20_000,
  })
  assert.is(result.code, 0, result.stderr)
  assert.is(result.stderr, `Using ${ref.server.url}, the server of the login here (--server to choose another).\n`)
  assert.match(result.stdout, `Logged in as ${ADA.email}`)
})

// --- usage ------------------------------------------------------------------------------------

test('no terminal and no password: exit 2 at once, one line naming --password-stdin', async () => {
  const box = sandbox()
  const started = Date.now()
  const all = [
    ['login', '--server', ref.server.url],
    ['login', '--server', ref.server.url, '--email', ADA.email],
    ['login', '--server', ref.server.url, '--force'],
  ]
  // The runs end by themselves within the limit: nothing waits on input that will not come.
  const results = await Promise.all(all.map((args) => leaks.run(args, { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })))
  for (const result of results) assertOneLineError(result, 2, /--password-stdin/)
  assert.ok(Date.now() - started < 15_000, 'nothing waits on input')
  assert.not.ok(existsSync(globalFile(box)))
})

test('bad or conflicting options: exit 2, one line, no stack, credentials intact', async () => {
  const box = sandbox()
  assert.is((await loginWithStdin(box, ADA)).code, 0)
  const before = bytesOf(globalFile(box))
  const cases: Array<[string[], RegExp]> = [
    [['--status', '--logout'], /--status and --logout/],
    [['--server', 'ftp://x', '--email', ADA.email, '--password-stdin'], /--server .*ftp/],
    [['--server', 'http://example.com', '--email', ADA.email, '--password-stdin'], /--server .*http/],
    [['--server', 'http://example.com', '--email', ADA.email, '--password', ADA.password, '--force'], /--server .*http/],
    [['--status', '--email', ADA.email], /--email cannot be used with --status/],
    [['--password', ADA.password, '--password-stdin', '--email', ADA.email], /either --password or --password-stdin/],
    [['--email', 'not-an-address', '--password-stdin'], /not an email address/],
  ]
  const results = await Promise.all(
    cases.map(([args]) => leaks.run(['login', ...args], { cwd: box.workspace, env: box.env, input: ADA.password, timeoutMs: 20_000 })),
  )
  cases.forEach(([args, pattern], i) => {
    assertOneLineError(results[i]!, 2, pattern)
    assert.is(results[i]!.stdout, '', `nothing on stdout for ${args.join(' ')}`)
  })
  const unknown = await leaks.run(['login', '--no-such-flag'], { cwd: box.workspace, env: box.env, timeoutMs: 10_000 })
  assert.is(unknown.code, 2)
  assert.match(unknown.stderr, /^error: .*--no-such-flag/)
  assert.not.match(unknown.stderr, /\n\s+at /)
  assert.equal(bytesOf(globalFile(box)), before)
})

// --- tracing ----------------------------------------------------------------------------------

const TRACE_LINE = /^\[trace [\d:.]+\] (\w+: )?[\w.]+: \S+ -> \S+/

test('--trace and OMICOS_TRACE=1 print the transitions on stderr, without secrets', async () => {
  const box = sandbox()
  const flagged = await loginWithStdin(box, ADA, ['--trace'])
  assert.is(flagged.code, 0, flagged.stderr)
  const lines = flagged.stderr.split('\n').filter(Boolean)
  assert.ok(lines.length >= 4, flagged.stderr)
  for (const line of lines) assert.match(line, TRACE_LINE)
  assert.match(flagged.stderr, /checkingExisting -> passwordGrant/)
  assert.match(flagged.stderr, /grant: .* -> authenticating/)
  assert.match(flagged.stderr, /passwordGrant -> identifying/)
  assert.match(flagged.stderr, /locking -> registeringProcess/)
  assert.match(flagged.stderr, /persisting -> loggedIn/)
  assert.not.match(flagged.stdout, /\[trace/)

  const byEnv = await leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin', '--force'], {
    cwd: box.workspace,
    env: { ...box.env, OMICOS_TRACE: '1' },
    input: ADA.password,
  })
  assert.is(byEnv.code, 0, byEnv.stderr)
  assert.match(byEnv.stderr, /locking -> registeringProcess/)

  const status = await leaks.run(['login', '--status', '--trace'], { cwd: box.workspace, env: box.env })
  assert.is(status.code, 0)
  assert.match(status.stderr, /reading -> reported/)
  const wrong = await loginWithStdin(box, { email: ADA.email, password: WRONG[0]! }, ['--force', '--trace'])
  assert.is(wrong.code, 4)
  assert.match(wrong.stderr, /authenticating -> failed/)

  leaks.readCredentials(globalFile(box))
  for (const text of [flagged.stderr, byEnv.stderr, wrong.stderr]) {
    assert.not.ok(text.includes(ADA.password) || text.includes(WRONG[0]!), 'no password in a trace')
  }
})

// --- nothing leaked ---------------------------------------------------------------------------

test('no output and no file but the credential files holds a password or a token', () => {
  cleanUp()
  leaks.assertNoLeak()
})

test.run()
