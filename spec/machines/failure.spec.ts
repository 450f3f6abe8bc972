// How an effect's rejection becomes a machine's failure, and what a missing effect says.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor, toPromise, type AnyActorLogic } from 'xstate'
import { deviceGrant, failure, login, logout, notProvided, passwordGrant, status, toFailure } from '../../machines/index.js'
import { withTimeout } from '../support/machine-harness.js'

test('failure(): a reason only when there is one', () => {
  assert.equal(failure('refused', 'no'), { kind: 'refused', message: 'no' })
  assert.ok(!('reason' in failure('refused', 'no')))
  assert.equal(failure('refused', 'no', 'pairingDenied'), { kind: 'refused', message: 'no', reason: 'pairingDenied' })
})

test('toFailure(): an error with a kind keeps kind, message and reason; anything else is a bad response', () => {
  const typed = Object.assign(new Error('locked by 42'), { kind: 'local_files' })
  assert.equal(toFailure(typed), { kind: 'local_files', message: 'locked by 42' })
  assert.equal(toFailure(Object.assign(new Error('untrusted'), { kind: 'unreachable', reason: 'tls' })), { kind: 'unreachable', message: 'untrusted', reason: 'tls' })
  assert.equal(toFailure(Object.assign(new Error('x'), { kind: 'unreachable', reason: null })), { kind: 'unreachable', message: 'x' })
  assert.equal(toFailure({ kind: 'usage', message: 42 }), { kind: 'usage', message: '42' })
  assert.equal(toFailure(new Error('boom')), { kind: 'bad_response', message: 'boom' })
  assert.equal(toFailure('a string'), { kind: 'bad_response', message: 'a string' })
  assert.equal(toFailure({ kind: 'usage' }), { kind: 'bad_response', message: '[object Object]' })
  assert.equal(toFailure({ message: 'no kind' }), { kind: 'bad_response', message: '[object Object]' })
  assert.equal(toFailure(null), { kind: 'bad_response', message: 'null' })
  assert.equal(toFailure(undefined), { kind: 'bad_response', message: 'undefined' })
})

test('notProvided(): names the effect and how to provide it', async () => {
  const error = await notProvided('persist')().catch((e: unknown) => e)
  assert.instance(error, Error)
  assert.is((error as Error).message, 'the "persist" effect was not provided: pass it with machine.provide({ actors })')
})

// Every effect placeholder of every machine names itself when it runs unprovided.
for (const machine of [login, passwordGrant, deviceGrant, logout, status]) {
  test(`${machine.id}: every unprovided effect names itself`, async () => {
    const actors = (machine.implementations as { actors: Record<string, AnyActorLogic> }).actors
    for (const [name, logic] of Object.entries(actors)) {
      if ('config' in (logic as object)) continue // a child machine, not an effect
      const actor = createActor(logic, { input: {} })
      actor.subscribe({ error: () => {} })
      actor.start()
      const error = await withTimeout(toPromise(actor).then(() => null, (e: unknown) => e), 1_000, name)
      assert.match(String((error as Error)?.message), `the "${name}" effect was not provided`)
    }
  })
}

test.run()
