// Restoring a persisted device login (machines/restore.ts) on a simulated clock, written with
// the package's own test kit (omicos-auth/testing): restored while it waits, while a poll is in
// flight, after a slow_down, and after the deadline. Never a poll sooner than the interval
// after the last poll the snapshot records; expired at once when late; no event to send.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor, type Snapshot } from 'xstate'
import { canRestore, deviceGrantMachine, provideDeviceLogin, restoreLogin, type LoginOutput } from '../../machines/index.js'
import { asCredentialRecord, runResumableLogin, secretSafeInspector, type SnapshotStore } from '../../effects/client/index.js'
import { engineError } from '../../effects/client/engine-error.js'
import { advanceClock, drive, hang, stateName, TestClock, within } from '../../testing/index.js'
import { DEVICE_CODE, EPOCH, granted, input, pending, scriptDeviceLogin, slowDown, type Poll } from '../support/scripted-device-login.js'

/** A device login run from EPOCH for `ms` with `polls`, persisted through JSON as a front end keeps it. */
const persistedAfter = async (ms: number, polls: Poll[]): Promise<Snapshot<unknown>> => {
  const clock = new TestClock(EPOCH)
  const fx = scriptDeviceLogin(clock, polls)
  const driver = drive(createActor(provideDeviceLogin(fx.effects), { input, clock }), clock)
  await driver.start()
  await driver.advance(ms)
  const persisted = JSON.parse(JSON.stringify(driver.actor.getPersistedSnapshot())) as Snapshot<unknown>
  driver.actor.stop()
  assert.ok(canRestore(persisted), 'a login that waits for approval can be restored')
  return persisted
}

/** A front end's store of one kept login, in memory, kept through JSON as a page keeps it. */
const keptIn = (initial: Snapshot<unknown> | null = null) => {
  let value = initial
  const store: SnapshotStore = {
    read: async () => value,
    write: async (snapshot) => void (value = JSON.parse(JSON.stringify(snapshot)) as Snapshot<unknown>),
    remove: async () => void (value = null),
  }
  return { store, kept: () => value }
}

/** Restores `persisted` at EPOCH + `at` on a new clock; nothing but restoreLogin is asked of the caller. */
const restoreAt = async (persisted: Snapshot<unknown>, at: number, polls: Poll[]) => {
  const clock = new TestClock(EPOCH + at)
  const fx = scriptDeviceLogin(clock, polls, { checkExisting: [], requestCode: [] })
  const driver = drive(restoreLogin(provideDeviceLogin(fx.effects), persisted, { now: clock.now(), clock }), clock)
  await driver.start()
  const since = () => fx.times.pollToken.map((t) => t - EPOCH)
  /** the clock to EPOCH + `ms`: no poll a millisecond sooner, exactly one then */
  const pollsAt = async (ms: number) => {
    const before = fx.calls.pollToken.length
    await driver.advance(EPOCH + ms - 1 - clock.now())
    assert.is(fx.calls.pollToken.length, before, `no poll before ${ms} ms`)
    await driver.advance(1)
    assert.is(fx.calls.pollToken.length, before + 1, `a poll at ${ms} ms`)
  }
  return { driver, fx, since, pollsAt }
}

test('restored while waiting: the poll due at 10 s goes at 10 s, not sooner, not an interval after the restore', async () => {
  const persisted = await persistedAfter(7_000, [pending])
  const resumed = await restoreAt(persisted, 8_000, [pending, granted])
  assert.equal(resumed.fx.calls.requestCode, [], 'the same code, no new one')
  await resumed.pollsAt(10_000)
  assert.equal(resumed.fx.calls.pollToken[0], { server: input.server, deviceCode: DEVICE_CODE })
  await resumed.pollsAt(15_000)
  const output = await resumed.driver.finish()
  assert.is(output.kind, 'loggedIn')
  assert.equal(resumed.driver.errors, [])
})

test('restored long after the poll was due: it goes at once, then every interval', async () => {
  const persisted = await persistedAfter(7_000, [pending])
  const resumed = await restoreAt(persisted, 120_000, [pending, pending, granted])
  await resumed.driver.advance(0)
  assert.equal(resumed.since(), [120_000])
  await resumed.pollsAt(125_000)
  await resumed.pollsAt(130_000)
})

test('restored while a poll is in flight: the lost poll is not sent again at start; the next goes an interval after it', async () => {
  // The poll at 10 s never answers; the snapshot is taken at 12 s, while it is out.
  const persisted = await persistedAfter(12_000, [pending, hang])
  const value = (persisted as unknown as { children: { grant: { snapshot: { value: unknown } } } }).children.grant.snapshot.value
  assert.equal(value, { awaitingApproval: 'polling' })
  const resumed = await restoreAt(persisted, 12_000, [pending, granted])
  assert.equal(resumed.fx.calls.pollToken, [], 'nothing sent when the restored actor starts')
  await resumed.pollsAt(15_000)
  await resumed.pollsAt(20_000)
  assert.is((await resumed.driver.finish()).kind, 'loggedIn')
})

test('restored after slow_down: the grown interval holds from the last poll (5 s + 10 s)', async () => {
  const persisted = await persistedAfter(6_000, [slowDown])
  const resumed = await restoreAt(persisted, 7_000, [pending, granted])
  await resumed.pollsAt(15_000)
  await resumed.pollsAt(25_000)
  assert.is((await resumed.driver.finish()).kind, 'loggedIn')
})

test('restored after slow_down with a poll in flight: the next poll an interval (10 s) after the lost one', async () => {
  const persisted = await persistedAfter(16_000, [slowDown, hang])
  const resumed = await restoreAt(persisted, 16_000, [granted])
  await resumed.pollsAt(25_000)
})

for (const [what, ms, polls] of [
  ['waiting', 7_000, [pending]],
  ['with a poll in flight', 12_000, [pending, hang]],
] as const) {
  test(`restored ${what} at or after the deadline: expired at once, no poll, no timer left`, async () => {
    for (const at of [600_000, 900_000]) {
      const persisted = await persistedAfter(ms, [...polls])
      const resumed = await restoreAt(persisted, at, [])
      const snapshot = resumed.driver.actor.getSnapshot()
      assert.is(snapshot.status, 'done')
      const output = snapshot.output as LoginOutput
      assert.equal(output.kind === 'failed' ? [output.failure.kind, output.failure.reason] : output.kind, ['expired', 'pairingExpired'])
      assert.equal(resumed.fx.calls.pollToken, [])
      assert.is(resumed.driver.clock.pending(), 0)
    }
  })
}

test('restored just before the deadline: the deadline still ends it, from the restore time', async () => {
  const persisted = await persistedAfter(7_000, [pending])
  const resumed = await restoreAt(persisted, 599_000, [hang])
  await resumed.driver.advance(999)
  assert.is(resumed.driver.actor.getSnapshot().status, 'active')
  await resumed.driver.advance(1)
  const output = resumed.driver.actor.getSnapshot().output as LoginOutput
  assert.is(output.kind === 'failed' && output.failure.kind, 'expired')
})

for (const [what, ms, polls] of [
  ['waiting', 7_000, [pending]],
  ['with a poll in flight', 12_000, [pending, hang]],
] as const) {
  test(`restored ${what} on a clock an hour behind the snapshot's: the next poll within an interval, the code no longer-lived`, async () => {
    const persisted = await persistedAfter(ms, [...polls])
    const behind = -3_600_000
    const resumed = await restoreAt(persisted, behind, [pending, hang])
    // As if no time had passed since the latest time the snapshot recorded (the answer at 5 s,
    // or the poll sent at 10 s): the next poll an interval after the restore.
    await resumed.pollsAt(behind + 5_000)
    // What the code had left at that latest time, from the restore.
    const left = ms === 7_000 ? 600_000 - 5_000 : 600_000 - 10_000
    const pairing = resumed.driver.actor.getSnapshot().context.pairing
    assert.is(pairing?.deadline, EPOCH + behind + left, 'the deadline shown')
    await resumed.driver.advance(EPOCH + behind + left - 1 - resumed.driver.clock.now())
    assert.is(resumed.driver.actor.getSnapshot().status, 'active')
    await resumed.driver.advance(1)
    const output = resumed.driver.actor.getSnapshot().output as LoginOutput
    assert.equal(output.kind === 'failed' && output.failure.reason, 'pairingExpired')
  })
}

test('a snapshot that does not wait for approval is refused: nothing would run twice', async () => {
  const clock = new TestClock(EPOCH)
  const fx = scriptDeviceLogin(clock, [], { requestCode: [hang] })
  const driver = drive(createActor(provideDeviceLogin(fx.effects), { input, clock }), clock)
  await driver.start()
  const requesting = JSON.parse(JSON.stringify(driver.actor.getPersistedSnapshot())) as Snapshot<unknown>
  assert.not.ok(canRestore(requesting))
  assert.throws(() => restoreLogin(provideDeviceLogin(fx.effects), requesting, { now: EPOCH }))
})

test('what canRestore takes: only a live login or grant that waits for approval, however the kept value is damaged', async () => {
  const login = (await persistedAfter(7_000, [pending])) as unknown as Record<string, unknown>
  const grant = (login.children as { grant: { snapshot: Record<string, unknown> } }).grant.snapshot
  assert.ok(canRestore(grant), 'a grant persisted alone, waiting')
  const variants: [string, unknown][] = [
    ['nothing', null],
    ['a text', 'awaitingApproval'],
    ['a number', 42],
    ['a login that ended', { ...login, status: 'done' }],
    ['a login that failed', { ...login, status: 'error' }],
    ['a grant that ended', { ...grant, status: 'done' }],
    ['a login without its pairing', { ...login, context: { ...(login.context as object), pairing: null } }],
    ['a login without children', { status: 'active', value: 'deviceGrant', context: { pairing: {} } }],
    ['a login whose grant is gone', { ...login, children: {} }],
    ['a login whose grant ended', { ...login, children: { grant: { snapshot: { ...grant, status: 'done' } } } }],
    ['a login whose grant asks for its code', { ...login, children: { grant: { snapshot: { ...grant, value: 'requestingCode' } } } }],
    ['a login at another step', { ...login, value: 'identifying' }],
  ]
  for (const [what, value] of variants) assert.is(canRestore(value), false, what)
  assert.is(canRestore({ status: 'active', value: { awaitingApproval: 'waiting' } }, input), false, 'no input kept: not the login asked for')
  assert.throws(
    () => restoreLogin(provideDeviceLogin(scriptDeviceLogin(new TestClock(EPOCH), []).effects), { ...login, status: 'done' } as Snapshot<unknown>, { now: EPOCH }),
    /not of a login that waits for approval/,
  )
})

test("restoreLogin's inspector sees the resumed login with its secrets replaced", async () => {
  const persisted = await persistedAfter(7_000, [pending])
  const clock = new TestClock(EPOCH + 8_000)
  const fx = scriptDeviceLogin(clock, [granted], { checkExisting: [], requestCode: [] })
  const seen: string[] = []
  const driver = drive(
    restoreLogin(provideDeviceLogin(fx.effects), persisted, { now: clock.now(), clock, inspect: (event) => void seen.push(JSON.stringify(event)) }),
    clock,
  )
  await driver.start()
  await driver.advance(2_000)
  assert.is(driver.actor.getSnapshot().output?.kind, 'loggedIn')
  const all = seen.join('\n')
  assert.ok(all.includes('awaitingApproval') && all.includes('[redacted]'), 'the inspector saw the login, redacted')
  assert.not.ok(all.includes(DEVICE_CODE), 'no device code')
  assert.not.ok(all.includes('user-token-scripted-0123'), 'no token')
})

test('the runner takes a clock: a login cancelled while waiting resumes on the next run, paced from its last poll', async () => {
  const { store, kept } = keptIn()
  const first = new TestClock(EPOCH)
  const firstFx = scriptDeviceLogin(first, [pending])
  const controller = new AbortController()
  const firstRun = runResumableLogin({ logic: provideDeviceLogin(firstFx.effects), input, store, now: () => first.now(), clock: first, signal: controller.signal })
  await advanceClock(first, 7_000)
  controller.abort()
  const cancelled = await firstRun
  assert.ok(cancelled.kind === 'failed' && cancelled.resumableUntil === EPOCH + 600_000, JSON.stringify(cancelled))
  assert.ok(kept(), 'the waiting login is kept')

  const second = new TestClock(EPOCH + 8_000)
  const secondFx = scriptDeviceLogin(second, [granted], { checkExisting: [], requestCode: [] })
  let resumed = false
  const secondRun = runResumableLogin({
    logic: provideDeviceLogin(secondFx.effects),
    input,
    store,
    now: () => second.now(),
    clock: second,
    onResume: () => (resumed = true),
  })
  await advanceClock(second, 1_999)
  assert.equal(secondFx.calls.pollToken, [])
  await advanceClock(second, 1)
  assert.equal(secondFx.times.pollToken, [EPOCH + 10_000])
  assert.is((await secondRun).kind, 'loggedIn')
  assert.ok(resumed)
  assert.is(kept(), null, 'a finished login is dropped')
})

test('the runner takes only a secret-safe inspector: a raw one is refused before anything runs; a wrapped one sees the resumed login, never its device code or tokens', async () => {
  const { store, kept } = keptIn(await persistedAfter(7_000, [pending]))
  const raw = scriptDeviceLogin(new TestClock(EPOCH), [])
  const seenRaw: unknown[] = []
  const refused = await within(
    runResumableLogin({
      logic: provideDeviceLogin(raw.effects),
      input,
      store,
      now: () => EPOCH + 8_000,
      // what the types refuse, as a JavaScript caller would pass it
      inspect: ((event: unknown) => void seenRaw.push(event)) as never,
    }).catch((e: unknown) => e),
  )
  assert.instance(refused, TypeError)
  assert.match(String(refused), /secretSafeInspector/)
  assert.equal(seenRaw, [])
  assert.equal(raw.calls.checkExisting, [], 'nothing ran')
  assert.ok(kept(), 'the kept login is still kept')

  const clock = new TestClock(EPOCH + 8_000)
  const fx = scriptDeviceLogin(clock, [granted], { checkExisting: [], requestCode: [] })
  const seen: string[] = []
  const run = runResumableLogin({
    logic: provideDeviceLogin(fx.effects),
    input,
    store,
    now: () => clock.now(),
    clock,
    inspect: secretSafeInspector((event) => void seen.push(JSON.stringify(event))),
  })
  await advanceClock(clock, 2_000)
  assert.is((await within(run)).kind, 'loggedIn')
  assert.equal(
    fx.calls.pollToken.map((call) => call.deviceCode),
    [DEVICE_CODE],
    'the resumed login polled with its code',
  )
  const all = seen.join('\n')
  assert.ok(all.includes('awaitingApproval') && all.includes('[redacted]'), 'the inspector saw the login, redacted')
  assert.not.ok(all.includes(DEVICE_CODE), 'no device code')
  assert.not.ok(all.includes('user-token-scripted-0123'), 'no token')
})

test('a login kept for another server, process id or account is not the one asked for; the names shown are not asked', async () => {
  const persisted = await persistedAfter(7_000, [pending])
  assert.ok(canRestore(persisted, input))
  assert.ok(canRestore(persisted, { ...input, name: 'renamed', hostname: 'lab-2' }), 'the kept names were shown, and stay')
  assert.not.ok(canRestore(persisted, { ...input, server: 'https://other.example' }))
  assert.not.ok(canRestore(persisted, { ...input, processId: 'local-ws2' }))
  assert.not.ok(canRestore(persisted, { ...input, email: 'else@example.com' }))
  assert.not.ok(canRestore(persisted, { ...input, method: 'password' }))
})

test('the runner drops a login kept for another server and starts the one asked for', async () => {
  const { store, kept } = keptIn(await persistedAfter(7_000, [pending]))
  const other = { ...input, server: 'https://other.example' }
  const clock = new TestClock(EPOCH + 8_000)
  const fx = scriptDeviceLogin(clock, [granted])
  let resumed = false
  const run = runResumableLogin({ logic: provideDeviceLogin(fx.effects), input: other, store, now: () => clock.now(), clock, onResume: () => (resumed = true) })
  await advanceClock(clock, 5_000)
  assert.not.ok(resumed)
  assert.equal(
    fx.calls.requestCode.map((call) => call.server),
    [other.server],
    'a new code, from the server asked',
  )
  assert.equal(
    fx.calls.pollToken.map((call) => call.server),
    [other.server],
  )
  assert.is((await within(run)).kind, 'loggedIn')
  assert.is(kept(), null)
})

test("a kept value that does not read (not JSON) is dropped and the login asked for starts; a store failure of its own is the login's", async () => {
  let removed = 0
  const damaged: SnapshotStore = {
    read: async () => JSON.parse('{"status":"act') as Snapshot<unknown>,
    write: async () => {},
    remove: async () => void removed++,
  }
  const clock = new TestClock(EPOCH)
  const fx = scriptDeviceLogin(clock, [granted])
  const run = runResumableLogin({ logic: provideDeviceLogin(fx.effects), input, store: damaged, now: () => clock.now(), clock })
  await advanceClock(clock, 5_000)
  assert.is((await within(run)).kind, 'loggedIn')
  assert.is(fx.calls.requestCode.length, 1, 'a new code')
  assert.ok(removed >= 1, 'the damaged value is dropped')

  const refused = engineError('fileUnsafe', { path: '/home/you/.omicos/pending/device.json', problem: 'symlink' })
  const unsafe: SnapshotStore = { ...damaged, read: async () => Promise.reject(refused) }
  const other = scriptDeviceLogin(new TestClock(EPOCH), [])
  const error = await within(runResumableLogin({ logic: provideDeviceLogin(other.effects), input, store: unsafe, now: () => EPOCH }).catch((e: unknown) => e))
  assert.is(error, refused)
  assert.equal(other.calls.checkExisting, [], 'nothing ran')
})

test('a stored credential record is read from its text; text that is not one is no record', () => {
  const record = {
    version: 1,
    server: 'https://auth.example',
    user_token: 'user-token-resume-0123',
    user: { email: 'you@example.com', account_id: 'acct_1' },
  }
  assert.equal(asCredentialRecord(JSON.stringify(record)), record)
  assert.equal(asCredentialRecord(record), record)
  for (const text of ['{"version":1,', 'null', '"a string"', '', '[]']) assert.is(asCredentialRecord(text), null, text)
})

test('the driver names a nested state by its path, as a snapshot value reads', async () => {
  assert.is(stateName({ awaitingApproval: 'waiting' }), 'awaitingApproval.waiting')
  assert.is(stateName({ awaitingApproval: {} }), 'awaitingApproval')
  const clock = new TestClock(EPOCH)
  const { effects } = scriptDeviceLogin(clock, [pending, granted])
  const grant = deviceGrantMachine.provide({ actors: { requestCode: effects.requestCode, pollToken: effects.pollToken } })
  const driver = drive(createActor(grant, { input: { server: input.server, name: input.name, hostname: 'lab-1' }, clock }), clock)
  await driver.start()
  const output = await within(driver.finish(60_000))
  assert.is(output.kind, 'granted')
  assert.equal(driver.states, [
    'requestingCode',
    'awaitingApproval.waiting',
    'awaitingApproval.polling',
    'awaitingApproval.waiting',
    'awaitingApproval.polling',
    'granted',
  ])
})

test.run()
