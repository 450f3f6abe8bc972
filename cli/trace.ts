import type { InspectionEvent } from 'xstate'
import { redact } from '../machines/index.js'

// OMICOS_TRACE=1 or --trace: one stderr line per transition of the command's machine and of
// the machines it invokes (the grant, named by its id), so a user can see why a login took the
// path it took without a debugger. Values go through redact(), so a trace can be pasted into a
// bug report. Effects (promise actors) have no states and are not traced.
export function createTracer(write: (line: string) => void, now: () => Date = () => new Date()) {
  const seen = new Map<string, { value: unknown; context: Record<string, unknown> }>()
  return (inspection: InspectionEvent): void => {
    if (inspection.type !== '@xstate.snapshot') return
    const snapshot = inspection.snapshot as { value?: unknown; context?: Record<string, unknown>; status?: string }
    if (!('value' in snapshot)) return
    const session = inspection.actorRef.sessionId
    const who = session === inspection.rootId ? '' : `${(inspection.actorRef as { id?: string }).id ?? 'child'}: `
    const previous = seen.get(session) ?? null
    const current = { value: snapshot.value, context: snapshot.context ?? {} }
    const from = previous ? stateName(previous.value) : '(start)'
    const to = stateName(current.value) + (snapshot.status && snapshot.status !== 'active' ? ` [${snapshot.status}]` : '')
    const changed = changedKeys(previous?.context ?? {}, current.context)
    const shown = changed.map((key) => `${key}=${JSON.stringify(redact({ [key]: current.context[key] })[key])}`)
    write(`[trace ${now().toISOString().slice(11, 23)}] ${who}${inspection.event.type}: ${from} -> ${to}${shown.length ? `  ${shown.join(' ')}` : ''}`)
    seen.set(session, current)
  }
}

export const stateName = (value: unknown): string => {
  if (typeof value === 'string') return value
  if (!value || typeof value !== 'object') return String(value)
  return Object.entries(value)
    .map(([key, child]) => `${key}.${stateName(child)}`)
    .join(',')
}

const changedKeys = (before: Record<string, unknown>, after: Record<string, unknown>): string[] =>
  Object.keys(after).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))

export const traceEnabled = (env: NodeJS.ProcessEnv, flag: boolean): boolean =>
  flag || (env.OMICOS_TRACE !== undefined && env.OMICOS_TRACE !== '' && env.OMICOS_TRACE !== '0')
