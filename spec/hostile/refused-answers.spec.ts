// Answers refused after the server acted: the reference server behind a listener
// (spec/support/hostile-server.ts) that lets the server do its work, a process registration
// say, and then spoils the answer. Every registration rotates the process token, so the file
// made earlier holds a dead one afterwards, and the server holds a new one the engine refused.
// Each test checks the exit code, one clean line, no secret in any output, the earlier file
// unchanged but for the replaced marker, and, asking the reference server after the run, that
// no token it issued is alive without a file holding it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decidePairing } from '../../server/index.js'
import { findSecret, PAIRING_CODE, type CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf } from '../support/cli-login.js'
import { secretsSeen, sendJson, type Upstream } from '../support/hostile-server.js'
import { ADA, hostileLoginSpec } from '../support/hostile-login.js'
import { assertNoLiveTokenUnheld, assertOnlyMarked } from '../support/live-tokens.js'
import { timeout } from '../support/wait.js'
import { refreshProcessToken } from '../../effects/node/resolver.js'
import { EngineError } from '../../effects/client/engine-error.js'

const { ref, leaks, hostile, login, loggedIn, assertNoSecretIn } = hostileLoginSpec(test)

const status = (box: CliSandbox, extra: string[] = []) => leaks.run(['login', '--status', ...extra], { cwd: box.workspace, env: box.env, timeoutMs: 30_000 })

/** The registration goes through to the server; its answer is replaced by `spoil(answer)`. */
const spoilRegistration = (spoil: (answer: Upstream) => string) =>
  hostile.on('POST /omicos/processes', async ({ forward, res }) => {
    const answer = await forward()
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(spoil(answer))
  })

/** The marker is shown by --status, in words and in --json. */
const assertStatusSaysReplaced = async (box: CliSandbox) => {
  const said = await status(box)
  assert.is(said.code, 0, said.stderr)
  assert.match(said.stdout, /^process token: replaced .+\n {2}by a registration whose answer was lost;\n {2}registered again on the next daemon start or login$/m)
  assert.not.match(said.stdout, /process token: valid until/)
  const json = JSON.parse((await status(box, ['--json'])).stdout)
  assert.type(json.process_token_replaced_at, 'string')
}

const refusedAnswers: Array<[what: string, spoil: (answer: Upstream) => string, line: RegExp]> = [
  [
    'a process_token with a newline',
    (a) => JSON.stringify({ ...a.json(), process_token: `${a.json().process_token}\nX-Injected: 1` }),
    /sent no usable process_token/,
  ],
  ['a process_id of ../x', (a) => JSON.stringify({ ...a.json(), process_id: '../x' }), /registered a different process_id than asked/],
  ['a process_id with a NUL', (a) => JSON.stringify({ ...a.json(), process_id: `${a.json().process_id}\u0000` }), /registered a different process_id than asked/],
  ['expires_at 2026-13-45', (a) => JSON.stringify({ ...a.json(), expires_at: '2026-13-45' }), /sent a process token without a usable expiry/],
  ['the fields only under __proto__', (a) => `{"__proto__":${a.text}}`, /sent no usable process_token/],
  [
    'expires_in as a string',
    (a) => {
      const { expires_at: _, ...rest } = a.json()
      return JSON.stringify({ ...rest, expires_in: String(rest.expires_in) })
    },
    /sent a process token without a usable expiry/,
  ],
  ['an expires_at in the past', (a) => JSON.stringify({ ...a.json(), expires_at: '2024-01-01T00:00:00.000Z' }), /sent a process token that has already expired/],
]

for (const [what, spoil, line] of refusedAnswers) {
  test(`a registration answered with ${what}: exit 6, the stored process token marked replaced, no live token unheld`, async () => {
    const { box, file, before, since } = await loggedIn()
    spoilRegistration(spoil)
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, line)
    assertNoSecretIn(result)
    assertOnlyMarked(file, before)
    await assertStatusSaysReplaced(box)
    assert.ok((await assertNoLiveTokenUnheld(ref, hostile, [box], since)) >= 2, 'the tokens of the failed login were asked about')
  })
}

test('a server that registers and then answers 500: exit 6, marked, the login it issued revoked', async () => {
  const { box, file, before, since } = await loggedIn()
  hostile.on('POST /omicos/processes', async ({ forward, res }) => {
    await forward()
    sendJson(res, 500, { error: 'server_error', error_description: 'the answer was lost' })
  })
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /refused to register the process: server_error: the answer was lost \(HTTP 500\)/)
  assertNoSecretIn(result)
  assertOnlyMarked(file, before)
  await assertStatusSaysReplaced(box)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('a server that registers and then drops the connection: exit 3, marked, the login it issued revoked', async () => {
  const { box, file, before, since } = await loggedIn()
  hostile.on('POST /omicos/processes', async ({ forward, res }) => {
    await forward()
    res.socket?.destroy()
  })
  const registrations = hostile.seen('POST /omicos/processes').length
  const result = await login(box, ['--force'])
  assertOneLineError(result, 3, /cannot reach 127\.0\.0\.1:\d+: (connection reset|connection closed|network error)/)
  assert.is(hostile.seen('POST /omicos/processes').length, registrations + 1, 'the registration was not sent again')
  assertNoSecretIn(result)
  assertOnlyMarked(file, before)
  await assertStatusSaysReplaced(box)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('Ctrl-C while the server holds the registration it made: exit 130, marked, no live token unheld', async () => {
  const { box, file, before, since } = await loggedIn()
  let registered: () => void = () => {}
  const madeIt = new Promise<void>((resolve) => {
    registered = resolve
  })
  hostile.on('POST /omicos/processes', async ({ forward }) => {
    await forward()
    registered()
    // The answer never comes: the person gives up waiting.
    await new Promise(() => {})
  })
  const running = leaks.start(['login', '--server', hostile.url, '--email', ADA.email, '--password-stdin', '--force'], {
    cwd: box.workspace,
    env: box.env,
    input: ADA.password,
    timeoutMs: 30_000,
  })
  await timeout(madeIt, 20_000, 'the registration reaching the server')
  running.child.kill('SIGINT')
  const result = await running.done
  assert.is(result.code, 130, result.stderr)
  assertNoSecretIn(result)
  assertOnlyMarked(file, before)
  await assertStatusSaysReplaced(box)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

/** The daemon's refresh (or realignment), expected to fail: the error it throws. */
const daemonRefresh = async (box: CliSandbox, cwd: string, rejectedProcessToken?: string) => {
  const error = await timeout(
    refreshProcessToken({ home: box.home, cwd, env: box.env, minValidityMs: 60_000, rejectedProcessToken }).then(
      () => null,
      (thrown: unknown) => thrown,
    ),
    20_000,
    'the daemon refresh',
  )
  assert.instance(error, EngineError)
  return error as EngineError
}

test("the daemon's process-token refresh meets a refused registration answer: thrown, marked, the answer's token revoked", async () => {
  const { box, file, before, since } = await loggedIn()
  const stored = JSON.parse(before!.toString('utf8'))
  spoilRegistration((a) => JSON.stringify({ ...a.json(), process_id: '../x' }))
  const error = await daemonRefresh(box, box.workspace, stored.process_token)
  assert.equal([error.kind, error.reason], ['bad_response', 'registrationProcessId'])
  assertOnlyMarked(file, before)
  await assertStatusSaysReplaced(box)
  assert.ok((await assertNoLiveTokenUnheld(ref, hostile, [box], since)) >= 1)
  // The next refresh, with a server that answers well, registers again and the marker goes.
  hostile.reset()
  const again = await timeout(refreshProcessToken({ home: box.home, cwd: box.workspace, env: box.env, minValidityMs: 60_000 }), 20_000, 'refresh again')
  assert.is(again?.refreshed, true)
  assert.is(JSON.parse(readFileSync(file, 'utf8')).process_token_replaced_at, undefined)
})

test("the daemon's realignment in another workspace meets a refused registration answer: the global file untouched, no live token unheld", async () => {
  const { box, file, before, since } = await loggedIn()
  const other = join(box.workspace, '..', 'other-project')
  mkdirSync(join(other, '.git'), { recursive: true })
  // A token the answer carries intact is revoked. (One whose value is itself spoiled cannot be
  // named to the server; a login revokes its grant, which ends it, but the daemon's login stays.)
  spoilRegistration((a) => JSON.stringify({ ...a.json(), expires_at: '2026-13-45' }))
  const error = await daemonRefresh(box, other)
  assert.is(error.kind, 'bad_response')
  assert.equal(bytesOf(file), before, 'the global login is not the one registered')
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('after a lost registration answer, the next plain login registers again and the marker goes', async () => {
  const { box, file, since } = await loggedIn()
  spoilRegistration((a) => JSON.stringify({ ...a.json(), expires_at: '2026-13-45' }))
  assertOneLineError(await login(box, ['--force']), 6)
  hostile.reset()
  const registrations = hostile.seen('POST /omicos/processes').length
  const again = await login(box)
  assert.is(again.code, 0, again.stderr)
  assert.not.match(again.stdout, /already logged in/i)
  assert.is(hostile.seen('POST /omicos/processes').length, registrations + 1, 'registered again')
  const stored = leaks.readCredentials(file) as unknown as Record<string, unknown>
  assert.is(stored.process_token_replaced_at, undefined, 'the marker is gone with the token it spoke of')
  const check = await timeout(
    fetch(`${ref.server.url}/omicos/processes/current`, { headers: { authorization: `Bearer ${stored.process_token}` } }),
    10_000,
    'checking the process token',
  )
  assert.is(check.status, 200, 'the new process token works')
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('a refused registration answer while the revocation endpoint is down: the tokens it carried are queued', async () => {
  const { box, file, before, since } = await loggedIn()
  spoilRegistration((a) => `{"__proto__":${a.text}}`)
  hostile.on('POST /token/revocation', ({ res }) => sendJson(res, 400, { error: 'temporarily_unavailable' }))
  const result = await login(box, ['--force'])
  assertOneLineError(result, 6, /sent no usable process_token/)
  assertNoSecretIn(result)
  assertOnlyMarked(file, before)
  const queue = join(box.home, 'revocations.json')
  assert.ok(existsSync(queue), 'the revocation queue holds them')
  const queued = JSON.parse(readFileSync(queue, 'utf8')).entries.flatMap((e: { tokens: string[] }) => e.tokens)
  assert.ok(queued.length >= 3, 'the refresh, user and process tokens of the failed login')
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('the same after approval in `cli login`: exit 6, marked, no live token unheld', async () => {
  const { box, file, before, since } = await loggedIn()
  spoilRegistration((a) => JSON.stringify({ ...a.json(), process_token: `${a.json().process_token}\u0000` }))
  const cli = leaks.start(['cli', 'login', '--force', '--server', hostile.url], { cwd: box.workspace, env: box.env, timeoutMs: 40_000 })
  const code = (await cli.waitFor(PAIRING_CODE))[1]!
  await timeout(decidePairing(ref.dataDir, code, { approve: true, email: ADA.email }), 10_000, 'approving')
  const result = await timeout(cli.done, 40_000, 'omicos cli login to finish')
  // The pairing screen comes first on stderr; the one error line is the last.
  assert.is(result.code, 6, result.stderr)
  const errors = result.stderr.split('\n').filter((line) => line.startsWith('error: '))
  assert.is(errors.length, 1, result.stderr)
  assert.is(result.stderr.split('\n').filter(Boolean).at(-1), errors[0])
  assert.match(errors[0]!, /sent no usable process_token/)
  assert.not.match(result.stderr, /\n\s+at |Error: /)
  assert.ok(findSecret([result.stdout, result.stderr], secretsSeen(hostile, { deviceCodes: false })) === null)
  assertOnlyMarked(file, before)
  await assertStatusSaysReplaced(box)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
