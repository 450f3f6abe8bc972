import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { logout } from '../../machines/index.js'
import { checkSnapshot, files, run, scripted, secrets, settle, StubEffectError, TimerClock, unreachable, type Answer } from '../support/machine-harness.js'

const current = {
  accountId: 'acct_42',
  email: 'you@example.com',
  server: 'https://auth.omicos.cn',
  tokens: [secrets.userToken, secrets.refreshToken, secrets.processToken],
}

const start = (script: Record<string, Answer[]>, revokeTimeoutMs?: number) => {
  const clock = new TimerClock()
  const fx = scripted(
    {
      resolveAccount: [{ ok: current }],
      revokeTokens: [{ ok: undefined }],
      deleteFiles: [{ ok: { removed: files } }],
      ...script,
    },
    clock,
  )
  return { ...run(logout, fx.actors, { input: revokeTimeoutMs === undefined ? {} : { revokeTimeoutMs }, clock }), fx }
}

test('logged in: revokes, deletes that account\'s files, logged out', async () => {
  const out = start({})
  assert.equal(await out.done(), { kind: 'loggedOut', email: 'you@example.com', removed: files, revoked: true })
  assert.equal(out.states, ['resolving', 'revoking', 'deleting', 'loggedOut'])
  assert.equal(out.fx.calls.revokeTokens, [{ server: 'https://auth.omicos.cn', tokens: current.tokens }])
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
  assert.equal(await out.done(), { kind: 'loggedOut', email: 'you@example.com', removed: files, revoked: false })
  assert.equal(out.states, ['resolving', 'revoking', 'deleting', 'loggedOut'])
  assert.is(out.snapshot().context.revokeProblem, 'could not reach https://auth.omicos.cn')
})

test('revocation hangs: after revokeTimeoutMs on the clock the files are deleted anyway', async () => {
  const out = start({ revokeTokens: ['hang'] }, 2_000)
  await settle()
  await out.advance(1_999)
  assert.equal(out.states, ['resolving', 'revoking'])
  assert.equal(out.fx.calls.deleteFiles, [])
  await out.advance(1)
  assert.equal(await out.done(), { kind: 'loggedOut', email: 'you@example.com', removed: files, revoked: false })
  assert.match(out.snapshot().context.revokeProblem ?? '', 'within 2000 ms')
  assert.equal(out.fx.times.deleteFiles, [2_000])
  assert.is(
    checkSnapshot('logout: revoke times out', { states: out.states, context: out.snapshot().context }),
    null,
  )
})

test('the default revocation timeout is 3 s', async () => {
  const out = start({ revokeTokens: ['hang'] })
  await settle()
  await out.advance(3_000)
  assert.equal(out.fx.times.deleteFiles, [3_000])
})

test('deleting fails: failed with the effect\'s local_files message', async () => {
  const problem = new StubEffectError('local_files', 'cannot remove /work/ws1/.omicos/cloud_login.json: permission denied')
  const out = start({ deleteFiles: [{ fail: problem }] })
  assert.equal(await out.done(), { kind: 'failed', failure: { kind: 'local_files', message: problem.message } })
  assert.equal(out.states, ['resolving', 'revoking', 'deleting', 'failed'])
})

test('the account cannot be read: failed', async () => {
  const out = start({ resolveAccount: [{ fail: new StubEffectError('local_files', 'cloud_login.json is not valid JSON') }] })
  const output = (await out.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'local_files')
  assert.equal(out.states, ['resolving', 'failed'])
})

test.run()
