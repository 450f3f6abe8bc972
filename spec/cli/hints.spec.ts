// Every command the CLI tells a person to run, run as printed (split on spaces, as a shell
// would split these unquoted words) in the same workspace and environment, and doing what it
// says: a cancelled pairing continued with its code, an existing login forced again, an expired
// login logged in again on its own server. And `omicos cli login` with no --server, while a
// pairing with another server waits here, continues that one and says so.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { PAIRING_CODE, runCli, startCli, type CliSandbox, type RunningCli } from '../support/cli.js'
import { finished, pairingSpec, readPairing, waitForPending } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { timeout } from '../support/wait.js'
import { addAccount } from '../../server/index.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const { ref, sandbox, cliLogin, approve } = pairingSpec(test, { interval: 1 })

const running: RunningCli[] = []
test.after.each(() => {
  for (const cli of running.splice(0)) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
})

/** `omicos ...` as the hint printed it, in the sandbox. */
function runHint(box: CliSandbox, hint: string): RunningCli {
  const [binary, ...args] = hint.trim().split(/\s+/)
  assert.is(binary, 'omicos', hint)
  const cli = startCli(args, { cwd: box.workspace, env: box.env })
  running.push(cli)
  return cli
}

async function cancelledPairing(box: CliSandbox): Promise<{ code: string; hint: string; stderr: string }> {
  const first = cliLogin(box)
  const { code } = await readPairing(first)
  await waitForPending(box.home)
  first.child.kill('SIGINT')
  const result = await finished(first, 5_000)
  assert.is(result.code, 130, result.stderr)
  const hint = /: run (omicos cli login[^,]*?) again to continue with it/.exec(result.stderr)?.[1]
  assert.ok(hint, result.stderr)
  return { code, hint: hint!, stderr: result.stderr }
}

test('Ctrl-C of `cli login --server S`: the hint names S, and run as printed it continues with the same code', async () => {
  const box = sandbox()
  const { code, hint } = await cancelledPairing(box)
  assert.is(hint, `omicos cli login --server ${ref.server.url}`)
  const again = runHint(box, hint)
  const resumed = await readPairing(again)
  assert.is(resumed.code, code, 'the same code')
  assert.match(again.stdout(), 'Continuing the pairing started earlier')
  await approve(code)
  const result = await finished(again)
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged in as ${ada.email}`)
})

test('`omicos cli login` with no --server while a pairing with S waits here: S is used, said so, with the same code', async () => {
  const box = sandbox()
  const { code } = await cancelledPairing(box)
  const again = runHint(box, 'omicos cli login')
  await again.waitFor(PAIRING_CODE)
  assert.match(again.stderr(), `Using ${ref.server.url}, the server of the pairing in progress here (--server to choose another).`)
  assert.is((await readPairing(again)).code, code)
  await approve(code)
  assert.is((await finished(again)).code, 0)
})

test('already logged in: the --force hint, run as printed, pairs again on the same server', async () => {
  const box = sandbox()
  const first = cliLogin(box)
  await approve((await readPairing(first)).code)
  assert.is((await finished(first)).code, 0)
  const again = await runCli(['cli', 'login', '--server', ref.server.url], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  const hint = /Use (omicos .*?) to log in again\./.exec(again.stdout)?.[1]
  assert.is(hint, `omicos cli login --server ${ref.server.url} --force`, again.stdout)
  const forced = runHint(box, hint!)
  const { code } = await readPairing(forced)
  await approve(code)
  const result = await finished(forced)
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged in as ${ada.email}`)
})

test("an expired login: the `--status` hint, run as printed, logs in again on the login's own server", async () => {
  const box = sandbox()
  const first = cliLogin(box)
  await approve((await readPairing(first)).code)
  assert.is((await finished(first)).code, 0)
  const file = join(box.home, 'cloud_login.json')
  const json = JSON.parse(readFileSync(file, 'utf8'))
  json.user_token_expires_at = new Date(Date.now() - 60_000).toISOString()
  writeFileSync(file, JSON.stringify(json))
  const status = await runCli(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  const hints = /log in again \(`(omicos login)` or `(omicos cli login)`\)/.exec(status.stdout + status.stderr)
  assert.ok(hints, status.stdout + status.stderr)
  // The pairing one needs nobody at a terminal: run it as printed.
  const again = runHint(box, hints![2]!)
  await again.waitFor(PAIRING_CODE)
  assert.match(again.stderr(), `Using ${ref.server.url}, the server of the login here (--server to choose another).`)
  await approve((await readPairing(again)).code)
  const result = await finished(again)
  assert.is(result.code, 0, result.stderr)
  // The password one, with what only a terminal would have asked for given on the side.
  const password = await runCli([...hints![1]!.split(' ').slice(1), '--force', '--email', ada.email, '--password-stdin'], {
    cwd: box.workspace,
    env: box.env,
    input: ada.password,
    timeoutMs: 20_000,
  })
  assert.is(password.code, 0, password.stderr)
  assert.match(password.stderr, `Using ${ref.server.url}, the server of the login here`)
})

test('already logged in by password in a workspace: the --force hint, run as printed, logs in again there, on the same server', async () => {
  const box = sandbox()
  const run = (args: string[]) =>
    runCli([...args, '--email', ada.email, '--password-stdin'], { cwd: box.workspace, env: box.env, input: ada.password, timeoutMs: 20_000 })
  assert.is((await run(['login', '--server', ref.server.url, '--workspace'])).code, 0)
  const already = await run(['login', '--server', ref.server.url, '--workspace'])
  assert.is(already.code, 0, already.stderr)
  const hint = /Use (omicos login .*?--force) to log in again\./.exec(already.stdout)?.[1]
  assert.is(hint, `omicos login --server ${ref.server.url} --workspace --force`, already.stdout)
  const before = readFileSync(join(box.workspace, '.omicos', 'cloud_login.json'), 'utf8')
  const again = await run(hint!.split(' ').slice(1))
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stdout, `Logged in as ${ada.email}`)
  assert.is.not(readFileSync(join(box.workspace, '.omicos', 'cloud_login.json'), 'utf8'), before, 'the workspace login made again')
})

test("an expired workspace login beside another account's global one: the hint, run as printed, logs in the workspace again and leaves the global login", async () => {
  const box = sandbox()
  const bob = { email: 'bob@example.com', password: 'bob keeps a workspace 9' }
  await timeout(addAccount(ref.dataDir, bob.email, bob.password), 15_000, 'adding a user')
  const password = (user: { email: string; password: string }, args: string[]) =>
    runCli([...args, '--email', user.email, '--password-stdin'], { cwd: box.workspace, env: box.env, input: user.password, timeoutMs: 20_000 })
  assert.is((await password(ada, ['login', '--server', ref.server.url])).code, 0)
  assert.is((await password(bob, ['login', '--server', ref.server.url, '--workspace'])).code, 0)
  const globalFile = join(box.home, 'cloud_login.json')
  const workspaceFile = join(box.workspace, '.omicos', 'cloud_login.json')
  const json = JSON.parse(readFileSync(workspaceFile, 'utf8'))
  json.user_token_expires_at = new Date(Date.now() - 60_000).toISOString()
  writeFileSync(workspaceFile, JSON.stringify(json))
  const globalBefore = readFileSync(globalFile, 'utf8')

  const status = await runCli(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.is(status.code, 1, status.stdout)
  // A line of --status longer than 80 columns goes on, indented, on the next.
  const hints = /log in again \(`(omicos login --workspace)` or `(omicos cli login --workspace)`\)/.exec(status.stdout.replace(/\n +/g, ' '))
  assert.ok(hints, status.stdout)
  const again = await password(bob, hints![1]!.split(' ').slice(1))
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stderr, `Using ${ref.server.url}, the server of the login here`)
  assert.is(JSON.parse(readFileSync(workspaceFile, 'utf8')).user.email, bob.email)
  assert.ok(Date.parse(JSON.parse(readFileSync(workspaceFile, 'utf8')).user_token_expires_at) > Date.now(), 'the workspace login renewed')
  assert.is(readFileSync(globalFile, 'utf8'), globalBefore, "Ada's global login stays byte for byte")
})

test.run()
