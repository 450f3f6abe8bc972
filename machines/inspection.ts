// An inspector (XState's `inspect` option: a live view of a login, @statelyai/inspect, a trace)
// sees every snapshot, every event and every effect's input and output, and a login's secrets
// travel in all three: the password in the login's input, the device code in the grant's
// context and in each poll's input, the tokens in the grant's output and the persist effect's
// input. `secretSafeInspector` stands between the actor and the caller's inspector and hands
// it copies with every secret replaced: by key name (redact.ts), and, where the caller gives
// them, by value (a secret repeated inside a message). The actor refs it hands out are
// stand-ins whose `getSnapshot()` is redacted too, since inspectors read them later (the
// WebSocket inspector of @statelyai/inspect reads them on an idle callback).
import type { AnyActorRef, InspectionEvent, Observer } from 'xstate'
import { isSecretKey, REDACTED } from './redact.js'
import { isSecretSafe } from './secret-safe-mark.js'

export interface SecretSafeOptions {
  /** values to replace wherever they appear in a string (the secrets the process holds now) */
  secrets?: () => readonly string[]
}

export type Inspector = Observer<InspectionEvent> | ((event: InspectionEvent) => void)

type Scrub = (text: string) => string

const scrubberOf = (options: SecretSafeOptions): Scrub => {
  if (!options.secrets) return (text) => text
  const secrets = options.secrets
  return (text) => {
    let out = text
    for (const secret of secrets()) if (secret && out.includes(secret)) out = out.split(secret).join(REDACTED)
    return out
  }
}

const isActorRef = (value: object): value is AnyActorRef =>
  typeof (value as { getSnapshot?: unknown }).getSnapshot === 'function' && typeof (value as { sessionId?: unknown }).sessionId === 'string'

/**
 * A redacted copy of any value an inspection event carries. Plain objects and arrays are
 * copied key by key; an Error keeps its name, message, kind and reason; an actor ref becomes
 * a stand-in; functions (a snapshot's `matches`) are kept so the copy still works as a
 * snapshot; other class instances (state nodes, the tags' Set) are the machine's own parts.
 */
function redactDeep(value: unknown, scrub: Scrub, actors: Seen, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrub(value)
  if (!value || typeof value !== 'object') return value
  if (isActorRef(value)) return standIn(value, scrub, actors)
  if (value instanceof Error) {
    const { kind, reason } = value as Error & { kind?: unknown; reason?: unknown }
    return { name: value.name, message: scrub(value.message), kind, reason }
  }
  const proto = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value
  if (seen.has(value)) return '[circular]'
  seen.add(value)
  const copy = (key: string, item: unknown) =>
    // A snapshot's `machine` is the logic (static definition and implementations), not data.
    key === 'machine' || typeof item === 'function' ? item : isSecretKey(key) && item != null ? REDACTED : redactDeep(item, scrub, actors, seen)
  const out = Array.isArray(value) ? value.map((item) => copy('', item)) : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(key, item)]))
  seen.delete(value)
  return out
}

/**
 * What the wrapper has seen of the actors: the stand-in of each, and the parent of each, as
 * the inspection events tell it (an actor's own `_parent` is XState's internal).
 */
interface Seen {
  refs: WeakMap<AnyActorRef, AnyActorRef>
  parents: WeakMap<AnyActorRef, AnyActorRef>
}

const newSeen = (): Seen => ({ refs: new WeakMap(), parents: new WeakMap() })

/**
 * Learns parents from what XState reports of every actor: an actor's `xstate.init` event comes
 * from its parent (`sourceRef`), and a machine's snapshot lists its children.
 */
function learnParents(event: InspectionEvent, parents: Seen['parents']): void {
  const { actorRef } = event
  if (!isActorRef(actorRef)) return
  if (event.type === '@xstate.event' && event.event.type === 'xstate.init' && event.sourceRef && isActorRef(event.sourceRef)) parents.set(actorRef, event.sourceRef)
  const children = 'snapshot' in event ? (event.snapshot as { children?: unknown }).children : undefined
  if (children && typeof children === 'object') for (const child of Object.values(children)) if (child && isActorRef(child)) parents.set(child, actorRef)
}

/**
 * What an inspector may read of an actor: its ids, its parent, its logic's definition, and its
 * snapshot, redacted when read. Nothing else (an actor's options hold its input).
 */
function standIn(ref: AnyActorRef, scrub: Scrub, seen: Seen): AnyActorRef {
  const { refs, parents } = seen
  let stand = refs.get(ref)
  if (!stand) {
    const { logic } = ref as AnyActorRef & { logic?: { config?: unknown } }
    const redacted = (read: () => unknown) => () => redactDeep(read(), scrub, seen, new WeakSet())
    stand = {
      id: ref.id,
      sessionId: ref.sessionId,
      src: ref.src,
      // Read when the inspector asks, not when the actor is announced: XState creates a child
      // before its parent's snapshot lists it and before the child's own `xstate.init`.
      get _parent() {
        const parent = parents.get(ref)
        return parent && standIn(parent, scrub, seen)
      },
      // The machine's definition (states, transitions, named actions): written by hand, no data.
      logic: { config: logic?.config },
      getSnapshot: redacted(() => ref.getSnapshot()),
      getPersistedSnapshot: redacted(() => ref.getPersistedSnapshot()),
      toJSON: () => ({ xstate$$type: 1, id: ref.id }),
    } as unknown as AnyActorRef
    refs.set(ref, stand)
  }
  return stand
}

/** The inspection event with every secret replaced (see secretSafeInspector). */
export function redactInspectionEvent(event: InspectionEvent, options: SecretSafeOptions = {}): InspectionEvent {
  return redactWith(event, scrubberOf(options), newSeen())
}

function redactWith(event: InspectionEvent, scrub: Scrub, actors: Seen): InspectionEvent {
  learnParents(event, actors.parents)
  const copy = redactDeep(event, scrub, actors, new WeakSet()) as InspectionEvent
  // Transition definitions are the machine's static config; kept as they are for diagrams.
  if (event.type === '@xstate.microstep' && copy.type === '@xstate.microstep') copy._transitions = event._transitions
  return copy
}

/**
 * Wraps an inspector (a function or an observer, such as `createWebSocketInspector().inspect`
 * of @statelyai/inspect) so that it only ever sees redacted copies: pass the result as
 * `createActor(logic, { inspect })`. Give `secrets` to also replace secrets by value.
 */
export function secretSafeInspector(inspector: Inspector, options: SecretSafeOptions = {}): (event: InspectionEvent) => void {
  // Wrapped by the client already, by key and by value: every event is redacted once, not twice.
  if (isSecretSafe(inspector) && !options.secrets) return inspector
  const scrub = scrubberOf(options)
  // One stand-in per actor for the life of the inspector, so an inspector can compare refs.
  const actors = newSeen()
  const next = typeof inspector === 'function' ? inspector : (event: InspectionEvent) => inspector.next?.(event)
  return (event) => next(redactWith(event, scrub, actors))
}
