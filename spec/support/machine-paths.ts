// Model-based coverage: xstate/graph walks a machine with generated events (the done and error
// events of whatever it invokes, its `after` delays, the user's events), and every path it finds
// is replayed on a real actor whose effects answer exactly what the path says, on the simulated
// clock. Coverage is measured on the real actors (the transitions XState reports taking) against
// every state and transition the machine definition declares.
//
// Replaying a path against XState's pure `transition()` of the same definition only shows that
// the actor does what the definition says, whatever it says. What the machine SHOULD do is the
// model's oracle: rules written from the requirements that read the path's scripted answers and
// judge what the real actor did with them (which effect it called, when on the simulated clock,
// and how it ended). Every replayed path is judged by it.
import { fromPromise, initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type AnyStateNode, type EventObject } from 'xstate'
import { getAdjacencyMap, getShortestPaths, type StatePath } from 'xstate/graph'
import { allStateNodes, allTransitions, EPOCH, run, settle, stateName, TestClock, transitionKey, transitionName } from './machine-harness.js'

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
  /** the independent judge of every replayed path (see `judge`) */
  oracle: Oracle
}

type Path = StatePath<AnyMachineSnapshot, EventObject>

const activeInvokes = (snapshot: AnyMachineSnapshot) => (snapshot._nodes as AnyStateNode[]).flatMap((node) => node.invoke as { id: string; src: unknown }[])

/** The events the traversal tries in a snapshot. */
export const eventsFor =
  (model: Model) =>
  (snapshot: AnyMachineSnapshot): EventObject[] => {
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
  JSON.stringify(event, (_key, value) => (value instanceof Error ? { error: value.name, kind: (value as { kind?: string }).kind, message: value.message } : value))

const options = (model: Model, input: unknown) => ({
  input,
  events: eventsFor(model),
  serializeState: (snapshot: AnyMachineSnapshot) => JSON.stringify({ value: snapshot.value, status: snapshot.status, facts: model.project(snapshot) }),
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

/** Effects that answer only when the replay says so; every invocation is logged with its time. */
const controlled = (names: string[], clock: TestClock, log: EffectCall[], step: () => number) => {
  const calls: Record<string, Call[]> = Object.fromEntries(names.map((name) => [name, []]))
  const actors = Object.fromEntries(
    names.map((name) => [
      name,
      fromPromise<unknown, unknown>(({ input }) => {
        log.push({ effect: name, at: clock.now(), step: step(), input })
        return new Promise((resolve, reject) => calls[name].push({ input, resolve, reject }))
      }),
    ]),
  )
  return { actors, calls }
}

const view = (snapshot: AnyMachineSnapshot) => JSON.stringify({ value: snapshot.value, status: snapshot.status, context: snapshot.context, output: snapshot.output })

export interface Replayed {
  /** what went wrong: the actor left the definition, or the oracle found a requirement broken */
  problem: string | null
  /** the path fires a timer before an earlier one: it cannot happen in real time */
  impossible?: true
}

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
export const replay = async (model: Model, { input, events }: GeneratedPath, coverage: Coverage): Promise<Replayed> => {
  let expected = initialTransition(model.machine, input as never)[0] as AnyMachineSnapshot
  const names = Object.keys((model.machine.implementations as { actors: Record<string, unknown> }).actors)
  const clock = new TestClock(EPOCH)
  const observed: Observed = { input, events, startAt: EPOCH, steps: [], calls: [], start: { status: '', output: undefined, context: undefined } }
  const fx = controlled(names, clock, observed.calls, () => observed.steps.length - 1)
  let self: unknown = null
  const login = run(model.machine, fx.actors, {
    input,
    clock,
    inspect: (event) => {
      const actorRef = (event as { actorRef?: unknown }).actorRef
      if (self && actorRef !== self) return
      // A transient state (left at once by `always`) is in no snapshot: a transition taken from it shows it was reached.
      if (event.type === '@xstate.microstep') {
        for (const t of event._transitions ?? []) {
          coverage.transitions.add(transitionKey(t))
          coverage.states.add((t.source as AnyStateNode).id)
        }
      }
      const snapshot = event.snapshot as AnyMachineSnapshot | undefined
      if (snapshot?._nodes) for (const node of snapshot._nodes as AnyStateNode[]) coverage.states.add(node.id)
    },
  })
  self = login.actor
  try {
    await settle()
    if (view(login.snapshot()) !== view(expected)) return { problem: `start: expected ${view(expected)}` }
    observed.start = { status: login.snapshot().status, output: login.snapshot().output, context: login.snapshot().context }
    for (const [index, event] of events.entries()) {
      const where = `step ${index + 1} (${event.type}) from ${stateName(login.snapshot().value)}`
      expected = transition(model.machine, expected, event as never)[0] as AnyMachineSnapshot
      const step: ObservedStep = { event, answered: undefined, at: clock.now(), status: '', output: undefined, context: undefined }
      observed.steps.push(step)
      const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event.type)
      if (done) {
        const invoke = activeInvokes(login.snapshot()).find((i) => i.id === done[2])
        const call = invoke && fx.calls[String(invoke.src)].pop()
        if (!call) return { problem: `${where}: no ${done[2]} call is pending` }
        step.answered = String(invoke.src)
        if (done[1] === 'done') call.resolve((event as { output?: unknown }).output)
        else call.reject((event as { error?: unknown }).error)
      } else if (event.type.startsWith('xstate.after.')) {
        const remaining = clock.remaining(event.type)
        if (remaining === undefined)
          return {
            problem: `${where}: no timer for it (pending: ${clock
              .timers()
              .map((timer) => timer.event)
              .join(', ')})`,
          }
        // The traversal offers every pending `after` event, in any order; in real time the
        // earliest fires first. A path that fires a later one first cannot happen: it is
        // dropped, and neither judged nor counted for coverage.
        if (clock.nextDue()! < clock.now() + remaining) return { problem: null, impossible: true }
        step.at = clock.now() + remaining
        clock.fireUntil(step.at)
      } else {
        login.actor.send(event)
      }
      await settle()
      step.status = login.snapshot().status
      step.output = login.snapshot().output
      step.context = login.snapshot().context
      const real = view(login.snapshot())
      if (real !== view(expected)) return { problem: `${where}:\n  expected ${view(expected)}\n  actual   ${real}` }
    }
    if (login.errors.length) return { problem: `the actor errored: ${String(login.errors[0])}` }
    const verdict = model.oracle(observed)
    return { problem: verdict.length ? `the oracle: ${verdict.join('; ')}` : null }
  } finally {
    login.actor.stop()
  }
}

export interface CoverageReport {
  line: string
  missingStates: string[]
  missingTransitions: string[]
  failures: string[]
  /** paths replayed and judged */
  paths: number
}

/**
 * Generates the paths of a model, replays them all, judges each by the model's oracle, and
 * measures what the paths that can happen in real time covered.
 */
export const cover = async (model: Model): Promise<CoverageReport> => {
  const coverage: Coverage = { states: new Set(), transitions: new Set() }
  const paths = pathsFor(model)
  const failures: string[] = []
  let impossible = 0
  for (const path of paths) {
    const seen: Coverage = { states: new Set(), transitions: new Set() }
    const { problem, impossible: dropped } = await replay(model, path, seen)
    if (dropped) {
      impossible += 1
      continue
    }
    for (const state of seen.states) coverage.states.add(state)
    for (const t of seen.transitions) coverage.transitions.add(t)
    if (problem) failures.push(`${path.events.map((event) => event.type).join(' > ')}\n  ${problem}`)
  }
  const states = allStateNodes(model.machine)
  const transitions = allTransitions(model.machine)
  const missingStates = states.filter((node) => !coverage.states.has(node.id)).map((node) => node.id)
  const missingTransitions = transitions.filter((t) => !coverage.transitions.has(transitionKey(t))).map(transitionName)
  const line =
    `${model.name}: states ${states.length - missingStates.length}/${states.length}, ` +
    `transitions ${transitions.length - missingTransitions.length}/${transitions.length}, ` +
    `${paths.length - impossible} paths replayed and judged by the oracle` +
    (impossible ? ` (${impossible} dropped: a timer fired before an earlier one)` : '')
  return { line, missingStates, missingTransitions, failures, paths: paths.length - impossible }
}

// --- the oracle ---------------------------------------------------------------------------

/** One effect invocation of a replay: which effect, when on the simulated clock, with what. */
export interface EffectCall {
  effect: string
  at: number
  /** the index of the step during which it was invoked (-1: on start) */
  step: number
  input: unknown
}

export interface ObservedStep {
  event: EventObject
  /** the effect (actor name) a done or error event answered; undefined for timers and sends */
  answered: string | undefined
  /** simulated time at which the event was delivered (a timer's: when it fired) */
  at: number
  /** the real actor right after the event */
  status: string
  output: unknown
  /** the real actor's context right after the event */
  context: unknown
}

/** What a replay saw, for the oracle. */
export interface Observed {
  input: unknown
  events: EventObject[]
  start: { status: string; output: unknown; context: unknown }
  steps: ObservedStep[]
  calls: EffectCall[]
  /** the simulated time the actor started at */
  startAt: number
}

/** Judges a replayed path by the requirements; returns the problems (none: the path is right). */
export type Oracle = (observed: Observed) => string[]

/** How a machine should end: the output's kind, its failure's kind, and any other fields. */
export interface Outcome {
  kind: string
  failure?: string
  fields?: Record<string, unknown>
}

/** What the rules expect of one step: the effects it starts (in order), and whether it ends. */
export interface Expectation {
  calls?: string[]
  end?: Outcome
}

export interface StepView {
  /** -1 for the start */
  index: number
  event: EventObject
  answered: string | undefined
  at: number
  /** the effect calls this step started */
  calls: EffectCall[]
  /** the real actor's context after the step */
  context: unknown
  /** report a problem the generic checks do not see (a wait too short, a wrong input) */
  problem: (text: string) => void
}

const describeOutcome = (o: Outcome) => `${o.kind}${o.failure ? `/${o.failure}` : ''}${o.fields ? ` ${JSON.stringify(o.fields)}` : ''}`

/**
 * Walks a replay step by step with `rules`, which see only the scripted event and the calls
 * and times the actor produced, and say what should happen. After every step the actor must
 * have started exactly the expected effects, be finished exactly when the rules say the
 * outcome is decided, and then with that outcome. The first few problems are returned.
 */
export const judge = (observed: Observed, rules: (step: StepView) => Expectation): string[] => {
  const problems: string[] = []
  const callsAt = (index: number) => observed.calls.filter((call) => call.step === index)
  const views = [
    { index: -1, event: { type: 'xstate.init' }, answered: undefined, at: observed.startAt, ...observed.start },
    ...observed.steps.map((step, index) => ({ index, ...step })),
  ]
  let ended: Outcome | null = null
  for (const step of views) {
    const where = step.index < 0 ? 'start' : `step ${step.index + 1} (${step.event.type})`
    if (ended) {
      problems.push(`${where}: the path went on after the outcome was decided (${describeOutcome(ended)})`)
      break
    }
    const calls = callsAt(step.index)
    const expectation = rules({ ...step, calls, problem: (text) => problems.push(`${where}: ${text}`) })
    const wanted = expectation.end ? [] : (expectation.calls ?? [])
    const made = calls.map((call) => call.effect)
    if (JSON.stringify(made) !== JSON.stringify(wanted)) {
      problems.push(`${where}: expected effect calls [${wanted.join(', ')}], the actor made [${made.join(', ')}]`)
    }
    if (expectation.end) {
      ended = expectation.end
      const output = step.output as { kind?: string; failure?: { kind?: string } } | undefined
      if (step.status !== 'done') problems.push(`${where}: expected the outcome ${describeOutcome(ended)}, the actor is still ${step.status}`)
      else if (output?.kind !== ended.kind || (ended.failure && output.failure?.kind !== ended.failure)) {
        problems.push(`${where}: expected the outcome ${describeOutcome(ended)}, the actor ended ${JSON.stringify(output)}`)
      } else {
        for (const [key, value] of Object.entries(ended.fields ?? {})) {
          const actual = (output as Record<string, unknown>)[key]
          if (JSON.stringify(actual) !== JSON.stringify(value)) {
            problems.push(`${where}: expected ${key} ${JSON.stringify(value)} in the outcome, got ${JSON.stringify(actual)}`)
          }
        }
      }
    } else if (step.status !== 'active') {
      problems.push(`${where}: nothing is decided yet, but the actor is ${step.status} with ${JSON.stringify(step.output)}`)
    }
    if (problems.length >= 3) break
  }
  return problems
}
