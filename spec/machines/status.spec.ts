import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { status, type StatusReport } from '../../machines/index.js'
import { account, checkSnapshot, EPOCH, run, scripted, settle, StubEffectError, TimerClock, unreachable, type Answer } from '../support/machine-harness.js'

const report: StatusReport = {
  loggedIn: true,
  configPath: '/home/you/.omicos/cloud_login.json',
  activePath: '/work/ws1/.omicos/cloud_login.json',
  activeSource: 'workspace',
  email: 'you@example.com',
  accountId: 'acct_42',
  processName: 'omics',
  processId: 'local-ws1',
  server: 'https://auth.omicos.cn',
  authMethod: 'device',
  loggedInAt: '2024-05-01T10:00:00.000Z',
}
const nobody: StatusReport = { loggedIn: false, configPath: report.configPath, activePath: null, activeSource: null }

const start = (online: boolean, script: Record<string, Answer[]>, expectedServer?: string) => {
  const clock = new TimerClock()
  clock.set(EPOCH)
  const fx = scripted({ readStatus: [{ ok: report }], verifyOnline: [], ...script }, clock)
  return { ...run(status, fx.actors, { input: { online, expectedServer }, clock }), fx }
}

test('offline: reads the files, never asks the server', async () => {
  const check = start(false, {})
  assert.equal(await check.done(), { kind: 'reported', report, verified: null })
  assert.equal(check.states, ['reading', 'reported'])
  assert.equal(check.fx.calls.verifyOnline, [])
})

test('online and the token works: verified valid', async () => {
  const check = start(true, { verifyOnline: [{ ok: { kind: 'valid', account } }] })
  assert.equal(await check.done(), { kind: 'reported', report, verified: { kind: 'valid', account } })
  assert.equal(check.states, ['reading', 'verifying', 'reported'])
  assert.equal(check.fx.calls.verifyOnline, [{ server: 'https://auth.omicos.cn', path: report.activePath }])
  assert.is(checkSnapshot('status: online valid', { states: check.states, context: check.snapshot().context }), null)
})

test('online and the token was revoked: verified invalid', async () => {
  const verdict = { kind: 'invalid', message: 'the server no longer accepts this login: run omicos login again' }
  const check = start(true, { verifyOnline: [{ ok: verdict }] })
  assert.equal(await check.done(), { kind: 'reported', report, verified: verdict })
})

test('online but nobody logged in: reported without asking the server', async () => {
  const check = start(true, { readStatus: [{ ok: nobody }] })
  assert.equal(await check.done(), { kind: 'reported', report: nobody, verified: null })
  assert.equal(check.states, ['reading', 'reported'])
  assert.equal(check.fx.calls.verifyOnline, [])
})

test('the files cannot be read: failed with local_files', async () => {
  const problem = new StubEffectError('local_files', '/home/you/.omicos/cloud_login.json is readable by others (mode 644): chmod 600 it')
  const check = start(false, { readStatus: [{ fail: problem }] })
  assert.equal(await check.done(), { kind: 'failed', failure: { kind: 'local_files', message: problem.message } })
  assert.equal(check.states, ['reading', 'failed'])
})

test('online and the server cannot be reached: failed with unreachable', async () => {
  const check = start(true, { verifyOnline: [{ fail: unreachable() }] })
  const output = (await check.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'unreachable')
  assert.equal(check.states, ['reading', 'verifying', 'failed'])
})

test('a login on another server than the one expected: failed (usage, wrongServer), the server never asked', async () => {
  const check = start(true, {}, 'http://127.0.0.1:4000')
  const output = (await check.done()) as { kind: string; failure: { kind: string; reason?: string } }
  assert.is(output.failure.kind, 'usage')
  assert.is(output.failure.reason, 'wrongServer')
  assert.equal(check.states, ['reading', 'failed'])
  assert.equal(check.fx.calls.verifyOnline, [])
})

test('nobody logged in and a server expected: reported (nothing to compare)', async () => {
  const check = start(true, { readStatus: [{ ok: nobody }] }, 'http://127.0.0.1:4000')
  assert.equal(await check.done(), { kind: 'reported', report: nobody, verified: null })
})

test('user.cancel while the server is asked: failed (cancelled) at once', async () => {
  const check = start(true, { verifyOnline: ['hang'] })
  await settle()
  check.actor.send({ type: 'user.cancel' })
  const output = (await check.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'cancelled')
  assert.equal(check.states, ['reading', 'verifying', 'failed'])
})

test('the expected server is the login\'s: verified as usual', async () => {
  const check = start(true, { verifyOnline: [{ ok: { kind: 'valid', account } }] }, 'https://auth.omicos.cn')
  assert.equal(await check.done(), { kind: 'reported', report, verified: { kind: 'valid', account } })
  const offline = start(false, {}, 'http://127.0.0.1:4000')
  const output = (await offline.done()) as { failure: { message: string; reason?: string } }
  assert.equal(output.failure, { kind: 'usage', message: 'the login here is on https://auth.omicos.cn, not on http://127.0.0.1:4000', reason: 'wrongServer' })
})

test('verifies the global file when no workspace file is active', async () => {
  const globalOnly = { ...report, activePath: null, activeSource: null }
  const check = start(true, { readStatus: [{ ok: globalOnly }], verifyOnline: [{ ok: { kind: 'valid', account } }] })
  await check.done()
  assert.equal(check.fx.calls.verifyOnline, [{ server: 'https://auth.omicos.cn', path: report.configPath }])
})

test('user.cancel while the files are read: failed (cancelled) at once', async () => {
  const check = start(false, { readStatus: ['hang'] })
  await settle()
  check.actor.send({ type: 'user.cancel' })
  assert.equal(await check.done(), { kind: 'failed', failure: { kind: 'cancelled', message: 'status cancelled' } })
  assert.equal(check.states, ['reading', 'failed'])
})

test.run()
