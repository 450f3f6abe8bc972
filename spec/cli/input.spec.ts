// What `omicos login` and `omicos cli login` refuse up front, with exit 2 and one line before
// any network call: --password-stdin on a terminal, a --name the server would refuse, --server
// where it would be ignored; usage messages that never echo control characters, nor the value
// of --password; --password's value gone from the process list (/proc/PID/cmdline) once the
// command has started; and a reader of stdout that goes away early (EPIPE) ends the command quietly.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_BIN, startCli, type CliResult, type CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { sleep, timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'ada types a password 9' }
const leaks = watchForLeaks()
const { ref, sandbox } = loginSpec(test, leaks, [ADA])

const globalFile = (box: CliSandbox) => join(box.home, CREDENTIAL_FILE)
const run = (box: CliSandbox, args: string[], input?: string) => leaks.run(args, { cwd: box.workspace, env: box.env, input, timeoutMs: 20_000 })
const loginAda = (box: CliSandbox, extra: string[] = [], input = ADA.password) =>
  run(box, ['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin', ...extra], input)

// Characters a terminal acts on instead of showing: escape, bell, bidi override.
const RAW_UNSAFE = /[\x1b\x07\u202e]/

// A loopback server that answers nothing useful and counts what reaches it.
let counter: Server
let requests = 0
test.before(async () => {
  counter = createServer((_req, res) => {
    requests++
    res.writeHead(500).end()
  })
  await timeout(new Promise<void>((resolve) => counter.listen(0, '127.0.0.1', resolve)), 5_000, 'binding the counting server')
})
test.after(async () => {
  await timeout(new Promise<void>((resolve) => counter.close(() => resolve())), 5_000, 'closing the counting server')
})
const counterUrl = () => `http://127.0.0.1:${(counter.address() as { port: number }).port}`

// --- --password-stdin ---------------------------------------------------------------------------

test('--password-stdin reads the first line of the pipe; an empty or oversized input is exit 2', async () => {
  const box = sandbox()
  const twoLines = await loginAda(box, [], `${ADA.password}\nsomething else\n`)
  assert.is(twoLines.code, 0, twoLines.stderr)
  assert.ok(existsSync(globalFile(box)))
  assertOneLineError(await loginAda(box, ['--force'], ''), 2, /--password-stdin/)
  assertOneLineError(await loginAda(box, ['--force'], 'x'.repeat(65 * 1024)), 2, /--password-stdin.*64 KiB/)
})

test('--password-stdin on a terminal (tmux): exit 2 at once, one line, nothing waits or echoes', async () => {
  const box = sandbox()
  const socket = join(box.home, '..', 'tmux.sock')
  const tmux = (...args: string[]) => {
    const result = spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env: { ...box.env, TERM: box.env.TERM || 'xterm-256color' }, timeout: 5_000 })
    assert.is(result.status, 0, `tmux ${args[0]}: ${result.stderr}`)
    return result.stdout
  }
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const args = ['login', '--server', counterUrl(), '--email', ADA.email, '--password-stdin']
  tmux(
    'new-session',
    '-d',
    '-x',
    '150',
    '-y',
    '20',
    '-s',
    'stdin',
    '-c',
    box.workspace,
    `${[process.execPath, CLI_BIN, ...args].map(quote).join(' ')}; echo "EXIT=$?"; sleep 60`,
  )
  try {
    const before = requests
    let screen = ''
    const deadline = Date.now() + 10_000
    while (!/EXIT=\d+/.test(screen)) {
      if (Date.now() > deadline) {
        // Still running: it waits on the terminal. Type a password, to show it would be echoed.
        tmux('send-keys', '-t', 'stdin', '-l', 'typed-secret')
        await sleep(300)
        assert.unreachable(`omicos waits on the terminal:\n${tmux('capture-pane', '-p', '-J', '-t', 'stdin')}`)
      }
      await sleep(100)
      screen = tmux('capture-pane', '-p', '-J', '-t', 'stdin')
    }
    const lines = screen.split('\n').filter((line) => line.trim())
    assert.equal(lines, ['error: --password-stdin reads a piped password; on a terminal, leave it out to be asked (hidden)', 'EXIT=2'])
    assert.is(requests, before, 'no request reached the server')
    assert.not.ok(existsSync(globalFile(box)))
  } finally {
    spawnSync('tmux', ['-S', socket, 'kill-server'], { timeout: 5_000 })
  }
})

// --- --name -------------------------------------------------------------------------------------

const BAD_NAMES: Array<[string, string, RegExp]> = [
  ['an escape sequence', 'job\x1b]0;TITLE\x07', /--name: the value holds control/],
  ['a bidi override', 'report\u202etxt.exe', /--name: the value holds control/],
  ['a newline', 'two\nlines', /--name: the value holds control/],
  ['201 characters', 'n'.repeat(201), /--name is too long: at most 200 characters/],
  ['only spaces', '   ', /--name is empty/],
]

for (const [what, name, pattern] of BAD_NAMES) {
  test(`--name with ${what}: exit 2 from both commands before any request, the value not echoed`, async () => {
    const box = sandbox()
    const before = requests
    const results: CliResult[] = [
      await run(box, ['login', '--server', counterUrl(), '--email', ADA.email, '--password-stdin', '--name', name], ADA.password),
      await run(box, ['login', '--server', counterUrl(), '--email', ADA.email, '--password', ADA.password, '--name', name]),
      await run(box, ['cli', 'login', '--server', counterUrl(), '--name', name]),
    ]
    for (const result of results) {
      assertOneLineError(result, 2, pattern)
      assert.not.match(result.stderr, RAW_UNSAFE)
      assert.is(result.stdout, '')
    }
    assert.is(requests, before, 'no request reached the server')
  })
}

test('--name of 200 characters is accepted (the server takes it)', async () => {
  const box = sandbox()
  const result = await loginAda(box, ['--name', 'n'.repeat(200)])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `(process "${'n'.repeat(200)}")`)
})

// --- values with control characters are never echoed --------------------------------------------

test('usage errors never echo a value with control characters, for every option and argument', async () => {
  const box = sandbox()
  const evil = '\x1b]0;TITLE\x07x'
  const cases: Array<[string[], RegExp]> = [
    [['login', '--email', evil, '--password-stdin'], /--email the value is not an email address/],
    [['login', '--email', `a${evil}@example.com`, '--password-stdin'], /--email the value is not an email address/],
    [['login', '--server', `https://auth.example/${evil}`], /--server the value is not usable/],
    [['cli', 'login', '--server', `https://auth.example/${evil}`], /--server the value is not usable/],
    [['login', '--status', '--verify', '--server', evil], /--server the value is not usable/],
    [['login', '--logout', '--server', evil], /--server the value is not usable/],
    [['login', evil], /unexpected argument \(neither an option nor the value of one\)/],
    [['login', `--bogus${evil}`], /an unknown option \(its name holds control characters\)/],
    [[evil], /unknown command/],
  ]
  for (const [args, pattern] of cases) {
    const result = await run(box, args, '')
    assert.is(result.code, 2, `${JSON.stringify(args)}: ${result.stderr}`)
    assert.match(result.stderr.split('\n')[0]!, /^error: /)
    assert.match(result.stderr, pattern)
    assert.not.match(result.stderr + result.stdout, RAW_UNSAFE, `nothing raw for ${JSON.stringify(args)}`)
  }
})

// --- --password and what others can see -------------------------------------------------------

const PASSWORD = 'pw-Value-4711'

test('usage errors with --password VALUE never show the value, whatever is wrong', async () => {
  const box = sandbox()
  const cases: string[][] = [
    ['lgin', '--email', ADA.email, '--password', PASSWORD],
    ['lgin', `--password=${PASSWORD}`],
    ['cli', 'lgin', '--password', PASSWORD],
    ['cli', '--password', PASSWORD],
    ['cli', 'login', '--password', PASSWORD],
    ['login', '--pasword', PASSWORD],
    ['login', `--passwrd=${PASSWORD}`],
    ['login', '--password', PASSWORD, 'extra'],
    ['login', '--password', PASSWORD, '--bogus'],
    ['login', '--password', PASSWORD, '--email'],
    ['login', '--email', '--password', PASSWORD],
    ['login', `--force=${PASSWORD}`],
    ['login', `-p${PASSWORD}`],
    ['login', `--password${PASSWORD}`],
    ['login', '--password', PASSWORD, '--password-stdin', '--email', ADA.email],
    ['login', '--password', PASSWORD, '--status'],
    ['login', '--password', PASSWORD, '--logout'],
    ['login', '--password', PASSWORD, '--email', 'not-an-email'],
    ['login', '--password', PASSWORD, '--server', 'ftp://example.com'],
    ['login', '--password', PASSWORD, '--name', '\x1b]0;T\x07'],
    ['login', '--', '--password', PASSWORD],
    ['--password', PASSWORD],
    ['completion', 'bash', '--password', PASSWORD],
  ]
  const before = requests
  for (const args of cases) {
    const result = await run(box, args)
    assert.is(result.code, 2, `${JSON.stringify(args)}: ${result.stderr}`)
    assert.match(result.stderr, /^error: /, JSON.stringify(args))
    assert.not.match(result.stdout + result.stderr, PASSWORD, `${JSON.stringify(args)} shows the password:\n${result.stderr}`)
  }
  assert.is(requests, before, 'none of them went online')
})

test('/proc/PID/cmdline of a running `omicos login --password VALUE` never shows the value after start-up', async () => {
  // A server that holds every request: the login waits on it, visible in the process list.
  let held = 0
  const holding = createServer(() => {
    held++
  })
  await timeout(new Promise<void>((resolve) => holding.listen(0, '127.0.0.1', resolve)), 5_000, 'binding the holding server')
  const url = `http://127.0.0.1:${(holding.address() as { port: number }).port}`
  const box = sandbox()
  const cli = startCli(['login', '--server', url, '--email', ADA.email, '--password', PASSWORD, '--name', 'proc-check'], {
    cwd: box.workspace,
    env: box.env,
    timeoutMs: 30_000,
  })
  const file = `/proc/${cli.child.pid}/cmdline`
  const samples: Array<{ text: string; online: boolean }> = []
  try {
    // Sampled from the spawn on until the request has been held a while.
    const until = Date.now() + 20_000
    let onlineSince = 0
    while (Date.now() < until) {
      let text: string
      try {
        text = readFileSync(file, 'latin1')
      } catch {
        break
      }
      samples.push({ text, online: held > 0 })
      if (held > 0 && !onlineSince) onlineSince = Date.now()
      if (onlineSince && Date.now() - onlineSince > 1_500) break
      // 1 ms apart: often enough, without taking a core from the login being watched.
      await sleep(1)
    }
    assert.ok(held > 0, `the login reached the server; stderr: ${cli.stderr()}`)
    const first = samples.findIndex((s) => !s.text.includes(PASSWORD))
    assert.ok(first >= 0, 'the command line was rewritten')
    const later = samples.slice(first).filter((s) => s.text.includes(PASSWORD))
    assert.is(later.length, 0, `the password came back in ${later.length} of ${samples.length - first} samples`)
    assert.not.ok(
      samples.some((s) => s.online && s.text.includes(PASSWORD)),
      'hidden before anything went online',
    )
    // ps shows the title up to the first NUL; the rest of the old arguments' space is zeroed.
    const shown = samples.at(-1)!.text
    assert.is(shown.split('\0')[0], `omicos login --server ${url} --email ${ADA.email} --password *** --name proc-check`)
    assert.match(shown, /^[^\0]+\0*$/, 'nothing after the title but NULs')
    const ps = spawnSync('ps', ['-o', 'args=', '-p', String(cli.child.pid)], { encoding: 'utf8', timeout: 5_000 })
    if (ps.status === 0) assert.not.match(ps.stdout, PASSWORD)
  } finally {
    cli.child.kill('SIGINT')
    await timeout(cli.done, 10_000, 'the login to end').catch(() => cli.child.kill('SIGKILL'))
    holding.closeAllConnections()
    await timeout(new Promise<void>((resolve) => holding.close(() => resolve())), 5_000, 'closing the holding server')
  }
  // The warning stays; the value is never printed.
  assert.match(cli.stderr(), /^warning: a password passed with --password stays in your shell history; prefer --password-stdin\.$/m)
  assert.not.match(cli.stdout() + cli.stderr(), PASSWORD)
})

// --- --server where it would not be used --------------------------------------------------------

test("--status --server without --verify is a usage error; with --verify it must be the login's server", async () => {
  const box = sandbox()
  assert.is((await loginAda(box)).code, 0)
  assertOneLineError(await run(box, ['login', '--status', '--server', ref.server.url]), 2, /--server goes with a login or --status --verify/)
  const before = requests
  const other = await run(box, ['login', '--status', '--verify', '--server', counterUrl()])
  assertOneLineError(other, 2, /--server ".*" is not the server of the login here \(http:\/\/127\.0\.0\.1:\d+\): leave --server out/)
  assert.is(requests, before, 'the other server was not asked')
  const same = await run(box, ['login', '--status', '--verify', '--server', `${ref.server.url}/`])
  assert.is(same.code, 0, same.stderr)
  assert.match(same.stdout, /^online check: the user token works$/m)
})

for (const command of [['login'], ['cli', 'login']]) {
  test(`${command.join(' ')} --logout --server: another server removes nothing (exit 2); the login's own logs out`, async () => {
    const box = sandbox()
    assert.is((await loginAda(box)).code, 0)
    const before = bytesOf(globalFile(box))
    const other = await run(box, [...command, '--logout', '--server', counterUrl()])
    assertOneLineError(other, 2, /is not the server of the login here .*: nothing was removed; leave --server out to log out of it/)
    assert.equal(bytesOf(globalFile(box)), before, 'credentials intact')
    const same = await run(box, [...command, '--logout', '--server', ref.server.url])
    assert.is(same.code, 0, same.stderr)
    assert.match(same.stdout, `Logged out ${ADA.email}.`)
    assert.not.ok(existsSync(globalFile(box)))
    // Nobody logged in: nothing to compare, nothing to remove.
    const nobody = await run(box, [...command, '--logout', '--server', counterUrl()])
    assert.is(nobody.code, 0, nobody.stderr)
    assert.match(nobody.stdout, /^Not logged in/)
  })
}

// --- a reader that goes away --------------------------------------------------------------------

/** `omicos ARGS | READER` in bash; the exit code is omicos's own (PIPESTATUS), not the reader's. */
function piped(box: CliSandbox, args: string[], reader: string): Promise<{ code: number | null; stderr: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const line = `${[process.execPath, CLI_BIN, ...args].map(quote).join(' ')} | ${reader}; echo "OMICOS_EXIT=\${PIPESTATUS[0]}" >&2`
  const child = spawn('bash', ['-c', line], { cwd: box.workspace, env: box.env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', () => {
      const match = stderr.match(/OMICOS_EXIT=(\d+)\n$/)
      resolve({ code: match ? Number(match[1]) : null, stderr: stderr.replace(/OMICOS_EXIT=\d+\n$/, '') })
    }),
  )
  return timeout(done, 15_000, `omicos ${args.join(' ')} | ${reader}`).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}

test('login --status into a reader that closes early (| head -1, | true): no stack trace, its own exit code', async () => {
  const box = sandbox()
  assert.is((await loginAda(box)).code, 0)
  // `true` closes the pipe before omicos has started writing: every write meets EPIPE.
  for (const reader of ['head -1', 'true', 'head -c 0']) {
    for (const args of [
      ['login', '--status'],
      ['login', '--status', '--json'],
    ]) {
      const result = await piped(box, args, reader)
      assert.is(result.stderr, '', `nothing on stderr for ${args.join(' ')} | ${reader}`)
      assert.not.match(result.stderr, /Error|\n\s*at /)
      assert.is(result.code, 0, `${args.join(' ')} | ${reader}`)
    }
  }
  // Not logged in: exit 1 still, not hidden by the closed pipe.
  const nobody = sandbox()
  const result = await piped(nobody, ['login', '--status'], 'true')
  assert.is(result.stderr, '')
  assert.is(result.code, 1)
})

test('cli login into a reader that is gone: the pairing is cancelled at once (130), no stack trace', async () => {
  const box = sandbox()
  const started = Date.now()
  const result = await piped(box, ['cli', 'login', '--server', ref.server.url, '--no-qr'], 'true')
  assert.is(result.code, 130, result.stderr)
  assert.not.match(result.stderr, /Error|\n\s*at /)
  assert.match(result.stderr, /^error: .*cancelled/m)
  assert.ok(Date.now() - started < 15_000)
})

test.run()
