// What the CLI says and draws differently on Linux, macOS and Windows, checked on Linux: the
// --password warning (the process list hides the password on Linux only), and what a terminal
// gets on Windows (escapes and the QR code everywhere, OSC 8 links where they are known to work).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Writable } from 'node:stream'
import { createDeviceView } from '../../cli/device-view.js'
import { hidesArguments, passwordWarning } from '../../cli/process-title.js'
import { detectTerminal } from '../../cli/terminal.js'

const tty = () => {
  let text = ''
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += chunk
        done()
      },
    }),
    { isTTY: true, columns: 120 },
  )
  return { stream, text: () => text }
}

test('--password: hidden from the process list on Linux only; elsewhere the warning says it is not', () => {
  assert.ok(hidesArguments('linux'))
  assert.not.ok(hidesArguments('darwin'))
  assert.not.ok(hidesArguments('win32'))
  assert.is(passwordWarning('linux'), 'warning: a password passed with --password stays in your shell history; prefer --password-stdin.')
  for (const [platform, name] of [
    ['win32', 'Windows'],
    ['darwin', 'macOS'],
  ] as const) {
    const line = passwordWarning(platform)
    assert.match(line, /^warning: a password passed with --password stays in your shell history, /)
    assert.match(line, `${name} shows it to other users of this machine while omicos runs`)
    assert.match(line, /cannot be hidden from their process list/)
    assert.match(line, /prefer --password-stdin\.$/)
  }
})

const pairingScreen = (env: NodeJS.ProcessEnv, platform: NodeJS.Platform) => {
  const stdout = tty()
  const stderr = tty()
  const terminal = detectTerminal({ stdout: stdout.stream, stderr: stderr.stream }, env, platform)
  const view = createDeviceView({ stdout: stdout.stream, stderr: stderr.stream, terminal, qr: true, now: () => 0 })
  view.update({
    context: {
      pairing: {
        userCode: 'BCDF-GHJK',
        verificationUri: 'https://auth.example/device',
        verificationUriComplete: 'https://auth.example/device?user_code=BCDF-GHJK',
        deadline: 600_000,
        intervalMs: 5_000,
      },
    },
    matches: () => true,
  })
  view.stop()
  return { terminal, stdout: stdout.text() }
}

const OSC8 = '\x1b]8;;'
const QR_BLOCKS = /[▀▄█]{4,}/

test('Windows Terminal (WT_SESSION): bold, the QR code and links, as a Linux terminal', () => {
  const linux = pairingScreen({ TERM: 'xterm-256color' }, 'linux')
  const windowsTerminal = pairingScreen({ WT_SESSION: '5b1f6d3c-0c52-4c53-9d0a-6e9c0f1a2b3c' }, 'win32')
  for (const screen of [linux, windowsTerminal]) {
    assert.ok(screen.terminal.rich && screen.terminal.links)
    assert.match(screen.stdout, OSC8)
    assert.match(screen.stdout, QR_BLOCKS)
    assert.match(screen.stdout, '\x1b[1m')
  }
})

test('the classic Windows console: bold and the QR code (Node sends or translates the escapes), the address as plain text', () => {
  const screen = pairingScreen({}, 'win32')
  assert.ok(screen.terminal.rich)
  assert.not.ok(screen.terminal.links)
  assert.not.match(screen.stdout, OSC8)
  assert.match(screen.stdout, QR_BLOCKS)
  assert.match(screen.stdout, 'https://auth.example/device?user_code=BCDF-GHJK')
  // VS Code's terminal takes links on Windows too; NO_COLOR still means no escapes at all.
  assert.ok(pairingScreen({ TERM_PROGRAM: 'vscode' }, 'win32').terminal.links)
  const plain = pairingScreen({ WT_SESSION: 'x', NO_COLOR: '1' }, 'win32')
  assert.not.ok(plain.terminal.links)
  assert.not.match(plain.stdout, '\x1b[')
})

test.run()
