import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { described, failure, statusMachine, type Failure, type StatusReport } from '../../machines/index.js'
import { account, line, checkSnapshot, EPOCH, run, scripted, settle, StubEffectError, TestClock, unreachable, type Answer } from '../support/machine-harness.js'

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
  logins: [],
  sweptTemps: [],
  twinsDiffer: false,
}
const nobody: StatusReport = { loggedIn: false, configPath: report.configPath, activePath: null, activeSource: null, logins: [], sweptTemps: [], twinsDiffer: false }

const start = (online: boolean, script: Record<string, Answer[]>, expectedServer?: string) => {
  const clock = new TestClock(EPOCH)
  const fx = scripted({ readStatus: [{ ok: report }], verifyOnline: [], renewLogin: [], ...script }, clock)
  return { ...run(statusMachine, fx.actors, { input: { online, expectedServer }, clock }), fx }
}

test('offline: reads the files, never asks the server', async () => {
  const check = start(false, {})
  assert.equal(await check.done(), { kind: 'reported', report, verified: null, renewed: false })
  assert.equal(check.states, ['reading', 'reported'])
  assert.equal(check.fx.calls.verifyOnline, [])
})

test('online and the token works: verified valid', async () => {
  const check = start(true, { verifyOnline: [{ ok: { kind: 'valid', account } }] })
  assert.equal(await check.done(), { kind: 'reported', report, verified: { kind: 'valid', account }, renewed: false })
  assert.equal(check.states, ['reading', 'verifying', 'reported'])
  assert.equal(check.fx.calls.verifyOnline, [{ server: 'https://auth.omicos.cn', path: report.activePath }])
  assert.is(checkSnapshot('status: online valid', { states: check.states, context: check.snapshot().context }), null)
})

test('online and the token was rejected: renewed with the refresh token, verified again, reported renewed', async () => {
  const check = start(true, {
    verifyOnline: [{ ok: { kind: 'invalid', failure: failure('loginRejected', { host: 'auth.omicos.cn', status: 401 }) } }, { ok: { kind: 'valid', account } }],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: Date.parse('2030-01-01T00:00:00Z') } }],
  })
  const output = (await check.done()) as { kind: string; renewed: boolean; verified: { kind: string }; report: { userTokenExpiresAt: string } }
  assert.is(output.kind, 'reported')
  assert.is(output.renewed, true)
  assert.is(output.verified.kind, 'valid')
  assert.is(output.report.userTokenExpiresAt, '2030-01-01T00:00:00.000Z')
  assert.equal(check.states, ['reading', 'verifying', 'renewing', 'verifying', 'reported'])
  assert.equal(check.fx.calls.renewLogin, [{ server: 'https://auth.omicos.cn', path: report.activePath }])
})

test('online and rejected, and the refresh token is rejected too: failed, refused (renewRejected): log in again', async () => {
  const check = start(true, {
    verifyOnline: [{ ok: { kind: 'invalid', failure: failure('loginRejected', { host: 'auth.omicos.cn', status: 401 }) } }],
    renewLogin: [{ ok: { kind: 'rejected' } }],
  })
  const output = (await check.done()) as { kind: string; failure: { kind: string; reason?: string } }
  assert.is(output.failure.kind, 'refused')
  assert.is(output.failure.reason, 'renewRejected')
  assert.equal(check.states, ['reading', 'verifying', 'renewing', 'failed'])
})

test('a token within a day of its end is renewed even though it works; once, not again after the renewal', async () => {
  const now = Date.parse('2026-12-02T09:00:00Z')
  const ending = { ...report, userTokenExpiresAt: new Date(now + 3_600_000).toISOString() }
  const check = start(true, {
    readStatus: [{ ok: ending }],
    verifyOnline: [{ ok: { kind: 'valid', account, at: now } }, { ok: { kind: 'valid', account, at: now } }],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: now + 1_800_000 } }],
  })
  const output = (await check.done()) as { kind: string; renewed: boolean }
  assert.is(output.renewed, true)
  assert.equal(check.states, ['reading', 'verifying', 'renewing', 'verifying', 'reported'])
  const fresh = start(true, {
    readStatus: [{ ok: { ...report, userTokenExpiresAt: new Date(now + 2 * 86_400_000).toISOString() } }],
    verifyOnline: [{ ok: { kind: 'valid', account, at: now } }],
  })
  assert.is(((await fresh.done()) as { renewed: boolean }).renewed, false, 'two days left: not renewed')
})

test('online but nobody logged in: reported without asking the server', async () => {
  const check = start(true, { readStatus: [{ ok: nobody }] })
  assert.equal(await check.done(), { kind: 'reported', report: nobody, verified: null, renewed: false })
  assert.equal(check.states, ['reading', 'reported'])
  assert.equal(check.fx.calls.verifyOnline, [])
})

test('the files cannot be read: failed with local_files', async () => {
  const problem = new StubEffectError('local_files', '/home/you/.omicos/cloud_login.json is readable by others (mode 644): chmod 600 it')
  const check = start(false, { readStatus: [{ fail: problem }] })
  assert.equal(await check.done(), { kind: 'failed', failure: described('local_files', problem.message) })
  assert.equal(check.states, ['reading', 'failed'])
})

test('online and the server cannot be reached: failed with unreachable', async () => {
  const check = start(true, { verifyOnline: [{ fail: unreachable() }] })
  const output = (await check.done()) as { failure: { kind: string }; report?: StatusReport }
  assert.is(output.failure.kind, 'unreachable')
  assert.equal(output.report, report, 'what the files said is kept')
  assert.equal(check.states, ['reading', 'verifying', 'failed'])
})

test("online and the server answers for another account: failed (bad_response, accountMismatch), the files' report kept", async () => {
  const check = start(true, { verifyOnline: [{ ok: { kind: 'valid', account: { ...account, accountId: 'acct_eve', email: 'eve@example.com' }, at: EPOCH } }] })
  const output = (await check.done()) as { failure: { kind: string; reason: string; details: unknown }; report: StatusReport }
  assert.equal([output.failure.kind, output.failure.reason], ['bad_response', 'accountMismatch'])
  assert.equal(output.failure.details, { storedEmail: 'you@example.com', answeredEmail: 'eve@example.com' })
  assert.equal(output.report, report)
  assert.equal(check.fx.calls.renewLogin, [], "another account's token is not renewed")
  // The same account, its email in another case: verified as usual.
  const cased = start(true, { verifyOnline: [{ ok: { kind: 'valid', account: { ...account, email: 'YOU@example.com' }, at: EPOCH } }] })
  assert.is(((await cased.done()) as { kind: string }).kind, 'reported')
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
  assert.equal(await check.done(), { kind: 'reported', report: nobody, verified: null, renewed: false })
})

test('user.cancel while the server is asked: failed (cancelled) at once', async () => {
  const check = start(true, { verifyOnline: ['hang'] })
  await settle()
  check.actor.send({ type: 'user.cancel' })
  const output = (await check.done()) as { failure: { kind: string } }
  assert.is(output.failure.kind, 'cancelled')
  assert.equal(check.states, ['reading', 'verifying', 'failed'])
})

test("the expected server is the login's: verified as usual", async () => {
  const check = start(true, { verifyOnline: [{ ok: { kind: 'valid', account } }] }, 'https://auth.omicos.cn')
  assert.equal(await check.done(), { kind: 'reported', report, verified: { kind: 'valid', account }, renewed: false })
  const offline = start(false, {}, 'http://127.0.0.1:4000')
  const output = (await offline.done()) as { failure: Failure }
  assert.equal(output.failure, failure('wrongServer', { here: 'https://auth.omicos.cn', asked: 'http://127.0.0.1:4000' }))
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
  assert.equal(await check.done(), { kind: 'failed', failure: failure('cancelled', { flow: 'status' }) })
  assert.equal(check.states, ['reading', 'failed'])
})

test("renewal is judged on the verdict's time: none, or no end date, is not renewed; an end exactly a day away is", async () => {
  const ending = { ...report, userTokenExpiresAt: new Date(EPOCH + 3_600_000).toISOString() }
  const timeless = start(true, { readStatus: [{ ok: ending }], verifyOnline: [{ ok: { kind: 'valid', account } }] })
  assert.is(((await timeless.done()) as { renewed: boolean }).renewed, false, 'no time on the verdict: not renewed')
  const endless = start(true, { readStatus: [{ ok: { ...report, userTokenExpiresAt: null } }], verifyOnline: [{ ok: { kind: 'valid', account, at: EPOCH } }] })
  assert.is(((await endless.done()) as { renewed: boolean }).renewed, false, 'no end date: not renewed')
  const boundary = start(true, {
    readStatus: [{ ok: { ...report, userTokenExpiresAt: new Date(EPOCH + 86_400_000).toISOString() } }],
    verifyOnline: [{ ok: { kind: 'valid', account, at: EPOCH } }, { ok: { kind: 'valid', account, at: EPOCH } }],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: null } }],
  })
  const output = (await boundary.done()) as { renewed: boolean; report: StatusReport }
  assert.is(output.renewed, true, 'exactly a day left: renewed')
  assert.is(output.report.userTokenExpiresAt, null, 'a renewal without an end date leaves none')
})

test('what the context holds while renewing and verifying again: the first verdict, kept only when it was valid', async () => {
  const ending = { ...report, userTokenExpiresAt: new Date(EPOCH + 3_600_000).toISOString() }
  const first = { kind: 'valid', account, at: EPOCH }
  const near = start(true, {
    readStatus: [{ ok: ending }],
    verifyOnline: [{ ok: first }, 'hang'],
    renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH + 86_400_000 * 30 } }],
  })
  await settle()
  assert.equal(near.states, ['reading', 'verifying', 'renewing', 'verifying'])
  assert.equal(near.snapshot().context.verified, first, 'a valid verdict is kept while verifying again')
  assert.is(near.snapshot().context.report.userTokenExpiresAt, new Date(EPOCH + 86_400_000 * 30).toISOString())
  const invalid = { kind: 'invalid', failure: failure('loginRejected', { host: 'auth.omicos.cn', status: 401 }), at: EPOCH }
  const held = start(true, { verifyOnline: [{ ok: invalid }], renewLogin: ['hang'] })
  await settle()
  assert.equal(held.snapshot().context.verified, invalid, 'while renewing, the verdict that asked for it')
  const rejected = start(true, { verifyOnline: [{ ok: invalid }, 'hang'], renewLogin: [{ ok: { kind: 'renewed', userTokenExpiresAt: EPOCH } }] })
  await settle()
  assert.is(rejected.snapshot().context.verified, null, 'a rejection is not kept once renewed')
  const refused = start(true, { verifyOnline: [{ ok: invalid }], renewLogin: [{ ok: { kind: 'rejected' } }] })
  const output = (await refused.done()) as { failure: Failure }
  assert.equal(output.failure, failure('renewRejected', { host: null }))
  assert.is(line(output.failure), 'the server no longer accepts this login and it could not be renewed: log in again (`omicos login` or `omicos cli login`)')
})

test.run()
