// The fetch the Node effects use: cross-fetch (node-fetch under it, which takes an `agent`
// per request), loaded on the first request so that what never goes online does not pay for it.
import type { Agent as HttpAgent } from 'node:http'
import type { Socket } from 'node:net'
import type { FetchLike } from '../client/http.js'

// A host that drops packets is only noticed by a timer. The connection gets a budget of its
// own, shorter than the request's, so a login with its retries against a silent host still
// reports within 10 s.
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_500

type CreateConnection = (options: object, callback?: unknown) => Socket

/** Agents whose sockets are destroyed when not connected (and, for https, handshaken) in time. */
const connectTimeoutAgents = async (ms: number) => {
  const [{ default: http }, { default: https }] = await Promise.all([import('node:http'), import('node:https')])
  const guard = <A extends HttpAgent>(agent: A, connectedEvent: 'connect' | 'secureConnect'): A => {
    const original = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent)
    ;(agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
      const socket = original(options, callback)
      const timer = setTimeout(() => {
        socket.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }))
      }, ms)
      socket.once(connectedEvent, () => clearTimeout(timer))
      socket.once('close', () => clearTimeout(timer))
      return socket
    }
    return agent
  }
  return { http: guard(new http.Agent(), 'connect'), https: guard(new https.Agent(), 'secureConnect') }
}

// One fetch per connection time limit for the life of the process, so discovery, which is
// kept per fetch, is done once.
const nodeFetches = new Map<number, FetchLike>()

/**
 * cross-fetch with a connection time limit (node-fetch, under it, takes an `agent` per
 * request), loaded on the first request.
 */
export const nodeFetch = (connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): FetchLike => {
  const known = nodeFetches.get(connectTimeoutMs)
  if (known) return known
  let loading: Promise<{ fetch: FetchLike; agents: Awaited<ReturnType<typeof connectTimeoutAgents>> }> | undefined
  const load = () =>
    (loading ??= Promise.all([import('cross-fetch'), connectTimeoutAgents(connectTimeoutMs)]).then(([module, agents]) => ({
      fetch: module.default as unknown as FetchLike,
      agents,
    })))
  const fetch: FetchLike = async (url, init) => {
    const { fetch: crossFetch, agents } = await load()
    return crossFetch(url, { ...init, agent: (target: URL) => (target.protocol === 'http:' ? agents.http : agents.https) } as RequestInit)
  }
  nodeFetches.set(connectTimeoutMs, fetch)
  return fetch
}

