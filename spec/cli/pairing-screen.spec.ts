// The pairing screen on real terminals of the sizes people have (tmux panes of 80×24, 60×20 and
// 40×15, on a dark and on a light theme): the address and the code stay on the screen for the
// whole wait, the live line takes one row however often it is redrawn, words are not broken,
// and the QR code, when there is room for it, reads (zbarimg) as the complete address. Then a
// server stopped (SIGSTOP) for 30 s in the middle of a pairing: the screen says it cannot be
// reached, and once it runs again and the code is approved, the login goes through; the
// machine's own schedule (its trace) shows no wait longer than the interval + 10 s.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { addAccount, decidePairing } from '../../server/index.js'
import { PAIRING_CODE, type CliSandbox } from '../support/cli.js'
import { finished, pairingSpec, readPairing, SERVER_BIN, waitForPending } from '../support/device-pairing.js'
import { DEFAULT_USERS, makeDataDir } from '../support/server.js'
import { DARK_THEME, decodeQr, LIGHT_THEME, screenToPng } from '../support/terminal-image.js'
import { inTmux, tmux, type Pane } from '../support/tmux-pane.js'
import { timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/
const QR_BLOCKS = /[▀▄█]{4,}/
const PAGE_SENTENCE = 'on a device already logged in to omicOS and enter the pairing code:'

const panes: Pane[] = []
const stopped: ChildProcess[] = []
test.after.each(async () => {
  for (const pane of panes.splice(0)) await pane.stop()
  for (const child of stopped.splice(0)) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
})

const { ref, sandbox, approve, cliLogin } = pairingSpec(test, { interval: 1 })

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Only what is on the screen now, wrapped rows joined. */
const visibleText = (pane: Pane) => tmux(pane.socket, ['capture-pane', '-p', '-J', '-t', 'pair'])

async function start(box: CliSandbox, args: string[], options: Parameters<typeof inTmux>[2]): Promise<Pane> {
  const pane = await inTmux(box, args, options)
  panes.push(pane)
  return pane
}

for (const [columns, rows, qrShown] of [
  [80, 24, true],
  [60, 20, false],
  [40, 15, false],
] as const) {
  for (const [themeName, env, theme] of [
    ['dark', {}, DARK_THEME],
    ['light, without colours', { NO_COLOR: '1', COLORFGBG: '0;15' }, LIGHT_THEME],
  ] as const) {
    test(`${columns}×${rows}, ${themeName}: address and code on screen all along, the live line one row, ${qrShown ? 'a QR code that reads' : 'a hint instead of the QR code'}`, async () => {
      const box = sandbox()
      const live = Object.keys(env).length === 0
      const pane = await start(box, ['cli', 'login', '--server', ref.server.url], { env, columns, rows })
      const code = (await pane.waitFor(PAIRING_CODE)).match[1]!
      await pane.waitFor(live ? SPINNER : /Waiting for approval \(/)
      const address = `${ref.server.url}/device`
      // Several looks during the wait: redraws must not push the code off the screen.
      for (let look = 0; look < 5; look++) {
        const text = await visibleText(pane)
        const screenRows = text.replace(/\n+$/, '').split('\n')
        assert.match(text, `Open ${address}`, `look ${look}: the address on screen:\n${text}`)
        assert.match(text, code, `look ${look}: the code on screen:\n${text}`)
        // The rows as the terminal shows them (not joined again, as capture-pane -J would), put
        // together with spaces: a word the terminal broke would show as two.
        const shownRows = await pane.visibleRows()
        assert.match(shownRows.join(' ').replace(/ +/g, ' '), PAGE_SENTENCE, `look ${look}: no word broken:\n${shownRows.join('\n')}`)
        if (live) {
          const liveRows = (await pane.visibleRows()).filter((row) => SPINNER.test(row))
          assert.is(liveRows.length, 1, `look ${look}: the live line is one row:\n${text}`)
          assert.ok([...liveRows[0]!.trimEnd()].length < columns, liveRows[0])
          assert.match(screenRows[screenRows.length - 1]!, SPINNER, 'the live line is the last row')
          assert.match(liveRows[0]!, /Waiting for approval · /)
        }
        await pause(400)
      }
      const text = await visibleText(pane)
      assert.is(QR_BLOCKS.test(text), qrShown, text)
      if (qrShown) {
        const complete = `${address}?user_code=${code}`
        const png = screenToPng(await pane.screenWithColours(), theme)
        assert.equal(await decodeQr(join(box.home, '..', `screen-${theme.name}.png`), png), [complete], `the QR code reads on the ${theme.name} theme`)
      } else {
        assert.match(text, /^\(no room for a QR code: \d+ rows needed\)$/m)
      }
      await approve(code)
      const done = await pane.waitFor(/EXIT=(\d+)/)
      assert.is(done.match[1], '0', done.text)
      assert.match(done.text, `Logged in as ${ada.email}`)
    })
  }
}

test('40×15, a pairing with S waiting here and no --server: the notice that S is used breaks no word either', async () => {
  const box = sandbox()
  const first = cliLogin(box)
  const { code } = await readPairing(first)
  await waitForPending(box.home)
  first.child.kill('SIGINT')
  assert.is((await finished(first, 5_000)).code, 130)
  const pane = await start(box, ['cli', 'login'], { columns: 40, rows: 15 })
  assert.is((await pane.waitFor(PAIRING_CODE)).match[1], code)
  // As the terminal shows them: rows a word was broken across would not read as the sentence.
  const rows = await pane.visibleRows()
  const notice = `Using ${ref.server.url}, the server of the pairing in progress here (--server to choose another).`
  assert.match(rows.join(' ').replace(/ +/g, ' '), notice, rows.join('\n'))
  await approve(code)
  assert.is((await pane.waitFor(/EXIT=(\d+)/)).match[1], '0')
})

test('a server stopped for 30 s: the screen says it cannot be reached; running again and approved, the login goes through, no wait above the interval + 10 s', async () => {
  const dataDir = makeDataDir()
  await timeout(addAccount(dataDir, ada.email, ada.password), 15_000, 'adding a user')
  const server = spawn(process.execPath, [SERVER_BIN, 'start', '--port', '0', '--data', dataDir, '--interval', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
  stopped.push(server)
  let out = ''
  server.stdout!.on('data', (d) => (out += d))
  const url = await timeout(
    (async () => {
      for (;;) {
        const match = /listening on (\S+)/.exec(out)
        if (match) return match[1]!
        await pause(50)
      }
    })(),
    20_000,
    'the server to listen',
  )
  const box = sandbox()
  try {
    const pane = await start(box, ['cli', 'login', '--server', url, '--no-qr', '--trace'], { columns: 80, rows: 24 })
    const code = (await pane.waitFor(PAIRING_CODE)).match[1]!
    await pane.waitFor(SPINNER)
    server.kill('SIGSTOP')
    const stoppedAt = Date.now()
    // A poll gets no answer within its time limit (5 s): then the screen says so.
    await timeout(
      (async () => {
        while (!/Cannot reach the server, trying again (in \d+ s|now)/.test(await visibleText(pane))) await pause(200)
      })(),
      25_000,
      'the screen to say the server cannot be reached',
    )
    await pause(Math.max(0, 30_000 - (Date.now() - stoppedAt)))
    server.kill('SIGCONT')
    // The server first answers what queued up while it was stopped, polls the CLI gave up on
    // included; a person approves seconds later, on a page served by the running server.
    await pause(2_000)
    await timeout(decidePairing(dataDir, code, { approve: true, email: ada.email }), 10_000, 'approving')
    const done = await pane.waitFor(/EXIT=(\d+)/, 30_000)
    assert.is(done.match[1], '0', done.text)
    assert.match(done.text, `Logged in as ${ada.email}`)

    // The machine's schedule, from its trace: every wait it set, and what the polls got.
    const trace = pane
      .raw()
      .split(/[\r\n]/)
      .filter((line) => line.includes('grant: xstate.'))
    const waits = trace.flatMap((line) => [...line.matchAll(/waitMs=(\d+)/g)].map((m) => Number(m[1])))
    assert.ok(waits.length > 0, trace.join('\n'))
    for (const wait of waits) assert.ok(wait <= 1_000 + 10_000, `a wait of ${wait} ms, above the interval + 10 s:\n${trace.join('\n')}`)
    const failed = trace.map((line, i) => (line.includes('xstate.error.actor.pollToken') ? i : -1)).filter((i) => i >= 0)
    assert.ok(failed.length >= 2, `polls failed while the server was stopped:\n${trace.join('\n')}`)
    assert.ok(trace.some((line) => line.includes('retrying="unreachable"')))
    // After the last failed poll: the one in flight when it came back, then the approval.
    const answersAfter = trace.slice(failed[failed.length - 1]! + 1).filter((line) => line.includes('xstate.done.actor.pollToken'))
    assert.ok(answersAfter.length >= 1 && answersAfter.length <= 2, `answers after the outage:\n${answersAfter.join('\n')}`)
    assert.match(answersAfter[answersAfter.length - 1]!, '-> granted')
  } finally {
    server.kill('SIGCONT')
    server.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test.run()
