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
function redactDeep(value: unknown, scrub: Scrub, refs: WeakMap<AnyActorRef, AnyActorRef>, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrub(value)
  if (!value || typeof value !== 'object') return value
  if (isActorRef(value)) return standIn(value, scrub, refs)
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
    key === 'machine' || typeof item === 'function' ? item : isSecretKey(key) && item != null ? REDACTED : redactDeep(item, scrub, refs, seen)
  const out = Array.isArray(value) ? value.map((item) => copy('', item)) : Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copy(key, item)]))
  seen.delete(value)
  return out
}

/**
 * What an inspector may read of an actor: its ids, its parent, its logic's definition, and its
 * snapshot, redacted when read. Nothing else (an actor's options hold its input).
 */
function standIn(ref: AnyActorRef, scrub: Scrub, refs: WeakMap<AnyActorRef, AnyActorRef>): AnyActorRef {
  let stand = refs.get(ref)
  if (!stand) {
    const { _parent: parent, logic } = ref as AnyActorRef & { _parent?: AnyActorRef; logic?: { config?: unknown } }
    const redacted = (read: () => unknown) => () => redactDeep(read(), scrub, refs, new WeakSet())
    stand = {
      id: ref.id,
      sessionId: ref.sessionId,
      src: ref.src,
      _parent: parent && standIn(parent, scrub, refs),
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
  return redactWith(event, scrubberOf(options), new WeakMap())
}

function redactWith(event: InspectionEvent, scrub: Scrub, refs: WeakMap<AnyActorRef, AnyActorRef>): InspectionEvent {
  const copy = redactDeep(event, scrub, refs, new WeakSet()) as InspectionEvent
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
  const scrub = scrubberOf(options)
  // One stand-in per actor for the life of the inspector, so an inspector can compare refs.
  const refs = new WeakMap<AnyActorRef, AnyActorRef>()
  const next = typeof inspector === 'function' ? inspector : (event: InspectionEvent) => inspector.next?.(event)
  return (event) => next(redactWith(event, scrub, refs))
}
