// Agents that reach a server through an http(s) proxy: CONNECT tunnels for https targets
// (https-proxy-agent), absolute-URL requests for http targets (http-proxy-agent). Loaded only
// when a proxy variable is set. Each request gets its own agent, so a failure is pinned on the
// request it belongs to: anything that goes wrong before the proxy has opened the way (no
// connection, a refusal, 407, a tunnel closed or answered with anything but 200) is the
// proxy's, reported with its address (no credentials) and the variable it came from; what
// goes wrong after (the target's TLS certificate, its answer) stays the target's.
import type { ClientRequest } from 'node:http'
import type { LookupFunction, Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { HttpProxyAgent } from 'http-proxy-agent'
import { HttpsProxyAgent } from 'https-proxy-agent'
import type { ProxyProblem } from '../../machines/failure.js'
import { engineError, type EngineError } from '../client/engine-error.js'
import { networkErrorCode } from '../client/request-failures.js'
import { hostOf } from '../client/server-url.js'
import type { ProxyRoute } from './proxy-settings.js'

export interface ProxyAttempt {
  /** set by the agent when the proxy, not the target, made the request fail */
  failure?: EngineError
}

export interface ProxyAgentOptions {
  route: ProxyRoute
  /** the target, for messages */
  target: URL
  connectTimeoutMs: number
  /** trusted CAs for the target (and an https proxy); undefined: Node's default store */
  ca: string[] | undefined
  attempt: ProxyAttempt
  /** how the proxy's name is looked up; undefined: in this process (effects/node/host-lookup.ts) */
  lookup?: LookupFunction
}

export const proxyFailure = (o: ProxyAgentOptions, problem: ProxyProblem): EngineError =>
  engineError('proxy', { host: hostOf(o.target.href), proxy: o.route.display, variable: o.route.variable, ...problem })

/** The failure of a proxy that answered 407 (to a CONNECT, or to a plain http request). */
export const proxyAuthFailure = (o: ProxyAgentOptions, status = 407): EngineError =>
  proxyFailure(o, { problem: 'auth', status, hasCredentials: Boolean(o.route.url.username || o.route.url.password) })

const timedOut = () => Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' })

// Both libraries connect to the proxy with net.connect(connectOpts), which takes an
// AbortSignal: aborting it is how the connection time limit destroys a socket still
// connecting. Through a CONNECT tunnel the time limit runs on until the target's TLS
// handshake is done, as it does for a direct connection.
const guardConnect = async (o: ProxyAgentOptions, controller: AbortController, req: ClientRequest, connect: () => Promise<Socket>): Promise<Socket> => {
  let expired = false
  let status: number | undefined
  req.once('proxyConnect', (answer: { statusCode?: number }) => {
    status = answer.statusCode
  })
  let onTimeout = () => {
    expired = true
    controller.abort(timedOut())
  }
  const timer = setTimeout(() => onTimeout(), o.connectTimeoutMs)
  let socket: Socket
  try {
    socket = await Promise.race([
      connect(),
      new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(timedOut()), { once: true })
      }),
    ])
  } catch (error) {
    clearTimeout(timer)
    const cause: ProxyProblem = expired ? { problem: 'network', code: 'ETIMEDOUT' } : proxyCause(error)
    throw (o.attempt.failure = proxyFailure(o, cause))
  }
  if (status !== undefined && status !== 200) {
    clearTimeout(timer)
    socket.destroy()
    // Some proxies (tinyproxy) answer a wrong password with 401 instead of 407; to a CONNECT
    // only the proxy can answer, so both mean the same.
    throw (o.attempt.failure = status === 407 || status === 401 ? proxyAuthFailure(o, status) : proxyFailure(o, { problem: 'status', status }))
  }
  if ('encrypted' in socket && (socket as TLSSocket).encrypted && !(socket as TLSSocket).authorized) {
    onTimeout = () => socket.destroy(timedOut())
    socket.once('secureConnect', () => clearTimeout(timer))
    socket.once('close', () => clearTimeout(timer))
  } else {
    clearTimeout(timer)
  }
  return socket
}

const proxyCause = (error: unknown): ProxyProblem => {
  const message = error instanceof Error ? error.message : ''
  // https-proxy-agent's own words when the proxy hangs up before answering the CONNECT.
  if (/ended before receiving CONNECT response|No header received/i.test(message)) return { problem: 'closedBeforeTunnel' }
  return { problem: 'network', code: networkErrorCode(error) }
}

class GuardedHttpsProxyAgent extends HttpsProxyAgent<string> {
  constructor(
    private readonly guard: ProxyAgentOptions,
    private readonly controller: AbortController,
  ) {
    super(guard.route.url.href, { signal: controller.signal, ...(guard.ca ? { ca: guard.ca } : {}), ...(guard.lookup ? { lookup: guard.lookup } : {}) })
  }
  override connect(req: ClientRequest, opts: Parameters<HttpsProxyAgent<string>['connect']>[1]): Promise<Socket> {
    const withCa = this.guard.ca ? { ...opts, ca: this.guard.ca } : opts
    return guardConnect(this.guard, this.controller, req, () => super.connect(req, withCa) as Promise<Socket>)
  }
}

class GuardedHttpProxyAgent extends HttpProxyAgent<string> {
  constructor(
    private readonly guard: ProxyAgentOptions,
    private readonly controller: AbortController,
  ) {
    super(guard.route.url.href, { signal: controller.signal, ...(guard.ca ? { ca: guard.ca } : {}), ...(guard.lookup ? { lookup: guard.lookup } : {}) })
  }
  override connect(req: Parameters<HttpProxyAgent<string>['connect']>[0], opts: Parameters<HttpProxyAgent<string>['connect']>[1]): Promise<Socket> {
    return guardConnect(this.guard, this.controller, req, () => super.connect(req, opts) as Promise<Socket>)
  }
}

/** A fresh agent for one request to `target` through `route`. */
export const proxyAgentFor = (o: ProxyAgentOptions) =>
  o.target.protocol === 'https:' ? new GuardedHttpsProxyAgent(o, new AbortController()) : new GuardedHttpProxyAgent(o, new AbortController())
