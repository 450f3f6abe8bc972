// Which proxy a request goes through, read from the environment the way curl reads it (gh and
// the AWS CLI agree on everything below): `https_proxy`/`HTTPS_PROXY` for https targets,
// `http_proxy`/`HTTP_PROXY` for http, `all_proxy`/`ALL_PROXY` for either, the lower-case name
// first; `no_proxy`/`NO_PROXY` lists hosts that are reached directly.
//
// NO_PROXY entries: `*` (no proxy at all), a host name that also covers its subdomains
// (`example.com` covers `api.example.com`; a leading `.` or `*.` is ignored, as curl does),
// an IP address, a CIDR range (`10.0.0.0/8`, `fd00::/8`), each optionally with `:port`
// (`[::1]:8080` for IPv6). Loopback is not special: `127.0.0.1` is proxied unless NO_PROXY
// names it, as with curl.
//
// proxy-from-env (what proxy-agent uses) matches only exact names, has no CIDR ranges and
// does not say which variable it used, so the list is read here; IP ranges are matched by
// Node's own net.BlockList.
import { BlockList, isIP } from 'node:net'
import { EngineError, engineError } from '../client/engine-error.js'
import type { Failure } from '../../machines/failure.js'
import type { Env } from '../store/home.js'

export interface ProxyRoute {
  /** the proxy, with its credentials (only ever handed to the agent) */
  url: URL
  /** the proxy as it may be printed: scheme, host and port, no credentials */
  display: string
  /** the variable it came from, as spelled in the environment (`HTTPS_PROXY`, `all_proxy`...) */
  variable: string
}

const read = (env: Env, name: string): { name: string; value: string } | null => {
  for (const spelling of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[spelling]?.trim()
    if (value) return { name: spelling, value }
  }
  return null
}

/** A proxy URL as it may be shown: never its user or password. */
export const proxyDisplay = (url: URL): string => `${url.protocol}//${url.host}`

const parseProxy = (variable: string, value: string): URL => {
  // curl takes a proxy without a scheme as http://.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw engineError('unusableProxy', { variable, problem: 'notUrl' })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw engineError('unusableProxy', { variable, problem: 'scheme', scheme: url.protocol.slice(0, -1), proxy: proxyDisplay(url) })
  }
  return url
}

/** True when any proxy variable is set, whatever the target (to load the proxy code only then). */
export const anyProxyConfigured = (env: Env): boolean => ['https_proxy', 'http_proxy', 'all_proxy'].some((name) => read(env, name) !== null)

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 }

/** Whether NO_PROXY sends a request for `host` (a name or an IP, no brackets) on `port` direct. */
export const bypassesProxy = (host: string, port: number, noProxy: string): boolean => {
  const target = host.toLowerCase().replace(/\.$/, '')
  const targetIpFamily = isIP(target)
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase()
    if (!entry) continue
    if (entry === '*') return true
    let entryPort: number | null = null
    const bracketed = entry.match(/^\[([^\]]+)\](?::(\d+))?$/)
    if (bracketed) {
      entry = bracketed[1]!
      entryPort = bracketed[2] ? Number(bracketed[2]) : null
    } else if (isIP(entry.split('/')[0]!) !== 6) {
      const withPort = entry.match(/^(.+):(\d+)$/)
      if (withPort) {
        entry = withPort[1]!
        entryPort = Number(withPort[2])
      }
    }
    if (entryPort !== null && entryPort !== port) continue
    const [address, bits] = entry.split('/') as [string, string | undefined]
    const entryIpFamily = isIP(address)
    if (entryIpFamily) {
      if (!targetIpFamily || targetIpFamily !== entryIpFamily) continue
      const type = entryIpFamily === 6 ? 'ipv6' : 'ipv4'
      const prefix = bits === undefined ? (entryIpFamily === 6 ? 128 : 32) : Number(bits)
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (entryIpFamily === 6 ? 128 : 32)) continue
      const list = new BlockList()
      list.addSubnet(address, prefix, type)
      if (list.check(target, type)) return true
      continue
    }
    const name = entry.replace(/^\*?\./, '').replace(/\.$/, '')
    if (name && (target === name || target.endsWith(`.${name}`))) return true
  }
  return false
}

/**
 * The proxy for a request to `target`, or null for a direct connection. A proxy variable that
 * is not an http(s) URL is a usage error naming the variable (never its value: it may hold a
 * password).
 */
export const proxyFor = (target: string | URL, env: Env): ProxyRoute | null => {
  const url = typeof target === 'string' ? new URL(target) : target
  const scheme = url.protocol === 'http:' ? 'http_proxy' : url.protocol === 'https:' ? 'https_proxy' : null
  if (!scheme) return null
  const setting = read(env, scheme) ?? read(env, 'all_proxy')
  if (!setting) return null
  const noProxy = read(env, 'no_proxy')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[url.protocol]!
  if (noProxy && bypassesProxy(host, port, noProxy.value)) return null
  const proxy = parseProxy(setting.name, setting.value)
  return { url: proxy, display: proxyDisplay(proxy), variable: setting.name }
}

/**
 * Where a login to `server` would go, as facts a front end words (`--status`'s proxy line):
 * `unusable` carries the failure of a proxy variable that cannot be used (`unusableProxy`),
 * or null when `server` is no address.
 */
export type ProxyRouteFacts =
  | { kind: 'unusable'; failure: Failure | null }
  | { kind: 'direct'; host: string; bypassedBy: string | null }
  | { kind: 'proxy'; host: string; proxy: string; from: string }

/**
 * Where a login to `server` would go: its facts, the route for `--json`, and `line`, a terse
 * English summary for a log (`proxy: http://proxy:3128 (from HTTPS_PROXY) for auth.omicos.cn`);
 * a front end words `facts` in its own language.
 */
export const describeProxyRoute = (server: string, env: Env): { line: string; route: { proxy: string; from: string } | null; facts: ProxyRouteFacts } => {
  let route: ProxyRoute | null
  let host: string
  try {
    host = new URL(server).host
    route = proxyFor(server, env)
  } catch (error) {
    const failure = error instanceof EngineError ? error.failure : null
    const line = failure?.reason === 'unusableProxy' ? `proxy: ${failure.details.variable} unusable (${failure.details.problem})` : 'proxy: none (server: not a URL)'
    return { line, route: null, facts: { kind: 'unusable', failure } }
  }
  if (!route) {
    const noProxy = read(env, 'no_proxy')
    const bypassedBy = anyProxyConfigured(env) && noProxy ? noProxy.name : null
    return { line: `proxy: none (direct to ${host}${bypassedBy ? `, by ${bypassedBy}` : ''})`, route: null, facts: { kind: 'direct', host, bypassedBy } }
  }
  return {
    line: `proxy: ${route.display} (from ${route.variable}) for ${host}`,
    route: { proxy: route.display, from: route.variable },
    facts: { kind: 'proxy', host, proxy: route.display, from: route.variable },
  }
}
