// `omicos-auth/testing`: what a front end's own tests need to run the machines without a
// server or real time: effects that answer from a script, a clock that moves only when told,
// and a driver that moves it timer by timer while letting the effects answer in between, as
// real time would pass. Runtime-neutral (no Node import): it runs under Node's test runners
// and in a browser test alike. The project's own machine specs use it.
//
//   const clock = new TestClock(Date.UTC(2026, 0, 1))
//   const script = scriptEffects(clock, { requestCode: [ok(code)], pollToken: [ok(pending), ok(granted)] })
//   const driver = drive(createActor(provideLogin(script.effects), { input, clock }), clock)
//   await driver.start()
//   clock.timers()   // [{ event: 'xstate.after.pollWait.deviceGrant.awaitingApproval.waiting', actor: 'grant', due, in: 5_000 }, …]
//   await driver.advanceTo('xstate.after.pollWait.deviceGrant.awaitingApproval.waiting')
import { fromPromise, type Actor, type ActorOptions, type AnyActorLogic, type OutputFrom, type PromiseActorLogic, type Snapshot } from 'xstate'
import type { DeviceLoginEffects, LoginEffects } from '../machines/login.machine.js'

type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>

// --- the clock ----------------------------------------------------------------------------

/** A timer the clock holds: when it fires and, set by a watched actor, what it delivers. */
export interface PendingTimer {
  /**
   * The event it delivers: `xstate.after.pollWait.deviceGrant.awaitingApproval.waiting` for a
   * delayed transition (`xstate.after.<delay>.<state id>`), the event's own type for a delayed
   * `raise` or `sendTo`; undefined for a timer no watched actor set.
   */
  event: string | undefined
  /** the id of the actor the event is for: an invoked effect's or grant's invoke id (`grant`), a root actor's `id` option; undefined as `event` is */
  actor: string | undefined
  /** when it fires, on the clock */
  due: number
  /** ms from now until it fires */
  in: number
}

interface Timer {
  due: number
  timeout: number
  fn: () => void
  event?: string
  actor?: string
}

type ActorSystem = Actor<AnyActorLogic>['system']
type ScheduledEvent = ReturnType<ActorSystem['getSnapshot']>['_scheduledEvents'][string]

/**
 * A clock for `createActor(logic, { clock })` that moves only when told: timers fire in the
 * order they are due, each at its own time, so `now()` inside an effect a timer started is the
 * time a real clock would show. Told of an actor (`watch`, which `drive` does), it names each
 * timer by the delayed event it will deliver, so a test can ask when `pollWait` ends and move
 * exactly there.
 */
export class TestClock implements Clock {
  private current: number
  private nextId = 1
  private readonly pendingTimers = new Map<number, Timer>()
  private readonly systems = new Set<ActorSystem>()
  // Scheduled events already matched to a timer (the system keeps them until theirs fires).
  private readonly named = new WeakSet<ScheduledEvent>()

  constructor(start = 0) {
    this.current = start
  }

  now(): number {
    return this.current
  }

  setTimeout(fn: (...args: unknown[]) => void, timeout: number): number {
    const id = this.nextId++
    const timer: Timer = { due: this.current + Math.max(0, timeout), timeout, fn: () => fn() }
    this.name(timer)
    this.pendingTimers.set(id, timer)
    return id
  }

  clearTimeout(id: number): void {
    this.pendingTimers.delete(id)
  }

  /**
   * Names the timers `actor` and every actor of its system (its children) set from now on,
   * and those already pending, by the delayed event each delivers. Call it before `start()`;
   * `drive` does.
   */
  watch(actor: Pick<Actor<AnyActorLogic>, 'system'>): this {
    this.systems.add(actor.system)
    // Timers set before, oldest first, each matched to the oldest event of its delay.
    for (const timer of this.pendingTimers.values()) if (timer.event === undefined) this.name(timer, 'oldest')
    return this
  }

  // XState's scheduler records a delayed event in its system's snapshot (`getSnapshot()`,
  // declared by xstate's ActorSystem type), then asks the clock for a timeout of the same
  // delay: the newest event of that delay not yet matched is the one a new timer delivers.
  private name(timer: Timer, which: 'newest' | 'oldest' = 'newest'): void {
    let found: ScheduledEvent | undefined
    for (const system of this.systems) {
      for (const scheduled of Object.values(system.getSnapshot()._scheduledEvents)) {
        if (scheduled.delay !== timer.timeout || this.named.has(scheduled)) continue
        if (which === 'newest' || !found) found = scheduled
      }
    }
    if (!found) return
    this.named.add(found)
    timer.event = found.event.type
    timer.actor = found.target.id
  }

  private view(timer: Timer): PendingTimer {
    return { event: timer.event, actor: timer.actor, due: timer.due, in: timer.due - this.current }
  }

  // The earliest, the first set of those due together; a scan, not a sort: a benchmark keeps
  // thousands of timers pending and asks after every step.
  private earliest(): [number, Timer] | undefined {
    let best: [number, Timer] | undefined
    for (const entry of this.pendingTimers) if (!best || entry[1].due < best[1].due) best = entry
    return best
  }

  /** The pending timers, the earliest first (in the order they were set when due together). */
  timers(): PendingTimer[] {
    return [...this.pendingTimers.values()].sort((a, b) => a.due - b.due).map((timer) => this.view(timer))
  }

  /** the earliest pending timer, or undefined when none is pending */
  next(): PendingTimer | undefined {
    const best = this.earliest()
    return best && this.view(best[1])
  }

  /** ms until the earliest pending timer that delivers `event` fires, or undefined when none does */
  remaining(event: string): number | undefined {
    return this.timers().find((timer) => timer.event === event)?.in
  }

  /** when the earliest pending timer fires, or undefined when none is pending */
  nextDue(): number | undefined {
    return this.next()?.due
  }

  /** how many timers are pending */
  pending(): number {
    return this.pendingTimers.size
  }

  /** Fires the earliest timer due at or before `until`, moving the time to it; false when none is. */
  fireNext(until: number): boolean {
    const best = this.earliest()
    if (!best || best[1].due > until) return false
    this.pendingTimers.delete(best[0])
    this.current = Math.max(this.current, best[1].due)
    best[1].fn()
    return true
  }

  /**
   * Moves the time to `time`, firing every timer due by then (those they set too) at its own
   * time, one straight after another: no promise runs in between (`advance` lets them).
   */
  fireUntil(time: number): void {
    while (this.fireNext(time)) {
      // each fired timer may set another that is due by `time`
    }
    this.current = Math.max(this.current, time)
  }

  /** Moves the time to `time` without firing anything in between (a laptop waking up). */
  set(time: number): void {
    this.current = time
  }
}

// --- settling -----------------------------------------------------------------------------

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** Lets every effect that has answered (resolved promises, and what they trigger) run. */
export const settle = async (turns = 3): Promise<void> => {
  for (let turn = 0; turn < turns; turn++) await macrotask()
}

/** Rejects when `promise` has not settled within `ms` of real time (a test runner may have no limit of its own). */
export const within = <T>(promise: Promise<T>, ms = 2_000, what = 'the actor'): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

// --- driving an actor ---------------------------------------------------------------------

const MAX_TIMERS_PER_ADVANCE = 10_000

/**
 * Moves `clock` `ms` on, timer by timer, letting effects answer between timers, as real time
 * would pass: for actors a test does not hold itself (a runner creates them).
 */
export const advanceClock = async (clock: TestClock, ms: number): Promise<void> => {
  await settle()
  const target = clock.now() + ms
  for (let fired = 0; clock.fireNext(target); fired++) {
    // A machine whose timers keep setting timers due at once would otherwise never let go.
    if (fired >= MAX_TIMERS_PER_ADVANCE)
      throw new Error(`more than ${MAX_TIMERS_PER_ADVANCE} timers fired in ${ms} ms of simulated time: a timer that sets itself again at once?`)
    await settle()
  }
  clock.set(Math.max(clock.now(), target))
  await settle()
}

export interface Driver<T extends AnyActorLogic> {
  actor: Actor<T>
  clock: TestClock
  /** every state the actor reported, as `awaitingApproval.waiting`-style names */
  states: string[]
  /** errors the actor reported (a machine that throws) */
  errors: unknown[]
  /** starts the actor and lets the effects it invokes at once answer */
  start(): Promise<void>
  settle(): Promise<void>
  /** moves the clock `ms` on, timer by timer, letting effects answer between timers */
  advance(ms: number): Promise<void>
  /**
   * Lets effects answer, then moves the clock on to the earliest pending timer that delivers
   * `event` (any timer when left out, or the first a function accepts) and fires it, timers
   * due before it first, effects answering between them; the timer it fired. Rejects when no
   * pending timer matches.
   */
  advanceTo(event?: string | ((timer: PendingTimer) => boolean)): Promise<PendingTimer>
  /** moves the clock on until the actor is done, at most `ms` of simulated time; its output */
  finish(ms?: number): Promise<OutputFrom<T>>
}

/** A state value as one name: `awaitingApproval.waiting` for `{ awaitingApproval: 'waiting' }`, parallel regions joined by commas. */
export const stateName = (value: unknown): string => {
  if (typeof value === 'string') return value
  if (!value || typeof value !== 'object') return String(value)
  return (
    Object.entries(value)
      // a leaf is a string child (`waiting`); an empty object is a compound state with no active child yet
      .map(([key, child]) => (typeof child === 'string' || (child && typeof child === 'object' && Object.keys(child).length) ? `${key}.${stateName(child)}` : key))
      .join(',')
  )
}

/**
 * Moves `clock` on to the earliest pending timer `which` accepts and fires it (see
 * `Driver.advanceTo`); for actors a test does not hold itself, whose timers it can tell apart
 * only by when they are due.
 */
export const advanceClockTo = async (clock: TestClock, which: (timer: PendingTimer) => boolean = () => true): Promise<PendingTimer> => {
  await settle()
  const timer = clock.timers().find(which)
  if (!timer)
    throw new Error(
      `no pending timer matches (pending: ${
        clock
          .timers()
          .map((t) => t.event ?? `a timer due in ${t.in} ms`)
          .join(', ') || 'none'
      })`,
    )
  await advanceClock(clock, timer.in)
  return { ...timer, in: 0 }
}

/** Drives `actor` (created with `{ clock }`) on `clock`, which names the timers its actors set. */
export function drive<T extends AnyActorLogic>(actor: Actor<T>, clock: TestClock): Driver<T> {
  clock.watch(actor)
  const states: string[] = []
  const errors: unknown[] = []
  actor.subscribe({
    next: (snapshot: { value?: unknown }) => {
      if (snapshot.value !== undefined) states.push(stateName(snapshot.value))
    },
    error: (error) => errors.push(error),
  })
  const advance = (ms: number) => advanceClock(clock, ms)
  return {
    actor,
    clock,
    states,
    errors,
    start: async () => {
      actor.start()
      await settle()
    },
    settle: () => settle(),
    advance,
    advanceTo: (event) => advanceClockTo(clock, typeof event === 'string' ? (timer) => timer.event === event : event),
    finish: async (ms = 3_600_000) => {
      const limit = clock.now() + ms
      const status = (): Snapshot<unknown> => actor.getSnapshot()
      while (status().status === 'active' && clock.now() < limit) {
        const due = clock.nextDue()
        if (due === undefined) {
          await settle()
          if (clock.nextDue() === undefined) break
          continue
        }
        await advance(Math.max(0, Math.min(due, limit) - clock.now()))
      }
      const snapshot = status()
      if (snapshot.status === 'done') return snapshot.output as OutputFrom<T>
      throw new Error(`the actor is ${snapshot.status}, not done, after ${ms} ms of simulated time`)
    },
  }
}

// --- scripted effects ---------------------------------------------------------------------

// `any` in these three: an effect's input is read contravariantly, so `unknown` there would
// match no effect with a typed input.
// biome-ignore lint/suspicious/noExplicitAny: any effect, whatever its output, input and events
type AnyEffect = PromiseActorLogic<any, any, any>
/** What an effect resolves with. */
// biome-ignore lint/suspicious/noExplicitAny: matches every input and event type
export type OutputOfEffect<L> = L extends PromiseActorLogic<infer O, any, any> ? O : never
/** What an effect is invoked with. */
// biome-ignore lint/suspicious/noExplicitAny: matches every output and event type
export type InputOfEffect<L> = L extends PromiseActorLogic<any, infer I, any> ? I : never

/** One scripted answer: a value, a rejection, never answering, or one computed from the call. */
export type Answer<O, I = unknown> = { ok: O } | { fail: unknown } | 'hang' | ((call: { input: I; now: number }) => Answer<O, I>)

export const ok = <O>(value: O): { ok: O } => ({ ok: value })
export const fail = (error: unknown): { fail: unknown } => ({ fail: error })
export const hang = 'hang' as const

/**
 * E as a parameter type TypeScript does not infer from (the built-in NoInfer needs 5.4): so a
 * script names E by its type argument or its default, not by the few effects it answers,
 * which would make `script.effects` too few for provideLogin.
 */
type NotInferred<E> = [E][E extends unknown ? 0 : never]

/** Answers per effect, in the order the effect is invoked. */
export type Script<E> = { [K in keyof E]?: ReadonlyArray<Answer<OutputOfEffect<E[K]>, InputOfEffect<E[K]>>> }

export interface Scripted<E> {
  /** every effect of E: a scripted one answers from its script, any other rejects */
  effects: E
  /** the inputs each effect was invoked with, in order */
  calls: { [K in keyof E]: Array<InputOfEffect<E[K]>> }
  /** the clock's time of each invocation, per effect */
  times: { [K in keyof E]: number[] }
  /** effects invoked with no answer left in their script */
  unexpected: Array<keyof E>
}

/** The effects of a login, password and device grant included. */
export const LOGIN_EFFECTS = [
  'checkExisting',
  'verifyExisting',
  'renewLogin',
  'identify',
  'lockCredentials',
  'registerProcess',
  'markProcessReplaced',
  'persist',
  'revokeTokens',
  'promptCredentials',
  'authenticate',
  'requestCode',
  'pollToken',
] as const satisfies ReadonlyArray<keyof LoginEffects>

/**
 * Effects that answer from `script`, one answer per invocation, recording their inputs and
 * the clock's time. E defaults to a login's effects; a device-only front end scripts
 * `scriptEffects<DeviceLoginEffects>(…)`.
 */
export function scriptEffects<E extends { [K in keyof E]: AnyEffect } = LoginEffects>(clock: { now(): number }, script: Script<NotInferred<E>>): Scripted<E> {
  const names = new Set<string>([...LOGIN_EFFECTS, ...Object.keys(script)])
  const effects: Record<string, AnyEffect> = {}
  const calls: Record<string, unknown[]> = {}
  const times: Record<string, number[]> = {}
  const unexpected: string[] = []
  const answers = script as Record<string, ReadonlyArray<Answer<unknown, unknown>> | undefined>
  for (const name of names) {
    const queue = [...(answers[name] ?? [])]
    calls[name] = []
    times[name] = []
    effects[name] = fromPromise<unknown, unknown>(({ input }) => {
      calls[name]!.push(input)
      times[name]!.push(clock.now())
      let answer = queue.shift()
      if (answer === undefined) {
        unexpected.push(name)
        return Promise.reject(new Error(`no scripted answer left for ${name}`))
      }
      while (typeof answer === 'function') answer = answer({ input, now: clock.now() })
      if (answer === 'hang') return new Promise<never>(() => {})
      return 'ok' in answer ? Promise.resolve(answer.ok) : Promise.reject(answer.fail)
    })
  }
  return { effects, calls, times, unexpected } as unknown as Scripted<E>
}

/**
 * One effect from a function, typed by the effect it stands for (one type parameter):
 * `effect<LoginEffects['pollToken']>(async ({ input }) => …)`.
 */
export const effect = <L extends AnyEffect>(run: (args: { input: InputOfEffect<L>; signal: AbortSignal }) => PromiseLike<OutputOfEffect<L>>): L =>
  fromPromise<OutputOfEffect<L>, InputOfEffect<L>>(({ input, signal }) => run({ input, signal })) as unknown as L

export type { DeviceLoginEffects, LoginEffects }
