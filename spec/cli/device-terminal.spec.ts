// What `omicos cli login` draws: plain lines into pipes and under NO_COLOR (no escape
// sequences or spinner frames; into pipes no QR code either), and on a real terminal (a tmux
// pane, a pty) the QR code of the complete pairing address and a redrawn countdown line;
// `--no-qr` hides the QR code. The QR code is captured from the pane with its colours, painted
// on a light and on a dark theme, and must read back (zbarimg) as the complete address.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PAIRING_CODE, type CliSandbox } from '../support/cli.js'
import { finished, pairingSpec, readPairing, waitForPending } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { DARK_THEME, decodeQr, LIGHT_THEME, screenToPng, type Theme } from '../support/terminal-image.js'
import { inTmux as startPane, tmux, type Pane, type PaneOptions } from '../support/tmux-pane.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/
// The QR code is drawn with half blocks.
const QR_BLOCKS = /[▀▄█]{4,}/
const COMPLETE_ADDRESS = /^or open (\S+) \(the code filled in\)$/m

const tmuxSockets: string[] = []
// Registered before the pairing hooks: the sockets live in the sandboxes those remove.
test.after(async () => {
  for (const socket of tmuxSockets) await tmux(socket, ['kill-server']).catch(() => {})
})

const { ref, sandbox, cliLogin, approve } = pairingSpec(test, { interval: 1 })

async function inTmux(box: CliSandbox, args: string[], env: Record<string, string> = {}, stdoutTo?: string): Promise<Pane> {
  const options: PaneOptions = { env, stdoutTo }
  const pane = await startPane(box, args, options)
  tmuxSockets.push(pane.socket)
  return pane
}

for (const noColor of [false, true]) {
  test(`into pipes${noColor ? ' with NO_COLOR' : ''}: plain lines only, no escape sequence, spinner or QR code`, async () => {
    const box = sandbox()
    const env = noColor ? { ...box.env, NO_COLOR: '1' } : box.env
    const cli = cliLogin({ ...box, env })
    const { code } = await readPairing(cli)
    await waitForPending(box.home)
    // Long enough for a few polls, and for a spinner to have drawn if there were one.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    await approve(code)
    const result = await finished(cli)
    assert.is(result.code, 0, result.stderr)
    for (const [name, text] of [
      ['stdout', result.stdout],
      ['stderr', result.stderr],
    ] as const) {
      assert.not.match(text, '\x1b', `no escape sequence in ${name}`)
      assert.not.match(text, '\r', `no carriage return in ${name}`)
      assert.not.match(text, SPINNER, `no spinner frame in ${name}`)
      assert.not.match(text, QR_BLOCKS, `no QR code in ${name}`)
      assert.not.match(text, 'scan this', `no QR prompt in ${name}`)
    }
    assert.equal(result.stdout.split('\n').slice(0, 2), [
      `Open ${ref.server.url}/device on a device already logged in to omicOS`,
      `and enter the pairing code: ${code}`,
    ])
    assert.match(result.stderr, /^Waiting for approval \(the code expires in about \d+ min\)\.\.\.$/m)
    assert.match(result.stdout, `Logged in as ${ada.email}`)
  })
}

const COUNTDOWN = /Waiting for approval · code expires in (\d+):(\d\d)/

/** What a phone reads off the pane's screen painted on `theme`. */
async function scan(pane: Pane, box: CliSandbox, theme: Theme): Promise<string[]> {
  return decodeQr(join(box.home, '..', `screen-${theme.name}.png`), screenToPng(await pane.screenWithColours(), theme))
}

test('on a terminal (tmux): the QR code and a countdown that runs down; approved, logged in', async () => {
  const box = sandbox()
  const pane = await inTmux(box, ['cli', 'login', '--server', ref.server.url])
  try {
    const code = (await pane.waitFor(PAIRING_CODE)).match[1]!
    // The countdown starts after the QR code is drawn: the whole screen is there.
    const { text } = await pane.waitFor(COUNTDOWN)
    assert.match(text, `Open ${ref.server.url}/device on a device already logged in to omicOS`)
    assert.match(text, 'Or scan this with a phone:')
    assert.match(text, QR_BLOCKS, 'a QR code is drawn')
    const complete = text.match(COMPLETE_ADDRESS)?.[1]
    assert.is(complete, `${ref.server.url}/device?user_code=${code}`, 'the complete address, printed as a line')
    assert.equal(await scan(pane, box, LIGHT_THEME), [complete], 'the QR code reads on a light theme')
    assert.equal(await scan(pane, box, DARK_THEME), [complete], 'the QR code reads on a dark theme')
    // tmux 3.3 keeps no links on its screen; what omicos wrote to the terminal shows it.
    assert.match(pane.raw(), `\x1b]8;;${complete}\x1b\\${complete}\x1b]8;;\x1b\\`, 'the complete address as an OSC 8 link')
    const first = (await pane.waitFor(COUNTDOWN)).match
    await new Promise((resolve) => setTimeout(resolve, 2_200))
    const later = (await pane.waitFor(COUNTDOWN)).match
    const seconds = (m: RegExpMatchArray) => Number(m[1]) * 60 + Number(m[2])
    assert.ok(seconds(later) < seconds(first), `the countdown runs down: ${first[0]} then ${later[0]}`)
    assert.ok(seconds(first) <= 600 && seconds(first) > 590, first[0])
    assert.match(pane.raw(), SPINNER, 'a spinner is drawn on a terminal')

    await approve(code)
    const done = await pane.waitFor(/EXIT=(\d+)/)
    assert.is(done.match[1], '0', done.text)
    assert.match(done.text, `Logged in as ${ada.email}`)
    assert.not.match(done.text, COUNTDOWN, 'the countdown line is cleared at the end')
  } finally {
    await pane.stop()
  }
})

test('on a terminal with --no-qr: no QR code, the countdown still shows', async () => {
  const box = sandbox()
  const pane = await inTmux(box, ['cli', 'login', '--server', ref.server.url, '--no-qr'])
  try {
    const { match } = await pane.waitFor(PAIRING_CODE)
    await pane.waitFor(COUNTDOWN)
    const text = await pane.screen()
    assert.not.match(text, 'scan this')
    assert.not.match(text, QR_BLOCKS)
    await approve(match[1]!)
    const done = await pane.waitFor(/EXIT=(\d+)/)
    assert.is(done.match[1], '0', done.text)
  } finally {
    await pane.stop()
  }
})

test('Ctrl-C typed on the terminal: exit 130, the countdown line cleared, no credentials', async () => {
  const box = sandbox()
  const pane = await inTmux(box, ['cli', 'login', '--server', ref.server.url, '--no-qr'])
  try {
    await pane.waitFor(PAIRING_CODE)
    await pane.waitFor(COUNTDOWN)
    await tmux(join(box.home, '..', 'tmux.sock'), ['send-keys', '-t', 'pair', 'C-c'])
    const done = await pane.waitFor(/EXIT=(\d+)/, 5_000)
    assert.is(done.match[1], '130', done.text)
    assert.match(done.text, /^error: login cancelled/m)
    assert.not.match(done.text, COUNTDOWN)
    assert.not.ok(existsSync(join(box.home, 'cloud_login.json')))
  } finally {
    await pane.stop()
  }
})

for (const [label, extraEnv, theme] of [
  ['a dark theme', {}, DARK_THEME],
  ['a light theme that says so (COLORFGBG=0;15)', { COLORFGBG: '0;15' }, LIGHT_THEME],
] as const) {
  test(`on a terminal with NO_COLOR, ${label}: plain lines, no colour or bold, a QR code that reads`, async () => {
    const box = sandbox()
    const pane = await inTmux(box, ['cli', 'login', '--server', ref.server.url], { NO_COLOR: '1', ...extraEnv })
    try {
      const { match } = await pane.waitFor(PAIRING_CODE)
      // Written after the QR code: the whole screen is there.
      const { text } = await pane.waitFor(/Waiting for approval \(the code expires in about \d+ min\)\.\.\./)
      const complete = text.match(COMPLETE_ADDRESS)?.[1]
      assert.is(complete, `${ref.server.url}/device?user_code=${match[1]}`)
      assert.match(text, QR_BLOCKS, 'NO_COLOR keeps the QR code: it is no colour')
      assert.equal(await scan(pane, box, theme), [complete!])
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      await approve(match[1]!)
      const done = await pane.waitFor(/EXIT=(\d+)/)
      assert.is(done.match[1], '0', done.text)
      assert.not.match(pane.raw(), SPINNER)
      assert.not.match(pane.raw(), /\x1b\[[0-9;]*m/, 'no colour or bold')
      assert.not.match(pane.raw(), '\x1b]8;', 'no link')
    } finally {
      await pane.stop()
    }
  })
}

test('on a terminal with stdout redirected to a file: the file gets plain lines, the pane the spinner', async () => {
  const box = sandbox()
  const out = join(box.home, '..', 'out.txt')
  const pane = await inTmux(box, ['cli', 'login', '--server', ref.server.url], {}, out)
  try {
    await pane.waitFor(COUNTDOWN)
    const code = (await waitForFile(out, PAIRING_CODE, 10_000))[1]!
    await new Promise((resolve) => setTimeout(resolve, 800))
    assert.match(pane.raw(), SPINNER, 'the spinner draws on the pane (stderr)')
    await approve(code)
    const done = await pane.waitFor(/EXIT=(\d+)/)
    assert.is(done.match[1], '0', done.text)
    const text = readFileSync(out, 'utf8')
    assert.not.match(text, '\x1b', 'no escape sequence in the file')
    assert.not.match(text, QR_BLOCKS, 'no QR code in the file')
    assert.not.match(text, 'scan this')
    assert.equal(text.split('\n').slice(0, 2), [`Open ${ref.server.url}/device on a device already logged in to omicOS`, `and enter the pairing code: ${code}`])
    assert.match(text, `Logged in as ${ada.email}`)
    assert.not.match(done.text, QR_BLOCKS, 'no QR code on the pane either: it belongs to stdout')
  } finally {
    await pane.stop()
  }
})

async function waitForFile(path: string, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const until = Date.now() + ms
  for (;;) {
    const match = existsSync(path) ? readFileSync(path, 'utf8').match(pattern) : null
    if (match) return match
    if (Date.now() > until) throw new Error(`no ${pattern} in ${path} within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

test.run()
