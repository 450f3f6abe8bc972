// `omicos login` on a real terminal: tmux gives the binary a pseudo-terminal, the test types at
// the `Email:` and `Password:` prompts and reads the screen (with its colours, for NO_COLOR and
// TERM=dumb). tmux is required (CI installs
// it): without it these tests fail rather than skip.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { addAccount } from '../../server/index.js'
import { CLI_BIN, type CliSandbox } from '../support/cli.js'
import { CREDENTIAL_FILE, watchForLeaks } from '../support/cli-login.js'
import { SERVER_BIN } from '../support/device-pairing.js'
import { makeDataDir, referenceServerFor } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'

const PAT = { email: 'pat@example.com', password: 'pat types on a tty 8' }
const WRONG = ['wrong on a tty 1', 'wrong on a tty 2', 'wrong on a tty 3', 'wrong on a tty 4']

const leaks = watchForLeaks()
leaks.secret(PAT.password)
for (const wrong of WRONG) leaks.secret(wrong)

test.before(() => {
  assert.ok(existsSync(CLI_BIN), `${CLI_BIN} is built (node scripts/build.mjs)`)
})
const ref = referenceServerFor(test, { users: [PAT] })

test('tmux is installed (these tests need it; CI installs it)', () => {
  const version = spawnSync('tmux', ['-V'], { encoding: 'utf8', timeout: 5_000 })
  assert.is(version.status, 0, `tmux -V: ${version.error?.message ?? version.stderr}`)
})

/** One tmux server on its own socket, running `omicos login` in a 120x30 terminal. */
function terminal(box: CliSandbox, args: string[], extraEnv: Record<string, string> = {}) {
  const socket = join(box.home, '..', 'tmux.sock')
  const env = { ...box.env, TERM: box.env.TERM || 'xterm-256color' }
  const tmux = (...rest: string[]) => {
    const result = spawnSync('tmux', ['-S', socket, ...rest], { encoding: 'utf8', env, timeout: 5_000 })
    assert.is(result.status, 0, `tmux ${rest[0]}: ${result.stderr}`)
    return result.stdout
  }
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  // The exit code is printed after the run, and the pane stays open to read it.
  // extraEnv through env(1): tmux sets the pane's TERM itself, so TERM=dumb must come after it.
  const withEnv = Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`)
  const command = `${[...(withEnv.length ? ['env', ...withEnv] : []), process.execPath, CLI_BIN, ...args].map(quote).join(' ')}; echo "EXIT=$?"; sleep 120`
  tmux('new-session', '-d', '-x', '120', '-y', '30', '-s', 'login', '-c', box.workspace, command)
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'login')
  // With -e: the colours and attributes too, as SGR sequences.
  const screenWithStyles = () => tmux('capture-pane', '-p', '-e', '-J', '-S', '-', '-t', 'login')
  let seen = ''
  return {
    screen,
    screenWithStyles,
    /** waits until the screen matches, for at most `ms` */
    async waitFor(pattern: RegExp | ((screen: string) => boolean), ms = 15_000): Promise<string> {
      const deadline = Date.now() + ms
      const matches = typeof pattern === 'function' ? pattern : (text: string) => pattern.test(text)
      for (;;) {
        seen = screen()
        leaks.keep(seen)
        if (matches(seen)) return seen
        if (Date.now() > deadline) throw new Error(`no ${pattern} on the screen within ${ms} ms:\n${seen}`)
        await sleep(100)
      }
    },
    /** types `text` literally, then Enter */
    type(text: string) {
      if (text) tmux('send-keys', '-t', 'login', '-l', text)
      tmux('send-keys', '-t', 'login', 'Enter')
    },
    close() {
      spawnSync('tmux', ['-S', socket, 'kill-server'], { env, timeout: 5_000 })
    },
  }
}

const count = (text: string, pattern: RegExp) => (text.match(new RegExp(pattern.source, 'gm')) ?? []).length
// tmux drops trailing blanks from captured lines: an open prompt is `Password:` alone.
const ASKING = /^Password: ?$/m
const ANSWERED = /^Password: \*+$/m

test('a wrong password: the email is asked again with the last one as its answer, three tries in all, then exit 4; the password is never shown', async () => {
  const box = leaks.sandbox()
  const tty = terminal(box, ['login', '--server', ref.server.url])
  try {
    await tty.waitFor(/^Email:/m)
    tty.type(PAT.email)
    for (let i = 0; i < 3; i++) {
      if (i > 0) {
        // Either of the two may have been wrong: the email is asked again, the last one offered.
        await tty.waitFor((screen) => count(screen, /^Email: pat@example\.com$/) === i + 1 && count(screen, /wrong email or password/) === i)
        tty.type('')
      }
      // The i-th try is asked when i answers are masked on screen and an empty prompt follows.
      await tty.waitFor((screen) => count(screen, ASKING) === 1 && count(screen, ANSWERED) === i)
      tty.type(WRONG[i]!)
    }
    const screen = await tty.waitFor(/EXIT=\d+/)
    assert.match(screen, /EXIT=4/)
    assert.match(screen, /error: wrong email or password \(3 tries\)/)
    assert.is(count(screen, /^Email: pat@example\.com$/), 3, 'the email is asked with each try, Enter keeping the last one')
    assert.is(count(screen, /^Password: /), 3, 'the password three times')
    assert.match(screen, /^Email: pat@example\.com$/m)
    for (const wrong of WRONG) assert.not.ok(screen.includes(wrong), 'no password on the screen')
    assert.not.ok(existsSync(join(box.home, CREDENTIAL_FILE)))
  } finally {
    tty.close()
    box.cleanup()
  }
})

const SGR = /\x1b\[[0-9;]*m/

/** Answers both prompts on a terminal started with `extraEnv`; the screen with its styles while asking. */
async function promptScreens(extraEnv: Record<string, string>): Promise<string> {
  const box = leaks.sandbox()
  const tty = terminal(box, ['login', '--server', ref.server.url], extraEnv)
  try {
    await tty.waitFor(/^Email:/m)
    const asking = tty.screenWithStyles()
    tty.type(PAT.email)
    await tty.waitFor(ASKING)
    const styled = asking + tty.screenWithStyles()
    tty.type(PAT.password)
    const screen = await tty.waitFor(/EXIT=\d+/)
    assert.match(screen, /EXIT=0/)
    return styled + tty.screenWithStyles()
  } finally {
    tty.close()
    box.cleanup()
  }
}

test('NO_COLOR and TERM=dumb: the prompts on a terminal carry no colour or bold; without them they do', async () => {
  assert.match(await promptScreens({}), SGR, 'enquirer styles its prompts on a colour terminal')
  for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }] as Array<Record<string, string>>) {
    const screen = await promptScreens(env)
    assert.match(screen, /^Email: pat@example\.com$/m)
    assert.not.match(screen, SGR, `${JSON.stringify(env)}:\n${JSON.stringify(screen)}`)
  }
})

test('a wrong password and then the right one logs in; the password is never shown', async () => {
  const box = leaks.sandbox()
  const tty = terminal(box, ['login', '--server', ref.server.url])
  try {
    await tty.waitFor(/^Email:/m)
    tty.type(PAT.email)
    await tty.waitFor((screen) => count(screen, ASKING) === 1 && count(screen, ANSWERED) === 0)
    tty.type(WRONG[3]!)
    await tty.waitFor((screen) => count(screen, /^Email: pat@example\.com$/) === 2 && /wrong email or password/.test(screen))
    tty.type('')
    await tty.waitFor((screen) => count(screen, ASKING) === 1 && count(screen, ANSWERED) === 1 && /wrong email or password/.test(screen))
    tty.type(PAT.password)
    const screen = await tty.waitFor(/EXIT=\d+/)
    assert.match(screen, /EXIT=0/)
    assert.match(screen, `Logged in as ${PAT.email} (process "workspace").`)
    assert.match(screen, ANSWERED, 'the password shows as a mask')
    assert.not.ok(screen.includes(PAT.password) || screen.includes(WRONG[3]!), 'no password on the screen')
    const creds = leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
    assert.is(creds.user.email, PAT.email)
  } finally {
    tty.close()
    box.cleanup()
  }
})

test('a server that cannot be reached: said before anything is asked (exit 3, no Email: or Password: prompt)', async () => {
  const box = leaks.sandbox()
  // Port 9 on loopback: nothing listens there.
  const tty = terminal(box, ['login', '--server', 'http://127.0.0.1:9'])
  try {
    const screen = await tty.waitFor(/EXIT=\d+/, 20_000)
    assert.match(screen, /EXIT=3/)
    assert.match(screen, /^error: cannot reach 127\.0\.0\.1:9/m)
    assert.not.match(screen, /^(Email|Password):/m)
  } finally {
    tty.close()
    box.cleanup()
  }
})

test('on a terminal, --email skips the Email: prompt', async () => {
  const box = leaks.sandbox()
  const tty = terminal(box, ['login', '--server', ref.server.url, '--email', PAT.email])
  try {
    await tty.waitFor(ASKING)
    tty.type(PAT.password)
    const screen = await tty.waitFor(/EXIT=\d+/)
    assert.match(screen, /EXIT=0/)
    assert.not.match(screen, /^Email:/m)
    assert.not.ok(screen.includes(PAT.password))
    leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
  } finally {
    tty.close()
    box.cleanup()
  }
})

test('waits that speak: while a stopped server keeps the password waiting, the terminal says who is waited for; then the login goes through', async () => {
  const dataDir = makeDataDir()
  await timeout(addAccount(dataDir, PAT.email, PAT.password), 15_000, 'adding a user')
  const server = spawn(process.execPath, [SERVER_BIN, 'start', '--port', '0', '--data', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
  const box = leaks.sandbox()
  let tty: ReturnType<typeof terminal> | null = null
  try {
    let out = ''
    server.stdout!.on('data', (d) => (out += d))
    const url = await timeout(
      (async () => {
        for (;;) {
          const match = /listening on (\S+)/.exec(out)
          if (match) return match[1]!
          await sleep(50)
        }
      })(),
      20_000,
      'the server to listen',
    )
    const host = new URL(url).host
    tty = terminal(box, ['login', '--server', url, '--email', PAT.email])
    await tty.waitFor(ASKING)
    server.kill('SIGSTOP')
    tty.type(PAT.password)
    // The server cannot answer: the screen names what the command waits for.
    const waiting = await tty.waitFor((screen) => screen.includes(`Signing in to ${host} …`))
    assert.not.match(waiting, /Logged in as/)
    server.kill('SIGCONT')
    const screen = await tty.waitFor(/EXIT=\d+/, 30_000)
    assert.match(screen, /EXIT=0/)
    const lines = screen.split('\n')
    const at = (text: string) => lines.findIndex((line) => line.startsWith(text))
    assert.ok(at('Password: ') < at(`Signing in to ${host} …`), screen)
    assert.ok(at(`Signing in to ${host} …`) < at(`Registering this process with ${host} …`), screen)
    assert.ok(at(`Registering this process with ${host} …`) < at('Logged in as'), screen)
    assert.not.ok(screen.includes(PAT.password))
    tty.close()

    // --status --verify waits on the server too, and says so, before its answer.
    server.kill('SIGSTOP')
    tty = terminal(box, ['login', '--status', '--verify'])
    const asking = await tty.waitFor((text) => text.includes(`Asking ${host} whether this login still works …`))
    assert.not.match(asking, /EXIT=/)
    server.kill('SIGCONT')
    const verified = await tty.waitFor(/EXIT=\d+/, 20_000)
    assert.ok(verified.indexOf(`Asking ${host} whether this login still works …`) < verified.indexOf('EXIT='), verified)
    tty.close()

    tty = terminal(box, ['login', '--logout'])
    const loggedOut = await tty.waitFor(/EXIT=\d+/, 20_000)
    assert.match(loggedOut, /EXIT=0/)
    assert.ok(
      loggedOut.indexOf(`Revoking the tokens at ${host} …`) >= 0 && loggedOut.indexOf(`Revoking the tokens at ${host} …`) < loggedOut.indexOf('Logged out'),
      loggedOut,
    )

    // Piped, the same login says nothing of its waits: stderr is what it always was.
    const piped = await leaks.run(['login', '--force', '--server', url, '--email', PAT.email, '--password-stdin'], {
      cwd: box.workspace,
      env: box.env,
      input: PAT.password,
      timeoutMs: 20_000,
    })
    assert.is(piped.code, 0, piped.stderr)
    assert.not.match(piped.stderr, /Signing in|Registering|Revoking/)
    const pipedStatus = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: box.env, timeoutMs: 20_000 })
    assert.not.match(pipedStatus.stderr, /Asking/)
  } finally {
    tty?.close()
    server.kill('SIGCONT')
    server.kill('SIGKILL')
    box.cleanup()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('no screen and no file but the credential files holds a password or a token', () => {
  leaks.assertNoLeak()
})

test.run()
