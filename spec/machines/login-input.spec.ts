// What a front end gives the login machine is checked before anything is read or sent. A
// process id the server would refuse (LoginInput.processId: letters, digits and . _ : -,
// starting with a letter or digit, at most 128) used to be found by the registration, after the
// user had approved the pairing on another device, and reported as the server's fault
// (bad_response, registrationRefused); it is a usage failure of the front end, at once.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor } from 'xstate'
import { provideLogin, type LoginInput, type LoginOutput } from '../../machines/index.js'
import { isProcessId } from '../../machines/process-id.js'
import { drive, ok, scriptEffects, TestClock } from '../../testing/index.js'

const EPOCH = Date.UTC(2026, 11, 7, 9, 0, 0)
const base: LoginInput = {
  server: 'https://auth.example',
  method: 'device',
  name: 'page',
  hostname: 'page.example',
  processId: 'web-page',
  force: false,
  email: null,
}

/** A login whose every effect is scripted; only checkExisting answers (it hangs the rest of the way). */
const start = async (input: LoginInput) => {
  const clock = new TestClock(EPOCH)
  const fx = scriptEffects(clock, { checkExisting: [({ now }) => ok({ existing: null, at: now })], requestCode: ['hang'], promptCredentials: ['hang'] })
  const driver = drive(createActor(provideLogin(fx.effects), { input, clock }), clock)
  await driver.start()
  return { driver, fx, snapshot: driver.actor.getSnapshot() }
}

for (const [what, processId] of [
  ['a space', 'web my page'],
  ['an empty id', ''],
  ['a leading dot', '.hidden'],
  ['a slash', 'web/page'],
  ['129 characters', `p${'x'.repeat(128)}`],
  ['a non-ASCII letter', 'web-päge'],
] as const) {
  for (const method of ['device', 'password'] as const) {
    test(`a ${method} login with ${what} in its process id ends at once, usage, nothing read or sent`, async () => {
      const { fx, snapshot } = await start({ ...base, method, processId })
      assert.is(snapshot.status, 'done')
      const output = snapshot.output as LoginOutput
      assert.equal(output.kind === 'failed' && output.failure, { kind: 'usage', reason: 'unusableProcessId', details: { processId } })
      assert.equal(
        Object.entries(fx.calls).filter(([, calls]) => calls.length > 0),
        [],
        'no effect ran',
      )
    })
  }
}

for (const processId of ['web-page', 'local-ws1', 'a', 'A.b_c:d-9', `p${'x'.repeat(127)}`]) {
  test(`process id ${processId.length > 20 ? `of ${processId.length} characters` : processId} goes on to the store and the grant`, async () => {
    const { fx, snapshot } = await start({ ...base, processId })
    assert.is(snapshot.status, 'active')
    assert.is(snapshot.value, 'deviceGrant')
    assert.is(fx.calls.checkExisting.length, 1)
  })
}

// The registration answer's check (effects/client/omicos-api.ts) reads a server's JSON: not a string is not an id.
test('a value that is not a string is no process id', () => {
  for (const value of [42, null, undefined, ['web-page'], { toString: () => 'web-page' }]) assert.not.ok(isProcessId(value), String(value))
  assert.ok(isProcessId('web-page'))
})

test.run()
