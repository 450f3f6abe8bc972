import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { described, failure, logoutMachine, type Failure } from '../../machines/index.js'
import {
  line,
  checkSnapshot,
  EPOCH,
  files,
  run,
  scripted,
  secrets,
  settle,
  StubEffectError,
  TestClock,
  unreachable,
  type Answer,
} from '../support/machine-harness.js'

const current = {
  accountId: 'acct_42',
  email: 'you@example.com',
  server: 'https://auth.omicos.cn',
  tokens: [secrets.userToken, secrets.refreshToken, secrets.processToken],
}

const start = (script: Record<string, Answer[]>, revokeTimeoutMs?: number, expectedServer?: string) => {
  const clock = new TestClock(EPOCH)
  const fx = scripted(
    {
      resolveAccount: [{ ok: current }],
      revokeTokens: [{ ok: undefined }],
      deleteFiles: [{ ok: { removed: files } }],
      ...script,
    },
    clock,
  )
  return { ...run(logoutMachine, fx.actors, { input: { revokeTimeoutMs, expectedServer }, clock }), fx }
}

test("logged in: revokes, deletes that account's files, logged out", async () => {
  const out = start({})
  assert.equal(await out.done(), { kind: 'loggedOut', email: 'you@example.com', server: 'https://auth.omicos.cn', removed: files, revoked: true })
  assert.equal(out.states, ['resolving', 'revoking', 'deleting', 'loggedOut'])
  assert.equal(out.fx.calls.revokeTokens, [{ batches: [{ server: 'https://auth.omicos.cn', tokens: current.tokens }] }])
  assert.equal(out.fx.calls.deleteFiles, [{ accountId: 'acct_42' }])
  assert.equal(out.snapshot().context.account?.tokens, [], 'tokens are dropped once revocation is over')
})

test('nobody logged in: notLoggedIn, nothing revoked or deleted', async () => {
  const out = start({ resolveAccount: [{ ok: null }] })
  assert.equal(await out.done(), { kind: 'notLoggedIn' })
  assert.equal(out.states, ['resolving', 'notLoggedIn'])
  assert.equal(out.fx.calls.revokeTokens, [])
  assert.equal(out.fx.calls.deleteFiles, [])
})

test('revocation fails: the files are deleted anyway, revoked: false', async () => {
  const out = start({ revokeTokens: [{ fail: unreachable('could not reach https://auth.omicos.cn') }] })
  assert.equal(await out.done(), { kind: 'loggedOut', email: 'you@example.com', server: 'https://auth.omicos.cn', removed: files, revoked: false })
  assert.equal(out.states, ['resolving', 'revoking', 'deleting', 'loggedOut'])
  assert.equal(out.snapshot().context.revokeProblem, described('unreachable', 'could not reach https://auth.omicos.cn'))
})

test('revocation hangs: after revokeTimeoutMs on the clock the files are deleted anyway', async () => {
  const out = start({ revokeTokens: ['hang'] }, 2_000)
  await settle()
  await out.advance(1_999)
  assert.equal(out.states, ['resolving', 'revoking'])
  assert.equal(out.fx.calls.deleteFiles, [])
  await out.advance(1)
  assert.equal(await out.done(), { kind: 'loggedOut', email: 'you@example.com', server: 'https://auth.omicos.cn', removed: files, revoked: false })
  assert.equal(out.snapshot().context.revokeProblem, failure('revocationTimeout', { afterMs: 2000 }))
  assert.is(line(out.snapshot().context.revokeProblem!), 'the server did not confirm the revocation within 2000 ms')
  assert.equal(out.fx.times.deleteFiles, [EPOCH + 2_000])
  assert.is(checkSnapshot('logout: revoke times out', { states: out.states, context: out.snapshot().context }), null)
})

test('the default revocation timeout is 3 s', async () => {
  const out = start({ revokeTokens: ['hang'] })
  await settle()
  await out.advance(2_999)
  assert.equal(out.fx.times.deleteFiles, [])
  await out.advance(1)
  assert.equal(out.fx.times.deleteFiles, [EPOCH + 3_000])
})

test("deleting fails: failed with the effect's local_files message", async () => {
  const problem = new StubEffectError('local_files', 'cannot remove /work/ws1/.omicos/cloud_login.json: permission denied')
  const out = start({ deleteFiles: [{ fail: problem }] })
  assert.equal(await out.done(), { kind: 'failed', failure: described('local_files', problem.message) })
  assert.equal(out.states, ['resolving', 'revoking', 'deleting', 'failed'])
})

test('the account cannot be read: failed', async () => {
  const out = start({ resolveAccount: [{ fail: new StubEffectError('local_files', 'cloud_login.json is not valid JSON') }] })
  const output = (await out.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'local_files')
  assert.equal(out.states, ['resolving', 'failed'])
})

test('a login on another server than the one expected: failed (usage, wrongServer), nothing revoked or deleted', async () => {
  const out = start({}, undefined, 'http://127.0.0.1:4000')
  const output = (await out.done()) as { kind: string; failure: { kind: string; reason?: string } }
  assert.is(output.kind, 'failed')
  assert.is(output.failure.kind, 'usage')
  assert.is(output.failure.reason, 'wrongServer')
  assert.equal(out.states, ['resolving', 'failed'])
  assert.equal(out.fx.calls.revokeTokens, [])
  assert.equal(out.fx.calls.deleteFiles, [])
})

test("the expected server is the login's: logged out as usual", async () => {
  const out = start({}, undefined, 'https://auth.omicos.cn')
  assert.is(((await out.done()) as { kind: string }).kind, 'loggedOut')
})

test('user.cancel while revoking hangs: failed (cancelled) at once, nothing deleted, no token left in context', async () => {
  const out = start({ revokeTokens: ['hang'] })
  await settle()
  out.actor.send({ type: 'user.cancel' })
  const output = (await out.done()) as { kind: string; failure: { kind: string } }
  assert.is(output.failure.kind, 'cancelled')
  assert.equal(out.states, ['resolving', 'revoking', 'failed'])
  assert.equal(out.fx.calls.deleteFiles, [])
  assert.equal(out.snapshot().context.account?.tokens, [])
})

test('user.cancel while deleting: the delete finishes (files are never half gone)', async () => {
  const out = start({ deleteFiles: [() => ({ ok: { removed: files } })] })
  await settle()
  assert.is(((await out.done()) as { kind: string }).kind, 'loggedOut')
  const slow = start({ deleteFiles: ['hang'] })
  await settle()
  slow.actor.send({ type: 'user.cancel' })
  await settle()
  assert.equal(slow.states.at(-1), 'deleting', 'a cancel does not interrupt the delete')
})

test('user.cancel while the account is read: failed (cancelled), nothing revoked or deleted', async () => {
  const out = start({ resolveAccount: ['hang'] })
  await settle()
  out.actor.send({ type: 'user.cancel' })
  assert.equal(await out.done(), { kind: 'failed', failure: failure('cancelled', { flow: 'logout' }) })
  assert.equal(out.fx.calls.revokeTokens, [])
  assert.equal(out.fx.calls.deleteFiles, [])
  assert.equal(out.clock.timers(), [])
})

test('user.cancel while revoking: no timer left, nothing deleted later', async () => {
  const out = start({ revokeTokens: ['hang'] })
  await settle()
  out.actor.send({ type: 'user.cancel' })
  await out.done()
  assert.equal(out.clock.timers(), [])
  await out.advance(10_000)
  assert.equal(out.fx.calls.deleteFiles, [])
})

test('the refusal names both servers; no token stays in context after any ending', async () => {
  const out = start({}, undefined, 'http://127.0.0.1:4000')
  const output = (await out.done()) as { failure: Failure }
  assert.equal(output.failure, failure('wrongServer', { here: 'https://auth.omicos.cn', asked: 'http://127.0.0.1:4000' }))
  for (const script of [{}, { revokeTokens: [{ fail: unreachable() }] }, { deleteFiles: [{ fail: new StubEffectError('local_files', 'busy') }] }] as Record<
    string,
    Answer[]
  >[]) {
    const ended = start(script)
    await ended.done()
    const text = JSON.stringify(ended.snapshot().context)
    for (const secret of [secrets.userToken, secrets.refreshToken, secrets.processToken]) assert.not.ok(text.includes(secret))
  }
})

test.run()
