// Renders a machine definition as a Markdown page: a Mermaid stateDiagram-v2 (nested states,
// events, guards, delays, invoked effects) and a table of what each state means, taken from
// the `description` of its state node (written in from machines/<name>.descriptions.ts by
// machine-docs.ts: the running machines carry none). `npm run visualize` writes docs/machines/,
// and spec/machines/diagrams.spec.ts fails when those files are stale.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate'

export interface MachineDocEntry {
  /** the page name: docs/machines/<name>.md, machines/<name>.machine.ts */
  name: string
  machine: AnyStateMachine
}

const children = (node: AnyStateNode): AnyStateNode[] => Object.values(node.states) as AnyStateNode[]

/** Mermaid ids cannot hold dots: `awaitingApproval.waiting` becomes `awaitingApproval_waiting`. */
const mermaidId = (node: AnyStateNode) => node.path.join('_')

/** `xstate.done.actor.poll` -> `done poll`, `xstate.after.pollWait.x.y` -> `after pollWait`. */
export const eventLabel = (eventType: string): string => {
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType)
  if (done) return `${done[1]} ${done[2]}`
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType)
  if (after) return `after ${after[1]}`
  return eventType === '' ? 'always' : eventType
}

const guardName = (t: AnyTransitionDefinition) => {
  if (!t.guard) return null
  if (typeof t.guard === 'string') return t.guard
  return (t.guard as { type?: string }).type ?? 'guard'
}

const actionNames = (t: AnyTransitionDefinition) =>
  (t.actions as unknown[])
    .map((action) => (typeof action === 'string' ? action : ((action as { type?: string }).type ?? '')))
    .filter((name) => name && !name.startsWith('xstate.'))

const transitionLabel = (t: AnyTransitionDefinition) => {
  const guard = guardName(t)
  const actions = actionNames(t)
  return [eventLabel(t.eventType), guard ? `[${guard}]` : '', actions.length ? `/ ${actions.join(', ')}` : ''].filter(Boolean).join(' ')
}

const transitionsOf = (node: AnyStateNode): AnyTransitionDefinition[] => [...[...node.transitions.values()].flat(), ...(node.always ?? [])]

const invokedSources = (node: AnyStateNode) => (node.invoke as { id: string; src: unknown }[]).map((invoke) => String(invoke.src))

// One line per delay, though several guarded transitions may wait on it.
const delaysOf = (node: AnyStateNode) => [...new Set(node.after.map((t: { delay: unknown }) => String(t.delay)))]

/** The Mermaid stateDiagram-v2 of a machine. */
export const renderMermaid = (machine: AnyStateMachine): string => {
  const lines = ['stateDiagram-v2']
  const edges: string[] = []

  const declare = (node: AnyStateNode, indent: string) => {
    const id = mermaidId(node)
    const kids = children(node)
    if (kids.length) {
      // A composite state is named by its id: Mermaid's alias form has no composite variant.
      lines.push(`${indent}state ${id} {`)
      lines.push(`${indent}  [*] --> ${mermaidId(node.states[node.initial!.target[0].key] as AnyStateNode)}`)
      for (const kid of kids) declare(kid, `${indent}  `)
      lines.push(`${indent}}`)
    } else {
      // Always the alias form: Mermaid draws a plain state that has a description with the
      // description alone, and the state's name would be lost.
      lines.push(`${indent}state "${node.key}" as ${id}`)
      for (const src of invokedSources(node)) lines.push(`${indent}${id} : invoke ${src}`)
      for (const delay of delaysOf(node)) lines.push(`${indent}${id} : after ${delay}`)
    }
    if (node.type === 'final') lines.push(`${indent}${id} --> [*]`)
    for (const t of transitionsOf(node)) {
      const targets: readonly AnyStateNode[] = t.target ?? [node]
      for (const target of targets) edges.push(`  ${id} --> ${mermaidId(target)} : ${transitionLabel(t)}`)
    }
  }

  const root = machine.root
  lines.push(`  [*] --> ${mermaidId(root.states[root.initial!.target[0].key] as AnyStateNode)}`)
  for (const node of children(root)) declare(node, '  ')
  lines.push(...edges)
  for (const t of transitionsOf(root)) {
    for (const target of t.target ?? []) {
      lines.push(`  note left of ${mermaidId(target)} : from any state, ${transitionLabel(t)}`)
    }
  }
  return lines.join('\n')
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

/** The whole page for one machine. */
export const renderMachineDoc = ({ name, machine }: MachineDocEntry): string => {
  const rows: string[] = []
  const walk = (node: AnyStateNode) => {
    for (const kid of children(node)) {
      const what = [
        kid.description ?? '(no description)',
        ...invokedSources(kid).map((src) => `Invokes \`${src}\`.`),
        ...delaysOf(kid).map((delay) => `Waits \`${delay}\`.`),
        kid.type === 'final' ? 'Final.' : '',
      ]
        .filter(Boolean)
        .join(' ')
      rows.push(`| \`${kid.path.join('.')}\` | ${escapeCell(what)} |`)
      walk(kid)
    }
  }
  walk(machine.root)

  const transitionRows: string[] = []
  for (const node of [machine.root, ...allNodes(machine.root)]) {
    for (const t of transitionsOf(node)) {
      const from = node.path.length ? `\`${node.path.join('.')}\`` : 'any state'
      const to = (t.target ?? [node]).map((target: AnyStateNode) => `\`${target.path.join('.')}\``).join(', ')
      const guard = guardName(t)
      const actions = actionNames(t)
      transitionRows.push(`| ${from} | \`${eventLabel(t.eventType)}\` | ${guard ? `\`${guard}\`` : ''} | ${to} | ${actions.map((a) => `\`${a}\``).join(', ')} |`)
    }
  }

  return [
    `# ${name}`,
    '',
    `<!-- Generated by \`npm run visualize\` from machines/${name}.machine.ts. Edit the machine, not this file. -->`,
    '',
    machine.root.description ?? '',
    '',
    '```mermaid',
    renderMermaid(machine),
    '```',
    '',
    '## States',
    '',
    '| state | meaning |',
    '| --- | --- |',
    ...rows,
    '',
    '## Transitions',
    '',
    '| from | event | guard | to | actions |',
    '| --- | --- | --- | --- | --- |',
    ...transitionRows,
    '',
  ].join('\n')
}

const allNodes = (node: AnyStateNode): AnyStateNode[] => children(node).flatMap((kid) => [kid, ...allNodes(kid)])
