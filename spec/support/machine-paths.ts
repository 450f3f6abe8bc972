// Model-based coverage: xstate/graph walks a machine with generated events (the done and error
// events of whatever it invokes, its `after` delays, the user's events), and every path it finds
// is replayed on a real actor whose effects answer exactly what the path says, on the simulated
// clock. Coverage is measured on the real actors (the transitions XState reports taking) against
// every state and transition the machine definition declares.
import {
  fromPromise,
  initialTransition,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  type EventObject,
} from 'xstate'
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph'
import { allStateNodes, allTransitions, run, settle, stateName, TimerClock, transitionKey, transitionName } from './machine-harness.js'

export interface Model {
  name: string
  machine: AnyStateMachine
  /** each input is a separate traversal, for the branches that depend on input */
  inputs: unknown[]
  /** the answers each effect (by actor name) can give in a snapshot */
  outputs: Record<string, (snapshot: AnyMachineSnapshot) => unknown[]>
  /** the errors each effect can reject with in a snapshot */
  errors: Record<string, (snapshot: AnyMachineSnapshot) => unknown[]>
  /** events from outside (the user, a front end) worth sending in a snapshot */
  userEvents: (snapshot: AnyMachineSnapshot) => EventObject[]
  /** what makes two snapshots different states for the traversal (keeps the graph finite) */
  project: (snapshot: AnyMachineSnapshot) => unknown
}

type Path = StatePath<AnyMachineSnapshot, EventObject>

const activeInvokes = (snapshot: AnyMachineSnapshot) =>
  (snapshot._nodes as AnyStateNode[]).flatMap((node) => node.invoke as { id: string; src: unknown }[])

/** The events the traversal tries in a snapshot. */
export const eventsFor = (model: Model) => (snapshot: AnyMachineSnapshot): EventObject[] => {
  if (snapshot.status !== 'active') return []
  const events: EventObject[] = []
  for (const invoke of activeInvokes(snapshot)) {
    const src = String(invoke.src)
    for (const output of model.outputs[src]?.(snapshot) ?? []) {
      events.push({ type: `xstate.done.actor.${invoke.id}`, output, actorId: invoke.id } as EventObject)
    }
    for (const error of model.errors[src]?.(snapshot) ?? []) {
      events.push({ type: `xstate.error.actor.${invoke.id}`, error, actorId: invoke.id } as EventObject)
    }
  }
  for (const node of snapshot._nodes as AnyStateNode[]) {
    for (const delayed of node.after) events.push({ type: delayed.eventType })
  }
  return [...events, ...model.userEvents(snapshot)]
}

const serializeEvent = (event: EventObject) =>
  JSON.stringify(event, (_key, value) =>
    value instanceof Error ? { error: value.name, kind: (value as { kind?: string }).kind, message: value.message } : value,
  )

const options = (model: Model, input: unknown) => ({
  input,
  events: eventsFor(model),
  serializeState: (snapshot: AnyMachineSnapshot) =>
    JSON.stringify({ value: snapshot.value, status: snapshot.status, facts: model.project(snapshot) }),
  serializeEvent: serializeEvent as never,
})

/**
 * Event sequences to every state the traversal reaches (shortest paths), plus, for every edge
 * of the adjacency map, the shortest path to its source followed by that edge: every
 * transition the traversal can take is on at least one path. Duplicates are dropped.
 */
export const pathsFor = (model: Model): GeneratedPath[] => {
  const out = new Map<string, GeneratedPath>()
  const add = (input: unknown, events: EventObject[]) => {
    const key = JSON.stringify(input) + events.map(serializeEvent).join('>')
    if (!out.has(key)) out.set(key, { input, events })
  }
  for (const input of model.inputs) {
    const opts = options(model, input)
    const shortest = getShortestPaths(model.machine, opts as never) as Path[]
    const byState = new Map<string, EventObject[]>()
    for (const path of shortest) {
      const events = path.steps.map((step) => step.event).filter((event) => event.type !== 'xstate.init')
      byState.set(opts.serializeState(path.state), events)
      add(input, events)
    }
    const adjacency = getAdjacencyMap(model.machine, opts as never)
    for (const [key, { transitions }] of Object.entries(adjacency)) {
      const head = byState.get(key)
      if (!head) continue
      for (const { event } of Object.values(transitions) as { event: EventObject }[]) add(input, [...head, event])
    }
  }
  return [...out.values()]
}

export interface GeneratedPath {
  input: unknown
  events: EventObject[]
}

// --- replay -------------------------------------------------------------------------------

interface Call {
  input: unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** Effects that answer only when the replay says so. */
const controlled = (names: string[]) => {
  const calls: Record<string, Call[]> = Object.fromEntries(names.map((name) => [name, []]))
  const actors = Object.fromEntries(
    names.map((name) => [
      name,
      fromPromise<unknown, unknown>(
        ({ input }) => new Promise((resolve, reject) => calls[name].push({ input, resolve, reject })),
      ),
    ]),
  )
  return { actors, calls }
}

const view = (snapshot: AnyMachineSnapshot) =>
  JSON.stringify({ value: snapshot.value, status: snapshot.status, context: snapshot.context, output: snapshot.output })

export interface Coverage {
  states: Set<string>
  /** transitionKey of every transition taken */
  transitions: Set<string>
}

/**
 * Replays a path on a real actor: an effect's done or error event answers that effect's
 * pending call, an `after` event moves the simulated clock exactly to that timer, anything
 * else is sent. After every step the actor must be where the machine's pure `transition`
 * says it should be, context and output included. Returns the mismatch, or null.
 */
export const replay = async (model: Model, { input, events }: GeneratedPath, coverage: Coverage): Promise<string | null> => {
  let expected = initialTransition(model.machine, input as never)[0] as AnyMachineSnapshot
  const names = Object.keys((model.machine.implementations as { actors: Record<string, unknown> }).actors)
  const fx = controlled(names)
  const clock = new TimerClock()
  let self: unknown = null
  const login = run(model.machine, fx.actors, {
    input,
    clock,
    inspect: (event) => {
      const actorRef = (event as { actorRef?: unknown }).actorRef
      if (self && actorRef !== self) return
      if (event.type === '@xstate.microstep') for (const t of event._transitions ?? []) coverage.transitions.add(transitionKey(t))
      const snapshot = event.snapshot as AnyMachineSnapshot | undefined
      if (snapshot?._nodes) for (const node of snapshot._nodes as AnyStateNode[]) coverage.states.add(node.id)
    },
  })
  self = login.actor
  try {
    await settle()
    if (view(login.snapshot()) !== view(expected)) return `start: expected ${view(expected)}`
    for (const [index, event] of events.entries()) {
      const where = `step ${index + 1} (${event.type}) from ${stateName(login.snapshot().value)}`
      expected = transition(model.machine, expected, event as never)[0] as AnyMachineSnapshot
      const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type)
      if (done) {
        const invoke = activeInvokes(login.snapshot()).find((i) => i.id === done[2])
        const call = invoke && fx.calls[String(invoke.src)].pop()
        if (!call) return `${where}: no ${done[2]} call is pending`
        if (done[1] === 'done') call.resolve((event as { output?: unknown }).output)
        else call.reject((event as { error?: unknown }).error)
      } else if (event.type.startsWith('xstate.after.')) {
        const remaining = clock.remaining(event.type)
        if (remaining === undefined) return `${where}: no timer for it (pending: ${clock.scheduled().join(', ')})`
        clock.set(clock.now() + remaining)
      } else {
        login.actor.send(event)
      }
      await settle()
      const real = view(login.snapshot())
      if (real !== view(expected)) return `${where}:\n  expected ${view(expected)}\n  actual   ${real}`
    }
    if (login.errors.length) return `the actor errored: ${String(login.errors[0])}`
    return null
  } finally {
    login.actor.stop()
  }
}

export interface CoverageReport {
  line: string
  missingStates: string[]
  missingTransitions: string[]
  failures: string[]
  paths: number
}

/** Generates the paths of a model, replays them all, and measures what they covered. */
export const cover = async (model: Model): Promise<CoverageReport> => {
  const coverage: Coverage = { states: new Set(), transitions: new Set() }
  const paths = pathsFor(model)
  const failures: string[] = []
  for (const path of paths) {
    const problem = await replay(model, path, coverage)
    if (problem) failures.push(`${path.events.map((event) => event.type).join(' > ')}\n  ${problem}`)
  }
  const states = allStateNodes(model.machine)
  const transitions = allTransitions(model.machine)
  const missingStates = states.filter((node) => !coverage.states.has(node.id)).map((node) => node.id)
  const missingTransitions = transitions.filter((t) => !coverage.transitions.has(transitionKey(t))).map(transitionName)
  const line =
    `${model.name}: states ${states.length - missingStates.length}/${states.length}, ` +
    `transitions ${transitions.length - missingTransitions.length}/${transitions.length}, ${paths.length} paths replayed`
  return { line, missingStates, missingTransitions, failures, paths: paths.length }
}
