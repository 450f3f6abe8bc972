// What people type out of habit from gh, az and aws, through the built bin: `omicos logout` and
// `omicos status` do what `omicos login --logout` and `--status` do (same output, same exit);
// `whoami`, `auth login`, `cli login --status` and their kin are answered with the command that
// does it (exit 2, one line and the help to read); a switch given with its --no- form is refused.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeSandbox, runCli } from '../support/cli.js'

const box = makeSandbox()
test.after(() => box.cleanup())
const run = (args: string[]) => runCli(args, { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })

test('omicos status and omicos logout: the same as login --status and login --logout', async () => {
  for (const [habit, seed] of [
    [['status'], ['login', '--status']],
    [
      ['status', '--json'],
      ['login', '--status', '--json'],
    ],
    [['logout'], ['login', '--logout']],
  ]) {
    const [a, b] = [await run(habit!), await run(seed!)]
    assert.equal([a.code, a.stdout, a.stderr], [b.code, b.stdout, b.stderr], habit!.join(' '))
  }
  assert.is((await run(['status'])).code, 1, 'not logged in')
})

test('whoami, auth login, cli login --status and kin: the command that does it, exit 2', async () => {
  for (const [args, answer] of [
    [['whoami'], '`omicos status`'],
    [['auth', 'login'], '`omicos login` (email and password) or `omicos cli login` (pairing)'],
    [['auth', 'logout'], '`omicos logout`'],
    [['auth', 'status'], '`omicos status`'],
    [['cli', 'logout'], '`omicos cli login --logout`'],
    [['cli', 'status'], '`omicos status`'],
    [['cli', 'login', '--status'], '`omicos status`'],
  ] as const) {
    const result = await run([...args])
    assert.is(result.code, 2, args.join(' '))
    assert.is(result.stdout, '')
    const lines = result.stderr.trim().split('\n')
    assert.is(lines.length, 2, result.stderr)
    assert.match(lines[0]!, /^error: omicos /)
    assert.ok(lines[0]!.includes(answer), `${args.join(' ')}: ${lines[0]}`)
    assert.match(lines[1]!, /^Run "omicos (cli login )?--help" for usage\.$/)
  }
})

test('a switch with its --no- form: refused, exit 2, nothing done', async () => {
  for (const args of [
    ['cli', 'login', '--force', '--no-force'],
    ['login', '--json', '--no-json', '--status'],
    ['cli', 'login', '--no-workspace', '--workspace'],
  ]) {
    const result = await run(args)
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, /^error: --(force|json|workspace) and --no-\1 cannot be used together\n/)
  }
  // A value that looks like a switch is a value.
  const named = await run(['cli', 'login', '--name', '--no-force', '--force', '--server', 'http://127.0.0.1:1'])
  assert.not.match(named.stderr, 'cannot be used together')
})

test('--help and the README agree on the QR option: --no-qr', async () => {
  const help = (await run(['--help'])).stdout
  assert.match(help, '[--no-qr]')
  assert.not.match(help, '[--qr]')
  const cliHelp = (await run(['cli', 'login', '--help'])).stdout
  assert.not.match(cliHelp, /^\s*- 1\s/m, 'cli login never exits 1')
})

test('login --help says what a wrong email or password does (spec/cli/login-pty.spec.ts watches it): both asked again', async () => {
  const help = (await run(['login', '--help'])).stdout.replace(/\s+/g, ' ')
  assert.match(help, 'a wrong email or password asks for both again, the last email offered (Enter keeps it), three tries in all')
  assert.not.match(help, 'A wrong password is asked again')
})

test.run()
