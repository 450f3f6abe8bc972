// `omicos cli login` stopped while it waits and started again: the persisted pairing under
// OMICOS_HOME/pending brings back the same code, in the CLI or in another front end (the
// high-level API in this process); `--force` starts with a new one.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { deviceLogin } from '../../effects/node/api.js'
import { decidePairing } from '../../server/index.js'
import { findSecret, type CliSandbox } from '../support/cli.js'
import { assertPolite, finished, pairingSpec, pendingFiles, readCredentials, readPairing, secretsOf, serverBin, waitForPending } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

const { ref, sandbox, cliLogin, approve } = pairingSpec(test, { interval: 1 })

/** Starts a pairing, waits until it is saved and a poll or two went out, then stops the child with `signal`. */
async function startAndStop(box: CliSandbox, signal: NodeJS.Signals): Promise<{ code: string; pending: string; output: string }> {
  const cli = cliLogin(box)
  const { code } = await readPairing(cli)
  const [pending] = await waitForPending(box.home)
  await new Promise((resolve) => setTimeout(resolve, 1_300))
  cli.child.kill(signal)
  const ended = await finished(cli, 5_000)
  assert.is(ended.signal, signal, `the child was stopped by ${signal}`)
  return { code, pending: pending!, output: ended.stdout + ended.stderr }
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`stopped with ${signal}, started again: the same code, "continuing", approved, logged in`, async () => {
    const box = sandbox()
    const stopped = await startAndStop(box, signal)
    const saved = readCredentials(stopped.pending)
    assert.is(saved.mode, 0o600, 'the pending pairing file is 0600')
    const deviceCode = saved.json.context.deviceCode as string

    const cli = cliLogin(box)
    const { code } = await readPairing(cli)
    assert.is(code, stopped.code, 'the same code')
    assert.match(cli.stdout(), /^Continuing the pairing started earlier/m)
    assert.is((await serverBin(['approve', code, '--email', ada.email, '--data', ref.dataDir])).code, 0)

    const result = await finished(cli)
    assert.is(result.code, 0, result.stderr)
    const file = readCredentials(join(box.home, 'cloud_login.json'))
    assert.is(file.json.auth_method, 'device')
    assert.equal(pendingFiles(box.home), [], 'the pending pairing is removed after success')
    const texts = [stopped.output, result.stdout, result.stderr]
    assert.is(findSecret(texts, [...secretsOf(file.json), deviceCode]), null)
  })
}

test('a second omicos cli login while the first waits: refused with exit 7, the first still logs in', async () => {
  const box = sandbox()
  const first = cliLogin(box)
  const { code } = await readPairing(first)
  const second = await finished(cliLogin(box), 15_000)
  assert.is(second.code, 7, second.stderr)
  assert.match(second.stderr, /^error: another omicos cli login is already waiting for a pairing with this server and workspace/m)
  assert.is(second.stderr.trim().split('\n').length, 1, 'one line')
  assert.is((await serverBin(['approve', code, '--email', ada.email, '--data', ref.dataDir])).code, 0)
  const result = await finished(first)
  assert.is(result.code, 0, result.stderr)
  assertPolite(ref.server, 1_000)
})

test('stopped, then started with --force: a new code, and that one logs in', async () => {
  const box = sandbox()
  const stopped = await startAndStop(box, 'SIGTERM')
  const cli = cliLogin(box, '--force')
  const { code } = await readPairing(cli)
  assert.is.not(code, stopped.code)
  assert.not.match(cli.stdout(), 'Continuing')
  // The old code still waits on the server, but this run no longer polls it.
  assert.is((await serverBin(['approve', code, '--email', ada.email, '--data', ref.dataDir])).code, 0)
  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
  assert.equal(pendingFiles(box.home), [])
})

test('started in the CLI, stopped, finished from the high-level API in this process with the same code', async () => {
  const box = sandbox()
  const stopped = await startAndStop(box, 'SIGTERM')
  const savedText = readFileSync(stopped.pending, 'utf8')

  let shownCode: string | null = null
  let resumed = false
  let approving: Promise<unknown> | null = null
  const controller = new AbortController()
  const login = deviceLogin({
    server: ref.server.url,
    home: box.home,
    cwd: box.workspace,
    env: box.env,
    signal: controller.signal,
    onResume: () => (resumed = true),
    onSnapshot: (snapshot) => {
      if (!snapshot.context.pairing || approving) return
      shownCode = snapshot.context.pairing.userCode
      approving = decidePairing(ref.dataDir, shownCode!, { approve: true, email: ada.email })
    },
  })
  const output = await timeout(login, 20_000, 'deviceLogin resumed in process').finally(() => controller.abort())
  await timeout(approving ?? Promise.resolve(), 10_000, 'approving')
  assert.ok(resumed, 'the API picked up the pairing the CLI saved')
  assert.is(shownCode, stopped.code, 'the same code')
  assert.is(output.kind, 'loggedIn', JSON.stringify(output))
  const file = readCredentials(join(box.home, 'cloud_login.json'))
  assert.is(file.mode, 0o600)
  assert.is(file.json.auth_method, 'device')
  assert.is(file.json.user.email, ada.email)
  assert.equal(pendingFiles(box.home), [])
  assert.is(findSecret([stopped.output, JSON.stringify(output)], secretsOf(file.json)), null)
  assert.ok(savedText.length > 0)
})

test('traced (--trace, then OMICOS_TRACE=1 on the resumed run): transitions shown, no token or device code', async () => {
  const box = sandbox()
  const first = cliLogin(box, '--trace')
  const { code } = await readPairing(first)
  const [pending] = await waitForPending(box.home)
  const deviceCode = readCredentials(pending!).json.context.deviceCode as string
  await new Promise((resolve) => setTimeout(resolve, 1_300))
  first.child.kill('SIGTERM')
  const stopped = await finished(first, 5_000)
  assert.match(stopped.stderr, /\[trace [^\]]+\] .*-> awaitingApproval\.waiting .*deviceCode="\[redacted\]"/)

  const cli = cliLogin({ ...box, env: { ...box.env, OMICOS_TRACE: '1' } })
  assert.is((await readPairing(cli)).code, code)
  await approve(code)
  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stderr, /app\.resume: /)
  assert.match(result.stderr, /-> loggedIn \[done\]/)
  const file = readCredentials(join(box.home, 'cloud_login.json'))
  const texts = [stopped.stdout, stopped.stderr, result.stdout, result.stderr]
  assert.is(findSecret(texts, [...secretsOf(file.json), deviceCode]), null)
})

test('across stops and resumes, no device code was polled sooner than the interval, none told to slow down', () => {
  assert.ok(assertPolite(ref.server, 1_000) >= 6)
})

test.run()
