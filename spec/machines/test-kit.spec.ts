// The test kit's clock (omicos-auth/testing) as a front end's tests use it: a device login on
// a TestClock that names each pending timer by the delayed event it will deliver, moves to a
// named timer and no further, fires what is due without letting promises run when told to,
// and names the timers of a restored login too.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor, createMachine, type Snapshot } from 'xstate'
import { provideDeviceLogin, restoreLogin } from '../../machines/index.js'
import { drive, TestClock, within } from '../../testing/index.js'
import { EPOCH, granted, input, pending, scriptDeviceLogin, slowDown, type Poll } from '../support/scripted-device-login.js'

const POLL_WAIT = 'xstate.after.pollWait.deviceGrant.awaitingApproval.waiting'
const DEADLINE = 'xstate.after.untilDeadline.deviceGrant.awaitingApproval'

const deviceLogin = (clock: TestClock, polls: Poll[]) => {
  const fx = scriptDeviceLogin(clock, polls)
  return { fx, driver: drive(createActor(provideDeviceLogin(fx.effects), { input, clock }), clock) }
}

test('the pending timers, named by the event they deliver and the actor it is for, the earliest first', async () => {
  const clock = new TestClock(EPOCH)
  const { driver } = deviceLogin(clock, [pending, granted])
  await driver.start()
  assert.equal(clock.timers(), [
    { event: POLL_WAIT, actor: 'grant', due: EPOCH + 5_000, in: 5_000 },
    { event: DEADLINE, actor: 'grant', due: EPOCH + 600_000, in: 600_000 },
  ])
  assert.equal(clock.next(), clock.timers()[0])
  assert.is(clock.remaining(DEADLINE), 600_000)
  assert.is(clock.remaining('xstate.after.revokeTimeout.login.revokingReplaced'), undefined)
  await driver.advance(2_000)
  assert.is(clock.remaining(POLL_WAIT), 3_000)
  assert.is(clock.remaining(DEADLINE), 598_000)
  driver.actor.stop()
  assert.equal(clock.timers(), [], 'a stopped actor leaves no timer')
})

test('advanceTo: to the named timer and no further, effects answering on the way; the next one when unnamed', async () => {
  const clock = new TestClock(EPOCH)
  const { driver, fx } = deviceLogin(clock, [slowDown, pending, granted])
  await driver.start()
  const fired = await driver.advanceTo(POLL_WAIT)
  assert.equal(fired, { event: POLL_WAIT, actor: 'grant', due: EPOCH + 5_000, in: 0 })
  assert.is(clock.now(), EPOCH + 5_000)
  assert.equal(fx.times.pollToken, [EPOCH + 5_000])
  // slow_down: the next wait is 5 s longer (RFC 8628), and the kit shows it before it passes.
  await driver.settle()
  assert.is(clock.remaining(POLL_WAIT), 10_000)
  assert.equal((await driver.advanceTo()).event, POLL_WAIT)
  assert.equal(fx.times.pollToken, [EPOCH + 5_000, EPOCH + 15_000])
  await driver.advanceTo((timer) => timer.event === POLL_WAIT && timer.actor === 'grant')
  assert.equal(fx.times.pollToken, [EPOCH + 5_000, EPOCH + 15_000, EPOCH + 25_000])
  assert.is(driver.actor.getSnapshot().status, 'done')
  try {
    await driver.advanceTo(POLL_WAIT)
    assert.unreachable('no timer is pending once the login is done')
  } catch (error) {
    assert.instance(error, Error)
    assert.match((error as Error).message, 'no pending timer matches (pending: none)')
  }
})

test('fireUntil fires what is due, each at its own time, one straight after another; set fires nothing', async () => {
  const clock = new TestClock(1_000)
  const fired: Array<[string, number]> = []
  clock.setTimeout(() => fired.push(['late', clock.now()]), 300)
  clock.setTimeout(() => {
    fired.push(['early', clock.now()])
    // set while firing and due by then: fired in the same call
    clock.setTimeout(() => fired.push(['chained', clock.now()]), 50)
  }, 100)
  clock.setTimeout(() => fired.push(['beyond', clock.now()]), 1_000)
  clock.set(1_200)
  assert.equal(fired, [], 'set moves the time only')
  assert.is(clock.pending(), 3)
  clock.fireUntil(1_400)
  assert.equal(fired, [
    ['early', 1_200],
    ['chained', 1_250],
    ['late', 1_300],
  ])
  assert.is(clock.now(), 1_400)
  assert.equal(clock.timers(), [{ event: undefined, actor: undefined, due: 2_000, in: 600 }], 'a timer no actor set has no name')
})

test('a restored login: the timers it sets again are named as well', async () => {
  const clock = new TestClock(EPOCH)
  const first = deviceLogin(clock, [pending])
  await first.driver.start()
  await first.driver.advance(7_000)
  const persisted = JSON.parse(JSON.stringify(first.driver.actor.getPersistedSnapshot())) as Snapshot<unknown>
  first.driver.actor.stop()

  const later = new TestClock(EPOCH + 8_000)
  const second = deviceLogin(later, [granted])
  const restored = drive(restoreLogin(provideDeviceLogin(second.fx.effects), persisted, { now: later.now(), clock: later }), later)
  await restored.start()
  // The poll due at 10 s, paced from the last poll the snapshot records.
  assert.is(later.remaining(POLL_WAIT), 2_000, `pending: ${later.timers().map((timer) => timer.event)}`)
  await restored.advanceTo(POLL_WAIT)
  assert.equal(second.fx.times.pollToken, [EPOCH + 10_000])
  assert.is((await within(restored.finish())).kind, 'loggedIn')
})

test('a clock told of an actor after it started names the timers it already set', async () => {
  const machine = createMachine({ id: 'blink', initial: 'on', states: { on: { after: { 700: 'off' } }, off: {} } })
  const clock = new TestClock()
  const actor = createActor(machine, { clock, id: 'blinker' }).start()
  assert.equal(clock.timers()[0]?.event, undefined)
  clock.watch(actor)
  assert.equal(clock.timers(), [{ event: 'xstate.after.700.blink.on', actor: 'blinker', due: 700, in: 700 }])
  actor.stop()
})

test('told late of timers of the same delay, the clock names each by the event it really delivers', async () => {
  const region = { initial: 'on', states: { on: { after: { 700: 'off' } }, off: {} } } as const
  const machine = createMachine({ id: 'pair', type: 'parallel', states: { left: region, right: region } })
  const clock = new TestClock()
  const actor = createActor(machine, { clock }).start()
  clock.watch(actor)
  const first = clock.next()
  assert.ok(first?.event, 'named')
  // Fire only the first of the two timers due together: the region it named has moved, the other not.
  clock.fireNext(700)
  const moved = first.event === 'xstate.after.700.pair.left.on' ? 'left' : 'right'
  assert.is((actor.getSnapshot().value as Record<string, string>)[moved], 'off', `${first.event} moved ${moved}`)
  assert.equal(
    clock.timers().map((timer) => timer.event),
    [`xstate.after.700.pair.${moved === 'left' ? 'right' : 'left'}.on`],
  )
  actor.stop()
})

test.run()
