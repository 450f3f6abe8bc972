// The one way every machine ends on an effect that rejects, apart from failure.ts so that
// reading failures (the CLI's status path) does not load xstate.
import { assign, type EventObject, type ProvidedActor } from 'xstate'
import { effectFailure, type Failure } from './failure.js'

/**
 * A machine's answer to an effect that rejects: its `fail` action given the failure, typed by
 * the error event: `onError: { target: 'failed', actions: failWithEffectError }`.
 */
export const failWithEffectError = {
  type: 'fail',
  params: ({ event }: { event: { type: string; error: unknown } }) => effectFailure(event),
} as const

/** The `fail` action of a machine whose context keeps its failure in `error`: `fail: takeFailure()`. */
export const takeFailure = <TContext extends { error: Failure | null }, TEvent extends EventObject, TActor extends ProvidedActor>() =>
  assign<TContext, TEvent, Failure, TEvent, TActor>((_, error) => ({ error }) as Partial<TContext>)
