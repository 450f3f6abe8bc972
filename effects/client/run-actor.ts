// The one way a front end runs a machine to its end: the Node API and the web example both
// call these. An AbortSignal becomes the machine's `user.cancel`, an actor error a rejection
// (a bare subscribe(fn) would rethrow it on a timer), and a login that waits for approval is
// kept through a storage port so that the next run picks it up again.
import {
  createActor,
  toPromise,
  type Actor,
  type ActorOptions,
  type AnyActorLogic,
  type EventFromLogic,
  type OutputFrom,
  type Snapshot,
  type SnapshotFrom,
} from 'xstate'
import type { LoginInput, LoginOutput } from '../../machines/login.contract.js'
import type { loginMachine } from '../../machines/login.machine.js'
import { canRestore, restoreChecked } from '../../machines/restore.js'
import { secretSafeOrNone, type SecretSafeInspector } from '../../machines/secret-safe-mark.js'

export interface RunOptions {
  /** aborting it sends `user.cancel`: the machine decides how it ends */
  signal?: AbortSignal
}

/** Starts the actor and resolves with its output once it reaches a final state. */
export async function runToEnd<T extends AnyActorLogic>(actor: Actor<T>, options: RunOptions & { afterStart?: () => void } = {}): Promise<OutputFrom<T>> {
  const { signal } = options
  actor.subscribe({ error: () => {} })
  const done = toPromise(actor)
  // Every machine of the engine takes `user.cancel`; one that did not would ignore it.
  const cancel = () => actor.send({ type: 'user.cancel' } as EventFromLogic<T>)
  signal?.addEventListener('abort', cancel, { once: true })
  try {
    actor.start()
    options.afterStart?.()
    if (signal?.aborted) cancel()
    return await done
  } finally {
    signal?.removeEventListener('abort', cancel)
  }
}

/** Where a waiting login is kept between runs: a file, sessionStorage, a test's memory. */
export interface SnapshotStore {
  read(): Promise<Snapshot<unknown> | null>
  write(snapshot: Snapshot<unknown>): Promise<void>
  remove(): Promise<void>
}

type LoginLogic = typeof loginMachine

export interface ResumableLoginOptions extends RunOptions {
  /** the login machine with its effects provided */
  logic: LoginLogic
  input: LoginInput
  store: SnapshotStore
  /** start afresh: the kept login is dropped */
  fresh?: boolean
  /** the time a restored login resumes at (epoch ms), on the same clock as `clock` */
  now: () => number
  /** the clock the login waits on (default: real timers); a test's simulated clock */
  clock?: ActorOptions<AnyActorLogic>['clock']
  /** every inspection event of the login's actors: an inspector wrapped by `secretSafeInspector` */
  inspect?: SecretSafeInspector
  onSnapshot?: (snapshot: SnapshotFrom<LoginLogic>) => void
  /** called once when a kept login is picked up again */
  onResume?: () => void
}

/**
 * What `store` keeps. A read that throws without a failure kind (a value that is not JSON, left
 * by another version of the page) keeps nothing that could resume: it is dropped, so a damaged
 * value does not end every later login; a failure of the store's own (an EngineError) is the
 * login's.
 */
const readKept = async (store: SnapshotStore): Promise<Snapshot<unknown> | null> => {
  try {
    return await store.read()
  } catch (error) {
    if (error && typeof error === 'object' && 'kind' in error) throw error
    await store.remove()
    return null
  }
}

/**
 * Runs a login to its end, keeping it in `store` while it waits for approval; a cancelled one
 * that the machine says can be resumed (`resumableUntil`) stays kept, any other ending drops it.
 * A kept login that no longer restores, or was kept for another server, process id or account
 * than `input` asks for, is dropped and the login asked for starts.
 */
export async function runResumableLogin(options: ResumableLoginOptions): Promise<LoginOutput> {
  const { store, logic } = options
  const inspect = secretSafeOrNone(options.inspect)
  if (options.fresh) await store.remove()
  const stored = options.fresh ? null : await readKept(store)
  // A login kept for another server, process or account (the page's settings changed since) is
  // not the one asked for: it is dropped, and the login asked for starts.
  const kept = stored && canRestore(stored, options.input) ? stored : null
  if (stored && !kept) await store.remove()
  const clock = options.clock ? { clock: options.clock } : {}
  let actor: Actor<LoginLogic> | null = null
  // A kept login resumes through the machine's own rules (machines/restore.ts): told the time,
  // it expires at once past its deadline and never polls sooner than an interval after its last poll.
  if (kept) {
    try {
      actor = restoreChecked(logic, kept, { now: options.now(), inspect, ...clock })
    } catch {
      await store.remove()
    }
  }
  const resuming = actor !== null
  actor ??= createActor(logic, { input: options.input, inspect, ...clock })
  // Writes are chained so that snapshots land in order and the last one wins.
  let saving: Promise<unknown> = Promise.resolve()
  actor.subscribe({
    next: (snapshot) => {
      options.onSnapshot?.(snapshot)
      if (snapshot.status === 'active' && snapshot.context.pairing) {
        const persisted = actor.getPersistedSnapshot()
        saving = saving.then(() => store.write(persisted)).catch(() => {})
      }
    },
    error: () => {},
  })
  if (resuming) options.onResume?.()
  const output = await runToEnd(actor, { signal: options.signal })
  await saving
  if (!(output.kind === 'failed' && output.resumableUntil !== null)) await store.remove()
  return output
}
