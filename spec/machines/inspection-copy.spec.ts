// What the secret-safe inspector hands out, value by value: the copy of an inspection event
// with every secret replaced by key name and, where given, by value; the stand-in for an actor
// and what it lets an inspector read later; what is kept as it is (functions, a snapshot's
// machine, the machine's own class instances, a microstep's transition definitions).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { AnyActorRef, InspectionEvent } from 'xstate'
import { redactInspectionEvent, secretSafeInspector } from '../../machines/inspection.js'

const TOKEN = 'tok-inspected-0123456789'
const secrets = () => ['', TOKEN]

const config = { id: 'grant', states: {} }
const actor = (id = 'grant') =>
  ({
    id,
    sessionId: `x:${id}`,
    src: 'grantLogic',
    logic: { config },
    options: { input: { password: 'hunter2-long' } },
    getSnapshot: () => ({ status: 'active', context: { userToken: TOKEN, note: `bearer ${TOKEN}` } }),
    getPersistedSnapshot: () => ({ status: 'active', context: { refreshToken: TOKEN } }),
  }) as unknown as AnyActorRef

const eventOf = (payload: Record<string, unknown>, ref = actor()): InspectionEvent =>
  ({ type: '@xstate.event', rootId: 'x:root', actorRef: ref, sourceRef: undefined, event: payload }) as unknown as InspectionEvent

const payloadOf = (event: InspectionEvent) => (event as unknown as { event: Record<string, unknown> }).event

test('by key and by value: strings, nested objects, arrays, errors, objects without a prototype', () => {
  const shared = { note: 'shared' }
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, { text: `a ${TOKEN}` })
  const refused = Object.assign(new Error(`refused ${TOKEN}`), { kind: 'refused', reason: 'invalidGrant', extra: TOKEN })
  const payload: Record<string, unknown> = {
    type: 'answer',
    text: `bearer ${TOKEN} and ${TOKEN} again`,
    plain: 'nothing secret here',
    userToken: TOKEN,
    refreshToken: null,
    deviceCode: undefined,
    list: [TOKEN, { password: 'hunter2-long' }, 3, true],
    error: refused,
    bare,
    first: shared,
    second: shared,
  }
  payload.self = payload
  const copy = payloadOf(redactInspectionEvent(eventOf(payload), { secrets }))
  assert.equal(copy, {
    type: 'answer',
    text: 'bearer [redacted] and [redacted] again',
    plain: 'nothing secret here',
    userToken: '[redacted]',
    refreshToken: null,
    deviceCode: undefined,
    list: ['[redacted]', { password: '[redacted]' }, 3, true],
    error: { name: 'Error', message: 'refused [redacted]', kind: 'refused', reason: 'invalidGrant' },
    bare: { text: 'a [redacted]' },
    // seen twice, not in a loop: copied twice
    first: { note: 'shared' },
    second: { note: 'shared' },
    self: '[circular]',
  })
  assert.is.not(copy.first, shared, 'a copy')
  assert.equal(payload.text, `bearer ${TOKEN} and ${TOKEN} again`, 'the event itself is not touched')
})

test('without secrets by value, strings are left as they are; keys are still replaced', () => {
  const copy = payloadOf(redactInspectionEvent(eventOf({ type: 'answer', text: `bearer ${TOKEN}`, userToken: TOKEN })))
  assert.equal(copy, { type: 'answer', text: `bearer ${TOKEN}`, userToken: '[redacted]' })
})

test("kept as they are: functions, a snapshot's machine, the machine's class instances, a microstep's transitions", () => {
  const matches = () => true
  const machine = { id: 'login', config: { context: { userToken: TOKEN } } }
  const tags = new Set(['waiting'])
  const when = new Date(0)
  const copy = payloadOf(redactInspectionEvent(eventOf({ type: 'snap', matches, machine, tags, when }), { secrets }))
  assert.is(copy.matches, matches)
  assert.is(copy.machine, machine)
  assert.is(copy.tags, tags)
  assert.is(copy.when, when)

  const transitions = [{ eventType: 'xstate.done.actor.pollToken', actions: [{ type: 'takePending' }] }]
  const microstep = {
    type: '@xstate.microstep',
    rootId: 'x:root',
    actorRef: actor(),
    event: { type: 'tick', userToken: TOKEN },
    snapshot: { status: 'active', context: {} },
    _transitions: transitions,
  } as unknown as InspectionEvent
  const stepped = redactInspectionEvent(microstep) as unknown as { _transitions: unknown; event: unknown }
  assert.is(stepped._transitions, transitions, 'the definitions, for diagrams')
  assert.equal(stepped.event, { type: 'tick', userToken: '[redacted]' })
  assert.not.ok('_transitions' in redactInspectionEvent(eventOf({ type: 'plain' })), 'no other event gains them')
})

test('an actor ref becomes a stand-in: its ids, its definition, and snapshots redacted when read; nothing else', () => {
  const ref = actor()
  const copy = redactInspectionEvent(eventOf({ type: 'tick', from: ref }, ref), { secrets })
  const stand = copy.actorRef as AnyActorRef & { logic: { config: unknown }; options?: unknown }
  assert.is.not(stand, ref)
  assert.is(payloadOf(copy).from, stand, 'the same stand-in wherever the actor appears in the event')
  assert.equal([stand.id, stand.sessionId, stand.src], ['grant', 'x:grant', 'grantLogic'])
  assert.is(stand.logic.config, config)
  assert.is(stand.options, undefined, "an actor's options hold its input")
  assert.equal(stand.getSnapshot(), { status: 'active', context: { userToken: '[redacted]', note: 'bearer [redacted]' } })
  assert.equal(stand.getPersistedSnapshot(), { status: 'active', context: { refreshToken: '[redacted]' } })
  assert.equal(JSON.parse(JSON.stringify({ ref: stand })), { ref: { xstate$$type: 1, id: 'grant' } })
  assert.is(stand._parent, undefined, 'no parent reported')
})

test('not an actor ref unless it has both getSnapshot() and a session id: otherwise copied as data', () => {
  const noSession = { getSnapshot: () => ({}), sessionId: 7, userToken: TOKEN }
  const noSnapshot = { getSnapshot: 'no', sessionId: 'x:1', userToken: TOKEN }
  const copy = payloadOf(redactInspectionEvent(eventOf({ type: 'tick', noSession, noSnapshot })))
  assert.equal(copy.noSession, { getSnapshot: noSession.getSnapshot, sessionId: 7, userToken: '[redacted]' })
  assert.equal(copy.noSnapshot, { getSnapshot: 'no', sessionId: 'x:1', userToken: '[redacted]' })
  // An event whose actorRef is no actor teaches the wrapper no parent, and does not throw.
  const odd = { type: '@xstate.snapshot', rootId: 'r', actorRef: {}, event: { type: 'x' }, snapshot: { children: { a: actor('a') } } }
  assert.not.throws(() => redactInspectionEvent(odd as unknown as InspectionEvent))
})

test('one wrapper: one stand-in per actor across events; its parent learnt from what XState reports', () => {
  const parent = actor('login')
  const child = actor('grant')
  const got: InspectionEvent[] = []
  const inspect = secretSafeInspector((event) => void got.push(event), { secrets })
  // The parent's snapshot lists the child (as a machine's snapshot does)...
  inspect({
    type: '@xstate.snapshot',
    rootId: 'x:root',
    actorRef: parent,
    event: { type: 'x' },
    snapshot: { children: { grant: child, none: null } },
  } as unknown as InspectionEvent)
  inspect(eventOf({ type: 'tick' }, child))
  inspect(eventOf({ type: 'tock' }, child))
  assert.is(got[1]!.actorRef, got[2]!.actorRef, 'the same stand-in')
  assert.is((got[1]!.actorRef as AnyActorRef)._parent, got[0]!.actorRef)
  // ...or its `xstate.init` comes from its parent.
  const other = actor('other')
  inspect({ type: '@xstate.event', rootId: 'x:root', actorRef: other, sourceRef: parent, event: { type: 'xstate.init' } } as unknown as InspectionEvent)
  assert.is((got[3]!.actorRef as AnyActorRef)._parent, got[0]!.actorRef)
  // Any other event from another actor is no parenthood.
  const third = actor('third')
  inspect({ type: '@xstate.event', rootId: 'x:root', actorRef: third, sourceRef: parent, event: { type: 'tick' } } as unknown as InspectionEvent)
  assert.is((got[4]!.actorRef as AnyActorRef)._parent, undefined)
})

test('an observer gets the copies through next(); one without next() is not called', () => {
  const got: InspectionEvent[] = []
  secretSafeInspector({ next: (event) => void got.push(event) })(eventOf({ type: 'tick', userToken: TOKEN }))
  assert.equal(payloadOf(got[0]!), { type: 'tick', userToken: '[redacted]' })
  assert.not.throws(() => secretSafeInspector({ error: () => {} })(eventOf({ type: 'tick' })))
})

test.run()
