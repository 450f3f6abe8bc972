// The secret-safe inspector's stand-ins know their parents from what XState reports (each
// actor's `xstate.init` event and its parent's snapshot), as an inspector that draws the actor
// tree (@statelyai/inspect reads `_parent` on an idle callback) needs them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor, fromPromise, setup, toPromise, type AnyActorRef, type InspectionEvent } from 'xstate'
import { redactInspectionEvent, secretSafeInspector } from '../../machines/inspection.js'
import { secretSafeInspector as withHeldSecrets, safeInspect } from '../../effects/client/safe-inspector.js'
import { holdSecrets, releaseSecrets } from '../../effects/client/held-secrets.js'
import { within } from '../../testing/index.js'

const grant = setup({ actors: { answer: fromPromise(async () => ({ token: 'grant-token-inspected-01' })) } }).createMachine({
  id: 'grant',
  initial: 'asking',
  states: { asking: { invoke: { id: 'answer', src: 'answer', onDone: 'done' } }, done: { type: 'final' } },
})
const login = setup({ actors: { grant } }).createMachine({
  id: 'login',
  initial: 'granting',
  states: { granting: { invoke: { id: 'grant', src: 'grant', onDone: 'loggedIn' } }, loggedIn: { type: 'final' } },
})

/** The login run with `inspect`, to its end; the actors as the events announced them, by id. */
const inspected = async (wrap: (inspect: (event: InspectionEvent) => void) => (event: InspectionEvent) => void) => {
  const events: InspectionEvent[] = []
  const actor = createActor(login, { inspect: wrap((event) => events.push(event)) })
  actor.start()
  await within(toPromise(actor), 2_000, 'the login')
  const announced = new Map<string, AnyActorRef>()
  for (const event of events) if (event.type === '@xstate.actor') announced.set((event.actorRef as AnyActorRef).id, event.actorRef as AnyActorRef)
  return { actor, events, announced }
}

test("each stand-in's parent is the stand-in of its parent actor; the root has none", async () => {
  const { actor, announced } = await inspected((inspect) => secretSafeInspector(inspect))
  const root = announced.get(actor.id)
  const child = announced.get('grant')
  const grandchild = announced.get('answer')
  assert.ok(root && child && grandchild, `announced: ${[...announced.keys()].join(', ')}`)
  assert.is.not(root, actor, 'a stand-in, not the actor')
  assert.is(root._parent, undefined)
  assert.is(child._parent, root, 'the same stand-in the root was announced with')
  assert.is(grandchild._parent, child)
  assert.is(grandchild._parent?._parent?.sessionId, actor.sessionId)
})

test("without the wrapper, XState's own parents are the same tree (the oracle)", async () => {
  const { actor, announced } = await inspected((inspect) => inspect)
  assert.is(announced.get(actor.id)?._parent, undefined)
  assert.is(announced.get('grant')?._parent, actor)
  assert.is(announced.get('answer')?._parent, announced.get('grant'))
})

test('one event redacted on its own: an xstate.init names the parent it came from', async () => {
  const { events } = await inspected((inspect) => inspect)
  const init = events.find((event) => event.type === '@xstate.event' && event.event.type === 'xstate.init' && (event.actorRef as AnyActorRef).id === 'answer')
  assert.ok(init)
  const copy = redactInspectionEvent(init)
  assert.is((copy.actorRef as AnyActorRef)._parent?.id, 'grant')
  assert.is.not((copy.actorRef as AnyActorRef)._parent, (init.actorRef as AnyActorRef)._parent, 'a stand-in for the parent too')
})

test("the client's wrapper is not wrapped again (each event redacted once); the machines' by-key wrapper is, for the secrets held by value", async () => {
  const wrapped = withHeldSecrets(() => {})
  assert.is(withHeldSecrets(wrapped), wrapped)
  assert.is(safeInspect(wrapped), wrapped, "the Node API's option passes it on as it is")
  assert.is(secretSafeInspector(wrapped), wrapped, "the machines' wrapper too")
  // Secrets by value are another wrapping: asked for, it is done.
  assert.is.not(withHeldSecrets(wrapped, { secrets: () => ['a-secret'] }), wrapped)

  // A token a server repeated in a message: only a wrapper that replaces held values hides it.
  const repeated = 'tok-repeated-by-a-server-0123'
  holdSecrets(repeated)
  try {
    const failing = setup({ actors: { answer: fromPromise<never>(async () => Promise.reject(new Error(`bad token ${repeated}`))) } }).createMachine({
      initial: 'asking',
      states: { asking: { invoke: { src: 'answer', onError: 'failed' } }, failed: { type: 'final' } },
    })
    const keyOnly: string[] = []
    const byValue: string[] = []
    for (const [out, wrap] of [
      [keyOnly, (f: (event: InspectionEvent) => void) => secretSafeInspector(f)],
      [byValue, (f: (event: InspectionEvent) => void) => safeInspect(secretSafeInspector(f))!],
    ] as const) {
      const actor = createActor(failing, { inspect: wrap((event) => void out.push(JSON.stringify(event.type === '@xstate.event' ? event.event : null))) })
      actor.start()
      await within(toPromise(actor), 2_000, 'the failing effect')
    }
    assert.ok(
      keyOnly.some((line) => line.includes(repeated)),
      'by key alone, a value in a message shows (the oracle)',
    )
    assert.ok(
      byValue.some((line) => line.includes('bad token [redacted]')),
      'the error was seen',
    )
    assert.not.ok(
      byValue.some((line) => line.includes(repeated)),
      'the Node API re-wraps a by-key inspector with the held secrets',
    )
  } finally {
    releaseSecrets(repeated)
  }
})

test.run()
