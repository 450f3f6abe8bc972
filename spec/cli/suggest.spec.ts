// Typos on the command line: the built `omicos` answers with exit 2, one line that names what
// was typed wrong and what was probably meant, and where to read the usage. Nothing but
// command words and option names is ever repeated.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { makeSandbox, runCli } from '../support/cli.js'
import { closest, editDistance } from '../../cli/suggest.js'

const box = makeSandbox()
test.after(() => box.cleanup())
const run = (args: string[]) => runCli(args, { cwd: box.workspace, env: box.env, timeoutMs: 10_000 })

const CASES: Array<[args: string[], line: string, help: string]> = [
  [['lgin'], 'omicos lgin is not a command; did you mean omicos login?', 'omicos --help'],
  [['logni', '--email', 'ada@example.com'], 'omicos logni is not a command; did you mean omicos login?', 'omicos --help'],
  [['cli'], 'omicos cli is not a whole command; did you mean omicos cli login?', 'omicos --help'],
  [['cli', 'lgoin'], 'omicos cli lgoin is not a command; did you mean omicos cli login?', 'omicos --help'],
  [['clu', 'login'], 'omicos clu is not a command; did you mean omicos cli login?', 'omicos --help'],
  [['complete', 'bash'], 'omicos complete is not a command; did you mean omicos completion?', 'omicos --help'],
  [['xyzzy'], 'omicos xyzzy is not a command; the commands are: omicos login, omicos cli login, omicos completion', 'omicos --help'],
  [['login', '--emial', 'ada@example.com'], 'omicos login: unknown option --emial; did you mean --email?', 'omicos login --help'],
  [['login', '--stauts'], 'omicos login: unknown option --stauts; did you mean --status?', 'omicos login --help'],
  [['login', '--password-stdn'], 'omicos login: unknown option --password-stdn; did you mean --password-stdin?', 'omicos login --help'],
  [['cli', 'login', '--noqr'], 'omicos cli login: unknown option --noqr; did you mean --no-qr?', 'omicos cli login --help'],
  [['cli', 'login', '--email', 'ada@example.com'], 'omicos cli login: unknown option --email', 'omicos cli login --help'],
  [['login', '--frobnicate'], 'omicos login: unknown option --frobnicate', 'omicos login --help'],
  [['--verison'], 'omicos: unknown option --verison; did you mean --version?', 'omicos --help'],
  [['login', '--force=yes'], '--force takes no value', 'omicos login --help'],
  [['login', '--email'], '--email needs a value: --email <email>', 'omicos login --help'],
  [['login', '--status', 'now'], 'omicos login: unexpected argument (neither an option nor the value of one)', 'omicos login --help'],
]

for (const [args, line, help] of CASES) {
  test(`omicos ${args.join(' ')}: ${line}`, async () => {
    const result = await run(args)
    assert.is(result.code, 2, result.stderr)
    assert.is(result.stdout, '')
    assert.equal(result.stderr.split('\n'), [`error: ${line}`, `Run "${help}" for usage.`, ''])
  })
}

test('omicos completion with an unknown or no shell: exit 2, the choices or the nearest one', async () => {
  const typo = await run(['completion', 'bsh'])
  assert.is(typo.code, 2)
  assert.is(typo.stderr, 'error: unknown shell "bsh"; did you mean omicos completion bash?\n')
  const none = await run(['completion'])
  assert.is(none.code, 2)
  assert.is(none.stderr, 'error: which shell? (omicos completion bash|zsh|fish)\n')
})

test('edit distance counts a swap of neighbours as one; closest() allows one edit in three letters', () => {
  assert.is(editDistance('login', 'login'), 0)
  assert.is(editDistance('lgin', 'login'), 1)
  assert.is(editDistance('logni', 'login'), 1)
  assert.is(editDistance('', 'abc'), 3)
  assert.is(closest('lgin', ['login', 'cli', 'completion']), 'login')
  assert.is(closest('--pasword', ['--password', '--password-stdin']), '--password')
  assert.is(closest('xyzzy', ['login', 'cli', 'completion']), null)
  assert.is(closest('lo', ['login']), null, 'a prefix is not a typo')
})

test.run()
