import type { InspectionEvent } from 'xstate'
import { hostOf } from '../effects/client/server-url.js'

// Waits that speak: one line on stderr as a command starts a wait a person would otherwise
// watch in silence (the password sent, this process registered, tokens revoked), so a server
// that is slow or stopped is seen to be the one waited for. Read from the machines' snapshots,
// as --trace reads them; only on a terminal (cli/command-base.ts), so piped and JSON output
// stay as they were.

type Context = { server?: unknown; input?: { server?: unknown }; account?: { server?: unknown } | null }
const host = (server: unknown): string => (typeof server === 'string' ? (hostOf(server) ?? 'the server') : 'the server')

/** The states of a machine (by its id) that are waits worth a line, and the line's words. */
const WAITS: Record<string, Record<string, (context: Context) => string>> = {
  passwordGrant: { authenticating: (c) => `Signing in to ${host(c.server)} …` },
  login: {
    registeringProcess: (c) => `Registering this process with ${host(c.input?.server)} …`,
    // The replaced login may have been on another server.
    revokingReplaced: () => "Revoking the replaced login's tokens …",
    revokingIssued: (c) => `Revoking the tokens this login was issued, at ${host(c.input?.server)} …`,
  },
  logout: { revoking: (c) => `Revoking the tokens at ${host(c.account?.server)} …` },
}

export function waitLines(write: (line: string) => void): (inspection: InspectionEvent) => void {
  const states = new Map<string, string>()
  return (inspection) => {
    if (inspection.type !== '@xstate.snapshot') return
    const snapshot = inspection.snapshot as { value?: unknown; context?: Context; machine?: { id?: string } }
    if (typeof snapshot.value !== 'string') return
    const session = inspection.actorRef.sessionId
    const previous = states.get(session)
    states.set(session, snapshot.value)
    if (previous === snapshot.value) return
    const line = WAITS[snapshot.machine?.id ?? '']?.[snapshot.value]
    if (line) write(line(snapshot.context ?? {}))
  }
}
