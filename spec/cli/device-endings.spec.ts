// `omicos cli login` end to end, the endings other than approval: declined (exit 4), expired
// (exit 5, short device TTL), Ctrl-C (exit 130). The server's device codes live 8 s here.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { findSecret, startCli, type CliSandbox } from '../support/cli.js'
import { assertPolite, finished, pairingSpec, pendingFiles, readCredentials, readPairing, serverBin, waitForPending } from '../support/device-pairing.js'

const DEVICE_TTL_S = 8

const { ref, sandbox, cliLogin, approve } = pairingSpec(test, { interval: 1, deviceTtl: DEVICE_TTL_S })

const credentialPath = (box: CliSandbox) => join(box.home, 'cloud_login.json')

test('declined with `omicos-auth-server deny`: exit 4, "pairing was declined", nothing written', async () => {
  const box = sandbox()
  const cli = cliLogin(box)
  const { code } = await readPairing(cli)
  const denied = await serverBin(['deny', code, '--data', ref.dataDir])
  assert.is(denied.code, 0, denied.stderr)

  const result = await finished(cli)
  assert.is(result.code, 4, result.stderr)
  assert.match(result.stderr, /^error: pairing was declined on the other device$/m)
  assert.not.ok(existsSync(credentialPath(box)))
  assert.equal(pendingFiles(box.home), [], 'a declined pairing is forgotten')
})

test('nobody approves: exit 5 once the code has expired, with how to start again, which run as printed pairs on the same server', async () => {
  const box = sandbox()
  const cli = cliLogin(box)
  await readPairing(cli)
  const started = Date.now()
  const result = await finished(cli, (DEVICE_TTL_S + 10) * 1000)
  const took = Date.now() - started
  assert.is(result.code, 5, result.stderr)
  assert.match(result.stderr, /error: the pairing code expired before it was approved: run `omicos cli login[^`]*` again/)
  assert.ok(took < (DEVICE_TTL_S + 3) * 1000, `ended ${took} ms after the code was shown`)
  assert.not.ok(existsSync(credentialPath(box)))
  assert.equal(pendingFiles(box.home), [], 'an expired pairing is forgotten')

  const hint = /run `(omicos cli login[^`]*)` again/.exec(result.stderr)?.[1]
  assert.is(hint, `omicos cli login --server ${ref.server.url}`)
  const again = startCli(hint!.split(' ').slice(1), { cwd: box.workspace, env: box.env })
  try {
    await approve((await readPairing(again)).code)
    const done = await finished(again)
    assert.is(done.code, 0, done.stderr)
    assert.ok(existsSync(credentialPath(box)))
  } finally {
    again.child.kill('SIGKILL')
  }
})

test('Ctrl-C while waiting: exit 130 at once, no credentials, the earlier ones untouched', async () => {
  const box = sandbox()
  const first = cliLogin(box, '--name', 'earlier')
  const { code } = await readPairing(first)
  await approve(code)
  assert.is((await finished(first)).code, 0)
  const before = readCredentials(credentialPath(box))

  const cli = cliLogin(box, '--force', '--name', 'later')
  await readPairing(cli)
  await waitForPending(box.home)
  const sent = Date.now()
  cli.child.kill('SIGINT')
  const result = await finished(cli, 5_000)
  const took = Date.now() - sent
  assert.is(result.code, 130, result.stderr)
  assert.ok(took < 1_500, `exited ${took} ms after SIGINT`)
  assert.match(result.stderr, /^error: login cancelled/m)
  const after = readCredentials(credentialPath(box))
  assert.is(after.text, before.text, 'the earlier credentials are untouched')
  assert.is(after.mode, 0o600)
  assert.is(findSecret([result.stdout, result.stderr], [before.json.user_token, before.json.process_token]), null)
})

test('stopped, and its code expired meanwhile: the next run starts with a new code instead of failing', async () => {
  const box = sandbox()
  const first = cliLogin(box)
  const { code: old } = await readPairing(first)
  await waitForPending(box.home)
  first.child.kill('SIGTERM')
  await finished(first, 5_000)
  await new Promise((resolve) => setTimeout(resolve, (DEVICE_TTL_S + 0.5) * 1000))

  const cli = cliLogin(box)
  const { code } = await readPairing(cli)
  assert.is.not(code, old)
  assert.not.match(cli.stdout(), 'Continuing')
  await approve(code)
  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
  assert.equal(pendingFiles(box.home), [])
})

test('no device code was polled sooner than the interval, and none was told to slow down', () => {
  assert.ok(assertPolite(ref.server, 1_000) >= 3)
})

test.run()
