// The diagrams (docs/machines/) label a guarded exit with its guard's name, so a reader tells
// the exits of one state on one event apart only when each has a name of its own: `done
// pollToken [isApproved]`, `[isDeclined]`, `[isSlowDown]`, not five `[isKind]`. Checked on the
// definitions the diagrams are drawn from: among the exits of a state on one event, every
// guard has a name, no name comes twice, and at most one exit (the last) has no guard.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { AnyStateNode, AnyTransitionDefinition } from 'xstate'
import { machineDocs } from '../../scripts/machine-docs.js'
import { allStateNodes, transitionName } from '../support/machine-harness.js'

const guardName = (t: AnyTransitionDefinition): string | null => {
  if (!t.guard) return null
  if (typeof t.guard === 'string') return t.guard
  const type = (t.guard as { type?: unknown }).type
  return typeof type === 'string' ? type : '(inline)'
}

/** Each state's exits grouped by event: `on`, invoke done/error, `after`, `always`. */
const exitGroups = (node: AnyStateNode): AnyTransitionDefinition[][] => [...node.transitions.values(), ...(node.always?.length ? [node.always] : [])]

/** What is wrong with one group of exits, in words a failing run shows. */
const namingProblems = (group: AnyTransitionDefinition[]): string[] => {
  const problems: string[] = []
  const names = group.map(guardName)
  names.forEach((name, i) => {
    if (name === '(inline)') problems.push(`${transitionName(group[i]!)}: an inline guard, drawn without a name`)
    if (name !== null && names.indexOf(name) !== i) problems.push(`${transitionName(group[i]!)}: [${name}] labels another exit of the same event too`)
    if (name === null && i < group.length - 1) problems.push(`${transitionName(group[i]!)}: no guard, yet exits after it follow`)
  })
  return problems
}

for (const { name, machine } of machineDocs) {
  test(`${name}: every exit of a state on one event has a guard named for its outcome`, () => {
    const groups = [machine.root, ...allStateNodes(machine)].flatMap(exitGroups)
    assert.ok(
      groups.some((group) => group.length > 2),
      'the machine has events with several outcomes',
    )
    assert.equal(groups.flatMap(namingProblems), [])
  })
}

test('the check itself: one guard name on two exits, an inline guard, an exit shadowed by an unguarded one', () => {
  const at = { path: ['polling'], id: 'grant.polling' }
  const exit = (guard: AnyTransitionDefinition['guard'], target: string) =>
    ({ source: at, eventType: 'xstate.done.actor.pollToken', guard, target: [{ path: [target] }] }) as unknown as AnyTransitionDefinition
  assert.equal(namingProblems([exit('isApproved', 'granted'), exit('isDeclined', 'failed'), exit(undefined, 'waiting')]), [])
  assert.is(namingProblems([exit({ type: 'isKind' } as never, 'granted'), exit({ type: 'isKind' } as never, 'failed')]).length, 1)
  assert.is(namingProblems([exit((() => true) as never, 'granted')]).length, 1)
  assert.is(namingProblems([exit(undefined, 'waiting'), exit('isApproved', 'granted')]).length, 1)
})

test.run()
