// The command layer on in-memory streams, no child process: the exit-code table as README.md
// and --help show it, exit 70 for an error no one meant to raise, what the pairing view writes
// to which stream (decided per stream), and usage messages that never echo control characters.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { Cli } from 'clipanion'
import { CliLoginCommand } from '../../cli/cli-login.command.js'
import { OmicosCommand } from '../../cli/command-base.js'
import { quoted } from '../../cli/printable-text.js'
import { createDeviceView, type PairingState } from '../../cli/device-view.js'
import { EXIT_CODE_ROWS, ExitCode } from '../../cli/exit-codes.js'
import { LoginCommand } from '../../cli/login.command.js'
import { CompletionCommand } from '../../cli/completion.command.js'
import { completionScript, SHELLS } from '../../cli/completion-scripts.js'
import { quietWhenReaderGoes } from '../../cli/output-streams.js'
import { wordsFor } from '../../cli/words/index.js'
import { COMMAND_WORDS, OPTION_NAMES, titleWithoutSecrets } from '../../cli/process-title.js'
import { commandShapes } from '../../cli/suggest.js'
import { CommandLine, usageMessage } from '../../cli/run-command-line.js'
import { detectTerminal } from '../../cli/terminal.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { timeout } from '../support/wait.js'

/** A writable that keeps what was written, at once; `tty` makes it look like a terminal. */
function memoryStream(tty = false) {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk
      done()
    },
  }) as Writable & { isTTY?: boolean }
  if (tty) stream.isTTY = true
  return { stream, text: () => text }
}

// --- exit codes ---------------------------------------------------------------------------------

/** The rows of README.md's "Exit codes" table: [code, meaning]. */
function readmeRows(): Array<[number, string]> {
  const readme = readFileSync('README.md', 'utf8')
  const section = readme.slice(readme.indexOf('### Exit codes'))
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| code |')))
  return table
    .split('\n')
    .map((line) => line.match(/^\| (\d+) \| (.*) \|$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [Number(m[1]), m[2]!])
}

test('README.md and the code list the same exit codes, 70 included, with the same words', () => {
  const rows = readmeRows()
  assert.ok(rows.length >= 10, `README's table was found: ${JSON.stringify(rows)}`)
  assert.equal(
    rows,
    EXIT_CODE_ROWS.map(([code, meaning]) => [code, meaning]),
  )
  assert.ok(rows.some(([code]) => code === 70))
})

/** The exit-code rows of a command's --help, with clipanion's line wrapping undone. */
async function helpRows(argv: string[]): Promise<Array<[number, string]>> {
  const cli = new Cli({ binaryName: 'omicos', enableColors: false })
  cli.register(LoginCommand)
  cli.register(CliLoginCommand)
  const out = memoryStream()
  const code = await timeout(cli.run([...argv, '--help'], { stdout: out.stream, stderr: out.stream }), 5_000, '--help')
  assert.is(code, 0)
  const help = out.text()
  const section = help.slice(help.indexOf('Exit codes:'), help.indexOf('Examples'))
  return section
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .replace(/\s+/g, ' ')
        .trim()
        .match(/^- (\d+) (.*)$/),
    )
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [Number(m[1]), m[2]!])
}

test("omicos login --help shows the README's exit-code table, row for row", async () => {
  assert.equal(await helpRows(['login']), readmeRows())
})

test("omicos cli login --help shows the README's rows but 1 (no --status there), which it never returns", async () => {
  assert.equal(
    await helpRows(['cli', 'login']),
    readmeRows().filter(([code]) => code !== 1),
  )
})

// A command that runs into what no one meant to throw, the way a bug would.
class FailingCommand extends OmicosCommand {
  static override paths = [['fail']]
  thrown: unknown = null
  async execute(): Promise<number> {
    try {
      throw this.thrown
    } catch (error) {
      return this.fail(error)
    }
  }
}

async function failWith(thrown: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = new Cli({ binaryName: 'omicos', enableColors: false })
  cli.register(FailingCommand)
  const stdout = memoryStream()
  const stderr = memoryStream()
  const command = cli.process(['fail'], { stdout: stdout.stream, stderr: stderr.stream }) as FailingCommand
  command.thrown = thrown
  const code = await timeout(cli.run(command, { stdout: stdout.stream, stderr: stderr.stream }), 5_000, 'the failing command')
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

test('OmicosCommand.fail: a plain Error is a bug: exit 70, one line that says so, no stack', async () => {
  const error = new TypeError("Cannot read properties of undefined (reading 'x')\n    at somewhere (file.js:1:1)")
  const result = await failWith(error)
  assert.is(result.code, ExitCode.internal)
  assert.is(result.code, 70)
  assert.is(result.stdout, '')
  assert.equal(result.stderr.split('\n'), [
    "error: unexpected failure (a bug): Cannot read properties of undefined (reading 'x') (run with --trace and report it)",
    '',
  ])
})

test('OmicosCommand.fail: a thrown non-Error and an unknown kind are bugs too (70); a known kind keeps its code', async () => {
  assert.is((await failWith('a string')).code, 70)
  assert.is((await failWith(Object.assign(new Error('odd'), { kind: 'no-such-kind' }))).code, 70)
  const usage = await failWith(new EngineError('usage', 'a bad option'))
  assert.is(usage.code, 2)
  assert.is(usage.stderr, 'error: a bad option\n')
  const local = await failWith(new EngineError('local_files', 'the lock is held'))
  assert.is(local.code, 7)
})

test('OmicosCommand.fail never prints control characters, whatever the message holds', async () => {
  const result = await failWith(new EngineError('bad_response', 'the server said \x1b]0;TITLE\x07 and \u202eevil'))
  assert.is(result.code, 6)
  assert.not.match(result.stderr, /[\x1b\x07\u202e]/)
})

// --- usage messages -----------------------------------------------------------------------------

test('quoted() and usageMessage(): a value with control, escape or bidi characters is never echoed', () => {
  assert.is(quoted('ada@example.com'), '"ada@example.com"')
  for (const bad of ['\x1b]0;TITLE\x07x', 'a\u202eb', 'tab\there', 'lone \ud800', 'del\x7f', 'c1\x9b']) assert.is(quoted(bad), 'the value')
  const cli = new CommandLine({ binaryName: 'omicos', enableColors: false })
  cli.register(LoginCommand)
  cli.register(CliLoginCommand)
  const arg = '\x1b]0;T\x07'
  const message = (reason: string, argv: string[]) => usageMessage(reason, argv, cli).message
  assert.is(message(`Extraneous positional argument ("${arg}")`, ['login', arg]), 'omicos login: unexpected argument (neither an option nor the value of one)')
  assert.is(message(`Invalid option name ("--bogus${arg}")`, ['login', `--bogus${arg}`]), 'omicos login: an unknown option (its name holds control characters)')
  assert.match(message('Command not found', [arg]), /^unknown command \(an argument holds control characters\); the commands are: omicos login, omicos cli login$/)
  assert.is(message('Command not found', ['logn']), 'omicos logn is not a command; did you mean omicos login?')
  // Whatever clipanion might say, none of it is repeated.
  assert.is(message('odd \x1b[2J message', ['login']), 'omicos login: the command line could not be read')
})

test('quoted(), a stream that cannot be written and the completion scripts speak the language of the words given', async () => {
  const zh = await wordsFor({ LANG: 'zh_CN.UTF-8' })
  assert.is(quoted('a\u202eb', zh), '该值')
  assert.is(quoted('ada@example.com', zh), '"ada@example.com"')
  const lines: string[] = []
  const broken = new Writable({ write: (_chunk, _encoding, done) => done() })
  const other = new Writable({
    write: (chunk, _encoding, done) => {
      lines.push(String(chunk))
      done()
    },
  })
  quietWhenReaderGoes(broken, other, zh)
  broken.emit('error', Object.assign(new Error('i/o error'), { code: 'EIO' }))
  assert.equal(lines, ['错误：无法写入标准输出（EIO）\n'])
  const cli = new CommandLine({ binaryName: 'omicos', enableColors: false })
  cli.register(LoginCommand)
  const script = completionScript('fish', 'omicos', commandShapes(cli), {}, zh)
  assert.match(script, '显示命令')
  assert.match(script, '显示版本')
  assert.not.match(completionScript('fish', 'omicos', commandShapes(cli)), '显示')
})

// --- the process title -------------------------------------------------------------------------

test('process title: command words, option names and the values of --email, --name and --server; every other value ***', () => {
  const title = (argv: string[]) => titleWithoutSecrets('omicos', argv)
  assert.is(title(['login', '--email', 'ada@example.com', '--password', 'pw-1']), 'omicos login --email ada@example.com --password ***')
  assert.is(title(['login', '--password=pw-1', '--server=https://auth.example']), 'omicos login --password=*** --server=https://auth.example')
  assert.is(title(['cli', 'login', '--name', 'job', '--no-qr']), 'omicos cli login --name job --no-qr')
  assert.is(title(['completion', 'bash']), 'omicos completion bash')
  // A misspelt option, a value without its option, a mistyped command: none of it is shown.
  assert.is(title(['login', '--pasword', 'pw-1']), 'omicos login *** ***')
  assert.is(title(['login', '--passwrd=pw-1']), 'omicos login ***')
  assert.is(title(['login', '-ppw-1', '--passwordpw-1']), 'omicos login *** ***')
  assert.is(title(['lgin', 'pw-1', '--email', 'ada@example.com']), 'omicos *** *** --email ada@example.com')
  assert.is(title(['login', 'pw-1']), 'omicos login ***')
  assert.is(title(['login', '--email', 'a\x1b]0;T\x07']), 'omicos login --email ***')
  assert.is(title(['login', '--pass\x1bword']), 'omicos login ***')
  // A server address with user info: the address stays, who and the password do not.
  assert.is(title(['login', '--server', 'https://ada:p@ss@auth.example/x']), 'omicos login --server https://***@auth.example/x')
  assert.is(title(['cli', 'login', '--server=ada:pw@auth.example']), 'omicos cli login --server=***@auth.example')
  assert.is(title(['login', '--server', 'auth.example:8443']), 'omicos login --server auth.example:8443')
})

test('process title: every word and option name of every command is one it shows', () => {
  const cli = new CommandLine({ binaryName: 'omicos', enableColors: false })
  for (const command of [LoginCommand, CliLoginCommand, CompletionCommand]) cli.register(command)
  for (const word of [...cli.definitions().flatMap((d) => d.path.split(' ').slice(1)), ...SHELLS]) assert.ok(COMMAND_WORDS.has(word), word)
  for (const command of commandShapes(cli)) {
    for (const option of command.options) {
      for (const name of option.names) assert.ok(OPTION_NAMES.has(name), name)
      if (!option.takesValue && option.description.includes('--no-'))
        for (const name of option.names) assert.ok(OPTION_NAMES.has(name.replace(/^--/, '--no-')), name)
    }
  }
})

// --- the pairing view ---------------------------------------------------------------------------

const NOW = 1_000_000
const pairing = (leftMs: number): PairingState => ({
  userCode: 'BCDF-GHJK',
  verificationUri: 'https://auth.example/device',
  verificationUriComplete: 'https://auth.example/device?user_code=BCDF-GHJK',
  deadline: NOW + leftMs,
  intervalMs: 5_000,
  waiting: true,
})
const snapshotOf = ({ waiting, ...pairing }: PairingState) => ({ context: { pairing }, matches: () => waiting })
const QR_BLOCKS = /[▀▄█]{4,}/
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/

/** Shows a pairing with `leftMs` on the code; returns what each stream got. */
function showPairing(opts: { stdoutTTY: boolean; stderrTTY: boolean; env?: NodeJS.ProcessEnv; leftMs?: number; qr?: boolean; columns?: number; rows?: number }) {
  const stdout = memoryStream(opts.stdoutTTY)
  if (opts.columns) Object.assign(stdout.stream, { columns: opts.columns })
  if (opts.rows) Object.assign(stdout.stream, { rows: opts.rows })
  const stderr = memoryStream(opts.stderrTTY)
  if (opts.columns) Object.assign(stderr.stream, { columns: opts.columns })
  const terminal = detectTerminal({ stdout: stdout.stream, stderr: stderr.stream }, opts.env ?? { TERM: 'xterm-256color' })
  const view = createDeviceView({ stdout: stdout.stream, stderr: stderr.stream, terminal, qr: opts.qr ?? true, now: () => NOW })
  view.update(snapshotOf(pairing(opts.leftMs ?? 600_000)))
  view.stop()
  return { stdout: stdout.text(), stderr: stderr.text() }
}

test('--help names option values and keeps the option list in one column', () => {
  const cli = new CommandLine({ binaryName: 'omicos', enableColors: false })
  cli.register(LoginCommand)
  cli.register(CliLoginCommand)
  const login = cli.usage(LoginCommand, { detailed: true })
  assert.not.match(login, '#0')
  assert.match(login, '--email <email>')
  assert.match(cli.usage(null), '--server <server>')
  const rows = login.split('\n').filter((line) => /^ {2}--/.test(line))
  assert.ok(rows.length >= 10, login)
  const columns = new Set(rows.map((line) => /^( {2}\S(?:\S| (?! ))* +)\S/.exec(line)?.[1]?.length))
  assert.is(columns.size, 1, `descriptions start in one column:\n${rows.join('\n')}`)
})

test('pairing line: seconds under 90 s, minutes from 90 s', () => {
  const line = (leftMs: number) => showPairing({ stdoutTTY: false, stderrTTY: false, leftMs }).stderr.trim()
  assert.is(line(30_000), 'Waiting for approval (the code expires in 30 s)...')
  assert.is(line(89_000), 'Waiting for approval (the code expires in 89 s)...')
  assert.is(line(90_000), 'Waiting for approval (the code expires in about 2 min)...')
  assert.is(line(600_000), 'Waiting for approval (the code expires in about 10 min)...')
})

test('stdout redirected, stderr a terminal: stdout plain (no bold, no QR code), the spinner on stderr', () => {
  const { stdout, stderr } = showPairing({ stdoutTTY: false, stderrTTY: true })
  assert.is(
    stdout,
    'Open https://auth.example/device on a device already logged in to omicOS\nand enter the pairing code: BCDF-GHJK\n' +
      'or open https://auth.example/device?user_code=BCDF-GHJK (the code filled in)\n',
  )
  assert.match(stderr, SPINNER)
  assert.match(stderr, 'code expires in 10:00')
})

test('stdout a terminal, stderr redirected: bold code and QR code on stdout, plain lines on stderr', () => {
  const { stdout, stderr } = showPairing({ stdoutTTY: true, stderrTTY: false })
  assert.match(stdout, 'enter the pairing code: \x1b[1mBCDF-GHJK\x1b[22m')
  const complete = 'https://auth.example/device?user_code=BCDF-GHJK'
  assert.match(stdout, `or open \x1b]8;;${complete}\x1b\\${complete}\x1b]8;;\x1b\\ (the code filled in)\n`, 'the complete address, as an OSC 8 link')
  assert.match(stdout, QR_BLOCKS)
  // Black on white, whatever the theme, with its quiet zone.
  const qr = stdout.split('\n').filter((line) => line.includes('\x1b[38;5;16;48;5;231m'))
  assert.ok(qr.length > 10, stdout)
  assert.not.match(stderr, '\x1b')
  assert.not.match(stderr, SPINNER)
  assert.is(stderr, 'Waiting for approval (the code expires in about 10 min)...\n')
})

test('both terminals with NO_COLOR or TERM=dumb: plain lines on both, the complete address as text', () => {
  for (const env of [{ NO_COLOR: '1', TERM: 'xterm' }, { TERM: 'dumb' }]) {
    const { stdout, stderr } = showPairing({ stdoutTTY: true, stderrTTY: true, env })
    for (const text of [stdout, stderr]) {
      assert.not.match(text, '\x1b')
      assert.not.match(text, SPINNER)
    }
    assert.match(stdout, /^or open https:\/\/auth\.example\/device\?user_code=BCDF-GHJK \(the code filled in\)$/m)
    // A QR code is no colour: NO_COLOR keeps it (without colours); a dumb terminal cannot draw it.
    if (env.TERM === 'dumb') assert.not.match(stdout, QR_BLOCKS)
    else assert.match(stdout, QR_BLOCKS)
  }
})

test("NO_COLOR: the QR code in the terminal's colours, light modules as blocks (dark theme), or dark ones when COLORFGBG says light", () => {
  const qrLines = (env: NodeJS.ProcessEnv) =>
    showPairing({ stdoutTTY: true, stderrTTY: true, env })
      .stdout.split('\n')
      .filter((l) => /^[ ▀▄█]{20,}$/.test(l))
  const dark = qrLines({ NO_COLOR: '1', TERM: 'xterm' })
  assert.ok(dark.length > 10)
  assert.match(dark[0]!, /^█+$/, 'the quiet zone is light: blocks in a light foreground')
  for (const colorfgbg of ['0;15', '0;default;15', '11;7']) {
    const light = qrLines({ NO_COLOR: '1', TERM: 'xterm', COLORFGBG: colorfgbg })
    assert.match(light[0]!, /^ +$/, `COLORFGBG=${colorfgbg}: the quiet zone is the light background`)
  }
  assert.match(qrLines({ NO_COLOR: '1', TERM: 'xterm', COLORFGBG: '15;0' })[0]!, /^█+$/)
})

test('both terminals: bold, QR code and spinner; --no-qr hides only the QR code', () => {
  const full = showPairing({ stdoutTTY: true, stderrTTY: true })
  assert.match(full.stdout, QR_BLOCKS)
  assert.match(full.stderr, SPINNER)
  const noQr = showPairing({ stdoutTTY: true, stderrTTY: true, qr: false })
  assert.not.match(noQr.stdout, QR_BLOCKS)
  assert.match(noQr.stdout, 'or open ', 'the complete address stays')
  assert.match(noQr.stdout, '\x1b[1m')
  assert.match(noQr.stderr, SPINNER)
})

test('a terminal narrower than the QR code: no QR code (it would wrap), a line that says why', () => {
  const narrow = showPairing({ stdoutTTY: true, stderrTTY: true, columns: 30 })
  assert.not.match(narrow.stdout, QR_BLOCKS)
  assert.match(narrow.stdout, /^\(a QR code needs a terminal \d+ columns wide; this one has 30\)$/m)
  assert.match(plainText(narrow.stdout), /^https:\/\/auth\.example\/device\?user_code=BCDF-GHJK$/m, 'the complete address stays, on a line of its own')
  assert.match(showPairing({ stdoutTTY: true, stderrTTY: true, columns: 80 }).stdout, QR_BLOCKS)
})

function plainText(text: string): string {
  return text.replace(/\x1b\[[0-9;:?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '')
}
const PAGE_WORDS = 'Open https://auth.example/device on a device already logged in to omicOS and enter the pairing code: BCDF-GHJK'.split(' ')

for (const [columns, rows, qrShown] of [
  [80, 24, true],
  [60, 20, false],
  [40, 15, false],
  [100, 60, true],
] as const) {
  test(`a ${columns}×${rows} terminal: the QR code ${qrShown ? 'above the address and the code' : 'left out with a hint'}, all of it on screen, no word broken`, () => {
    const { stdout, stderr } = showPairing({ stdoutTTY: true, stderrTTY: true, columns, rows })
    const lines = plainText(stdout).split('\n').slice(0, -1)
    // The screen holds the stdout lines (an address wider than the terminal takes more than one
    // row) and the live line below them.
    const taken = lines.reduce((sum, line) => sum + Math.max(1, Math.ceil([...line].length / columns)), 0)
    assert.ok(taken + 1 <= rows, `${taken} rows and the live line on ${rows} rows:\n${lines.join('\n')}`)
    for (const line of lines) assert.ok([...line].length <= columns || !line.includes(' '), `a line of words wider than ${columns} columns: ${line}`)
    assert.is(QR_BLOCKS.test(stdout), qrShown)
    if (!qrShown) assert.match(stdout, /^\(no room for a QR code: \d+ rows needed\)$/m)
    const code = lines.findIndex((line) => line.includes('BCDF-GHJK'))
    const qrEnd = lines.map((line) => QR_BLOCKS.test(line)).lastIndexOf(true)
    assert.ok(qrEnd < code, 'the QR code comes before the code')
    // Words are whole: the page's sentence reads the same once the lines are joined.
    assert.equal(
      lines
        .slice(lines.findIndex((line) => line.startsWith('Open ')))
        .join(' ')
        .split(' ')
        .slice(0, PAGE_WORDS.length),
      PAGE_WORDS,
    )
    // The live line: one row, cut to the width.
    const live = plainText(stderr)
      .split('\r')
      .filter((part) => SPINNER.test(part))
    assert.ok(live.length > 0)
    for (const line of live) assert.ok([...line].length < columns, `the live line fits ${columns} columns: ${JSON.stringify(line)}`)
  })
}

test('the live line says when the server cannot be reached and when the next try is, and goes back when it answers', () => {
  const stdout = memoryStream(true)
  const stderr = memoryStream(true)
  Object.assign(stderr.stream, { columns: 80 })
  let now = NOW
  const view = createDeviceView({
    stdout: stdout.stream,
    stderr: stderr.stream,
    terminal: detectTerminal({ stdout: stdout.stream, stderr: stderr.stream }, { TERM: 'xterm' }),
    qr: false,
    now: () => now,
  })
  const base = pairing(600_000)
  view.update(snapshotOf(base))
  view.update(snapshotOf({ ...base, retrying: 'unreachable', waitMs: 8_000 }))
  const lastLine = () => plainText(stderr.text()).split('\r').pop()!
  assert.match(lastLine(), /Cannot reach the server, trying again in 8 s · code expires in 10:00/)
  now += 8_500
  view.update(snapshotOf({ ...base, retrying: 'unreachable', waitMs: 8_000 }))
  assert.match(lastLine(), 'trying again in 8 s', 'a new report starts a new count')
  view.update(snapshotOf({ ...base, retrying: null, waitMs: 5_000 }))
  assert.match(lastLine(), /Waiting for approval · code expires in 9:52/)
  view.stop()
  assert.not.match(stderr.text(), 'slow down')
})

test('plain lines: a line when the server cannot be reached, and one when it answers again', () => {
  const stdout = memoryStream(false)
  const stderr = memoryStream(false)
  const view = createDeviceView({
    stdout: stdout.stream,
    stderr: stderr.stream,
    terminal: detectTerminal({ stdout: stdout.stream, stderr: stderr.stream }, {}),
    qr: true,
    now: () => NOW,
  })
  const base = pairing(600_000)
  view.update(snapshotOf(base))
  view.update(snapshotOf({ ...base, retrying: 'unreachable', waitMs: 10_000 }))
  view.update(snapshotOf({ ...base, retrying: 'unreachable', waitMs: 15_000 }))
  view.update(snapshotOf({ ...base, retrying: null, waitMs: 5_000 }))
  view.stop()
  assert.is(
    stderr.text(),
    'Waiting for approval (the code expires in about 10 min)...\n' +
      'Cannot reach the server; still trying (the code expires in about 10 min)...\n' +
      'The server answers again; waiting for approval...\n',
  )
})

test('a slow_down is said only with --trace', () => {
  for (const trace of [false, true]) {
    const stdout = memoryStream(false)
    const stderr = memoryStream(false)
    const view = createDeviceView({
      stdout: stdout.stream,
      stderr: stderr.stream,
      terminal: detectTerminal({ stdout: stdout.stream, stderr: stderr.stream }, {}),
      qr: true,
      trace,
      now: () => NOW,
    })
    view.update(snapshotOf(pairing(600_000)))
    view.update(snapshotOf({ ...pairing(600_000), intervalMs: 10_000 }))
    view.stop()
    assert.is(stderr.text().includes('The server asked to slow down: checking every 10 s.'), trace)
  }
})

test.run()
