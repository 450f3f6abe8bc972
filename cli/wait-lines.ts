import type { InspectionEvent } from 'xstate'
import { hostOf } from '../effects/client/index.js'
import { english, type Words } from './words/english.js'

// Waits that speak: one line on stderr as a command starts a wait a person would otherwise
// watch in silence (the password sent, this process registered, tokens revoked, a login
// checked or renewed by --status --verify), so a server
// that is slow or stopped is seen to be the one waited for. Read from the machines' snapshots,
// as --trace reads them; only on a terminal (cli/command-base.ts), so piped and JSON output
// stay as they were.

type Context = { server?: unknown; input?: { server?: unknown }; account?: { server?: unknown } | null; report?: { server?: unknown } | null }

/** The states of a machine (by its id) that are waits worth a line, and the line's words. */
const WAITS: Record<string, Record<string, (context: Context, words: Words) => string>> = {
  passwordGrant: { authenticating: (c, words) => words.t('wait.signingIn', { host: host(c.server, words) }) },
  login: {
    registeringProcess: (c, words) => words.t('wait.registering', { host: host(c.input?.server, words) }),
    // The replaced login may have been on another server.
    revokingReplaced: (_, words) => words.t('wait.revokingReplaced'),
    revokingIssued: (c, words) => words.t('wait.revokingIssued', { host: host(c.input?.server, words) }),
  },
  logout: { revoking: (c, words) => words.t('wait.revoking', { host: host(c.account?.server, words) }) },
  status: {
    verifying: (c, words) => words.t('wait.verifying', { host: host(c.report?.server, words) }),
    renewing: (c, words) => words.t('wait.renewing', { host: host(c.report?.server, words) }),
  },
}

const host = (server: unknown, words: Words): string => (typeof server === 'string' ? hostOf(server) : null) ?? words.t('host.unknown')

export function waitLines(write: (line: string) => void, words: Words = english): (inspection: InspectionEvent) => void {
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
    if (line) write(line(snapshot.context ?? {}, words))
  }
}
