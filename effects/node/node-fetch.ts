// The fetch the Node effects use: cross-fetch (node-fetch under it, which takes an `agent`
// per request), loaded on the first request so that what never goes online does not pay for
// it. Requests go through the proxy the environment names (effects/node/proxy-settings.ts)
// and trust the CAs it adds (effects/node/ca-bundle.ts); both are read on the first request.
import type { Agent as HttpAgent } from 'node:http'
import { isIP, type LookupFunction, type Socket } from 'node:net'
import type { FetchLike } from '../client/http.js'
import type { Env } from '../store/home.js'

// A host that drops packets is only noticed by a timer. The connection gets a budget of its
// own, shorter than the request's, so a login with its retries against a silent host still
// reports within 10 s.
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_500

type CreateConnection = (options: object, callback?: unknown) => Socket

/**
 * Agents whose sockets are destroyed when not connected (and, for https, handshaken) in time.
 * One agent a request, so its socket is known to the request (`onSocket`): without keep-alive
 * (Node's default for a new agent) no socket is shared anyway.
 */
const connectTimeoutAgents = async (ms: number, ca: string[] | undefined, lookup: LookupFunction | undefined) => {
  const [{ default: http }, { default: https }] = await Promise.all([import('node:http'), import('node:https')])
  const guard = <A extends HttpAgent>(agent: A, connectedEvent: 'connect' | 'secureConnect', onSocket: (socket: Socket) => void): A => {
    const original = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent)
    ;(agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
      const socket = original(options, callback)
      // Time spent waiting for a name server that never answers is no connection that timed
      // out: said as DNS (EAI_AGAIN, glibc's own code for a resolver that got no answer).
      const host = (options as { host?: unknown }).host
      let lookedUp = typeof host !== 'string' || isIP(host.replace(/^\[|\]$/g, '')) !== 0
      socket.once('lookup', () => {
        lookedUp = true
      })
      const timer = setTimeout(() => {
        socket.destroy(
          lookedUp ? Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }) : Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }),
        )
      }, ms)
      socket.once(connectedEvent, () => clearTimeout(timer))
      socket.once('close', () => clearTimeout(timer))
      onSocket(socket)
      return socket
    }
    return agent
  }
  const extra = lookup ? { lookup } : {}
  return (protocol: string, onSocket: (socket: Socket) => void): HttpAgent =>
    protocol === 'http:' ? guard(new http.Agent(extra), 'connect', onSocket) : guard(new https.Agent({ ...extra, ...(ca ? { ca } : {}) }), 'secureConnect', onSocket)
}

/**
 * node-fetch ends a body cut short only when it is chunked: one with a Content-Length that the
 * server closes the connection before completing would wait for the request's time limit, and
 * then look like a slow server. Ended here as node-fetch ends the chunked one.
 */
const endBodyCutShort = (response: Response, socket: Socket | undefined): void => {
  const body = response.body as unknown as (NodeJS.ReadableStream & { writableEnded?: boolean; destroy?: (error: Error) => void }) | null
  if (!socket || !body || typeof body.destroy !== 'function') return
  const cut = () => {
    if (body.writableEnded) return
    body.destroy?.(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }))
  }
  if (socket.destroyed) cut()
  else socket.once('close', cut)
}

// The proxy agents log through `debug`: with DEBUG=* it would print the proxy URL with its
// password and each request as written, form body included. Their namespaces are turned off
// before they load (the bundled bin has a silent `debug` instead; scripts/build.mjs).
const importProxyAgents = () => {
  const wanted = process.env.DEBUG
  if (wanted && !/-https?-proxy-agent/.test(wanted)) process.env.DEBUG = `${wanted},-http-proxy-agent*,-https-proxy-agent*,-agent-base*`
  return import('./proxy-agents.js')
}

// Off unless the CLI turns it on (effects/node/host-lookup.ts says why).
let lookUpApart = false

/**
 * Name look-ups of every fetch made from now on go to a child process, which the process does
 * not wait for when it exits. For a command-line process only.
 */
export const lookUpHostsInChildProcess = (): void => {
  lookUpApart = true
}

export interface NodeFetchOptions {
  /** default DEFAULT_CONNECT_TIMEOUT_MS; also bounds reaching a proxy and its tunnel */
  connectTimeoutMs?: number
  /** where the proxy and CA variables are read (default process.env), on the first request */
  env?: Env
}

/**
 * cross-fetch with a connection time limit, the environment's proxy and CAs, loaded on the first
 * request. A bad CA bundle or proxy variable fails every request with a `usage` EngineError; a
 * proxy that cannot be reached, refuses (407) or breaks the tunnel, with an `unreachable` one
 * (reason `proxy`) naming the proxy without its credentials and the variable it came from.
 * Other failures are node-fetch's, with the Node error code (a TLS code for a certificate).
 */
export const createNodeFetch = (options: NodeFetchOptions = {}): FetchLike => {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
  const env = options.env ?? process.env
  const load = async () => {
    const [{ proxyFor, anyProxyConfigured }, { trustedCas }, lookup] = await Promise.all([
      import('./proxy-settings.js'),
      import('./ca-bundle.js'),
      lookUpApart ? import('./host-lookup.js').then((m) => m.childProcessLookup) : undefined,
    ])
    const ca = trustedCas(env)
    const [module, agents, proxies] = await Promise.all([
      import('cross-fetch'),
      connectTimeoutAgents(connectTimeoutMs, ca, lookup),
      anyProxyConfigured(env) ? importProxyAgents() : null,
    ])
    return { fetch: module.default as unknown as FetchLike, agents, proxies, proxyFor, ca, lookup }
  }
  let loading: ReturnType<typeof load> | undefined
  return async (url, init) => {
    const { fetch: crossFetch, agents, proxies, proxyFor, ca, lookup } = await (loading ??= load())
    // A redirect asks for an agent again, so each target is routed on its own.
    let last: import('./proxy-agents.js').ProxyAgentOptions | undefined
    const attempt: import('./proxy-agents.js').ProxyAttempt = {}
    let socket: Socket | undefined
    const agent = (target: URL) => {
      const route = proxies ? proxyFor(target, env) : null
      if (!route || !proxies) {
        last = undefined
        return agents(target.protocol, (opened) => {
          socket = opened
        })
      }
      last = { route, target, connectTimeoutMs, ca, attempt, lookup }
      return proxies.proxyAgentFor(last)
    }
    let response: Response
    try {
      response = await crossFetch(url, { ...init, agent } as RequestInit)
    } catch (error) {
      throw attempt.failure ?? error
    }
    // Through a plain http proxy a 407 is the proxy's own answer, not the server's.
    if (response.status === 407 && last && proxies) throw proxies.proxyAuthFailure(last)
    endBodyCutShort(response, socket)
    return response
  }
}

// One fetch per connection time limit for the life of the process, so discovery, which is
// kept per fetch, is done once.
const nodeFetches = new Map<number, FetchLike>()

/** createNodeFetch on process.env, one per connection time limit. */
export const nodeFetch = (connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): FetchLike => {
  const known = nodeFetches.get(connectTimeoutMs)
  if (known) return known
  const fetch = createNodeFetch({ connectTimeoutMs })
  nodeFetches.set(connectTimeoutMs, fetch)
  return fetch
}
