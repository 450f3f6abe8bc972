// `omicos-auth/status`: `status()` of the Node engine (also exported by effects/node/api.ts),
// the status machine with the status actors only, so that asking for the status loads neither
// the login machines nor the request code (the CLI's `login --status` starts through here;
// docs/benchmarks.md), and the proxy line the status shows beside it.
import { createActor } from 'xstate'
import type { StatusOutput } from '../../machines/status.contract.js'
import { statusMachine } from '../../machines/status.machine.js'
import { runToEnd } from '../client/run-actor.js'
import { safeInspect } from '../client/safe-inspector.js'
import { CLIENT_ID } from '../client/client-defaults.js'
import { DEFAULT_SERVER, parseServerUrl } from '../client/server-url.js'
import { resolveEngineOptions, type EngineOptions } from './engine-options.js'
import { nodeFetch } from './node-fetch.js'
import { createStatusActors } from './status-actors.js'

export { describeProxyRoute, type ProxyRouteFacts } from './proxy-settings.js'
// A command-line process asking for the status, as the CLI's `login --status` is, sends its name
// look-ups to a child process it does not wait for at exit (effects/node/host-lookup.ts).
export { lookUpHostsInChildProcess } from './node-fetch.js'
export type { Env } from '../store/home.js'

// As a login's (effects/node/api.ts): discovery, the check, and a renewal with its check again
// share it, so `--verify` against a server that answers each request just in time still ends.
export const STATUS_NETWORK_BUDGET_MS = 6_000

/** What `omicos login --status` shows; no network unless `online`. */
export async function status(options: EngineOptions & { online?: boolean } = {}): Promise<StatusOutput> {
  const { home, cwd, env } = resolveEngineOptions({ ...options, server: options.server ?? DEFAULT_SERVER })
  const actors = createStatusActors({
    loc: { home, cwd, env },
    http: { fetch: options.fetch ?? nodeFetch(), now: Date.now },
    clientId: CLIENT_ID,
    networkBudgetMs: STATUS_NETWORK_BUDGET_MS,
  })
  const expectedServer = options.server === undefined ? null : parseServerUrl(options.server)
  const actor = createActor(statusMachine.provide({ actors }), { input: { online: options.online ?? false, expectedServer }, inspect: safeInspect(options.inspect) })
  return runToEnd(actor, { signal: options.signal })
}
