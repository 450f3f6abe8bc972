// The Node fetch's proxy and CA handling, in process: which proxy a URL gets from which
// variable (NO_PROXY as curl reads it), and what a proxy that is silent, hangs up, or is
// misnamed does to a request (real loopback sockets, no mocks). The CLI end to end through a
// real tinyproxy is spec/cli/proxy.spec.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { createServer as createHttpServer } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EngineError } from '../../../effects/client/engine-error.js'
import { requestJson } from '../../../effects/client/http.js'
import { createNodeFetch } from '../../../effects/node/node-fetch.js'
import { bypassesProxy, proxyFor, describeProxyRoute } from '../../../effects/node/proxy-settings.js'
import { timeout } from '../../support/wait.js'
import { wordsOf } from '../../support/failure-words.js'
import { failure } from '../../../machines/failure.js'

const rejectsWith = async (promise: Promise<unknown>, kind: string, pattern?: RegExp) => {
  try {
    await timeout(promise, 15_000, 'request')
  } catch (error) {
    if (!(error instanceof EngineError)) throw error
    assert.is(error.kind, kind, wordsOf(error))
    if (pattern) assert.match(wordsOf(error), pattern)
    return error
  }
  assert.unreachable('expected a rejection')
}

test('the variable for the scheme, lower case first, then ALL_PROXY; the credentials never in `display`', () => {
  const env = { HTTPS_PROXY: 'http://u:secret@upper:3128', https_proxy: 'http://lower:3128', HTTP_PROXY: 'plain:8080', ALL_PROXY: 'http://all:1' }
  assert.equal({ ...proxyFor('https://auth.omicos.cn', env), url: undefined }, { url: undefined, display: 'http://lower:3128', variable: 'https_proxy' })
  const http = proxyFor('http://127.0.0.1:4000', env)!
  assert.is(http.display, 'http://plain:8080', 'a proxy without a scheme is http://')
  assert.is(http.variable, 'HTTP_PROXY')
  const secret = proxyFor('https://x.example', { HTTPS_PROXY: 'http://u:secret@upper:3128' })!
  assert.is(secret.display, 'http://upper:3128')
  assert.is(secret.url.password, 'secret', 'the agent still gets the credentials')
  assert.is(proxyFor('https://x.example', { ALL_PROXY: 'http://all:1' })!.variable, 'ALL_PROXY')
  assert.is(proxyFor('https://x.example', { HTTP_PROXY: 'http://only-http:1' }), null, 'HTTP_PROXY is not for https')
  assert.is(proxyFor('https://x.example', { HTTPS_PROXY: '  ' }), null, 'blank is unset')
  assert.is(proxyFor('https://x.example', {}), null)
})

test('NO_PROXY as curl reads it: names cover subdomains, a leading dot or *. is ignored, ports, IPs, CIDR, *', () => {
  const cases: Array<[string, number, string, boolean]> = [
    ['auth.omicos.cn', 443, 'omicos.cn', true],
    ['omicos.cn', 443, 'omicos.cn', true],
    ['auth.omicos.cn', 443, '.omicos.cn', true],
    ['auth.omicos.cn', 443, '*.omicos.cn', true],
    ['notomicos.cn', 443, 'omicos.cn', false],
    ['omicos.cn.evil.example', 443, 'omicos.cn', false],
    ['AUTH.Omicos.CN', 443, 'omicos.cn', true],
    ['auth.omicos.cn', 443, 'example.com, omicos.cn', true],
    ['auth.omicos.cn', 443, 'example.com omicos.cn', true],
    ['auth.omicos.cn', 443, 'omicos.cn:443', true],
    ['auth.omicos.cn', 8443, 'omicos.cn:443', false],
    ['127.0.0.1', 4000, '127.0.0.1', true],
    ['127.0.0.1', 4000, '127.0.0.1:4000', true],
    ['127.0.0.1', 4001, '127.0.0.1:4000', false],
    ['127.0.0.2', 4000, '127.0.0.1', false],
    ['10.20.30.40', 443, '10.0.0.0/8', true],
    ['11.20.30.40', 443, '10.0.0.0/8', false],
    ['192.168.1.7', 443, '192.168.1.0/24', true],
    ['192.168.2.7', 443, '192.168.1.0/24', false],
    ['fd00::1', 443, 'fd00::/8', true],
    ['fe80::1', 443, 'fd00::/8', false],
    ['::1', 443, '::1', true],
    ['::1', 8080, '[::1]:8080', true],
    ['::1', 8081, '[::1]:8080', false],
    ['10.1.2.3', 443, '10.0.0.0/99', false],
    ['localhost', 443, '127.0.0.1', false],
    ['anything.example', 443, '*', true],
    ['anything.example', 443, '', false],
  ]
  for (const [host, port, noProxy, expected] of cases) {
    assert.is(bypassesProxy(host, port, noProxy), expected, `${host}:${port} with NO_PROXY=${JSON.stringify(noProxy)}`)
  }
  // Loopback is not special: proxied unless NO_PROXY names it (as curl does).
  assert.ok(proxyFor('http://127.0.0.1:4000', { HTTP_PROXY: 'http://p:1' }))
  assert.is(proxyFor('http://127.0.0.1:4000', { HTTP_PROXY: 'http://p:1', no_proxy: '127.0.0.0/8' }), null)
  assert.is(proxyFor('https://[::1]:8443', { HTTPS_PROXY: 'http://p:1', NO_PROXY: '::1' }), null)
})

test('a proxy variable that is not an http(s) URL is a usage error naming the variable, never its value', () => {
  for (const value of ['socks5://u:secret@p:1080', 'http://[bad']) {
    try {
      proxyFor('https://auth.omicos.cn', { HTTPS_PROXY: value })
      assert.unreachable('expected a usage error')
    } catch (error) {
      assert.instance(error, EngineError)
      assert.is((error as EngineError).kind, 'usage')
      assert.is((error as EngineError).reason, 'unusableProxy')
      assert.match(wordsOf(error as Error), 'HTTPS_PROXY')
      assert.not.match(wordsOf(error as Error), 'secret')
      assert.not.match(JSON.stringify((error as EngineError).details), 'secret')
    }
  }
})

test('--status wording: the proxy and its variable, or direct, with the reason', () => {
  assert.equal(describeProxyRoute('https://auth.omicos.cn', { HTTPS_PROXY: 'http://u:pw@proxy:3128' }), {
    line: 'proxy: http://proxy:3128 (from HTTPS_PROXY) for auth.omicos.cn',
    route: { proxy: 'http://proxy:3128', from: 'HTTPS_PROXY' },
    facts: { kind: 'proxy', host: 'auth.omicos.cn', proxy: 'http://proxy:3128', from: 'HTTPS_PROXY' },
  })
  assert.is(describeProxyRoute('https://auth.omicos.cn', {}).line, 'proxy: none (direct to auth.omicos.cn)')
  assert.equal(describeProxyRoute('https://auth.omicos.cn', {}).facts, { kind: 'direct', host: 'auth.omicos.cn', bypassedBy: null })
  assert.is(
    describeProxyRoute('https://auth.omicos.cn', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'omicos.cn' }).line,
    'proxy: none (direct to auth.omicos.cn, by NO_PROXY)',
  )
  assert.equal(describeProxyRoute('https://auth.omicos.cn', { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'omicos.cn' }).facts, {
    kind: 'direct',
    host: 'auth.omicos.cn',
    bypassedBy: 'NO_PROXY',
  })
  const socks = describeProxyRoute('https://auth.omicos.cn', { ALL_PROXY: 'socks5://u:pw@p:1' })
  assert.equal(socks.facts, {
    kind: 'unusable',
    failure: failure('unusableProxy', { variable: 'ALL_PROXY', problem: 'scheme', scheme: 'socks5', proxy: 'socks5://p:1' }),
  })
  assert.is(socks.line, 'proxy: ALL_PROXY unusable (scheme)')
  assert.equal(describeProxyRoute('auth.omicos.cn', {}).facts, { kind: 'unusable', failure: null })
})

/** A TCP server on loopback that does `onSocket` with each connection. */
const withTcp = async (onSocket: (socket: Socket) => void, fn: (port: number) => Promise<void>) => {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    onSocket(socket)
  })
  await timeout(new Promise<void>((r) => server.listen(0, '127.0.0.1', r)), 5_000, 'listen')
  try {
    await fn((server.address() as AddressInfo).port)
  } finally {
    for (const socket of sockets) socket.destroy()
    await timeout(new Promise((r) => server.close(r)), 5_000, 'close')
  }
}

test('a proxy that accepts but never answers the CONNECT: the connect time limit, naming the proxy', async () => {
  await withTcp(
    () => {},
    async (port) => {
      const fetch = createNodeFetch({ connectTimeoutMs: 300, env: { HTTPS_PROXY: `http://user:pw@127.0.0.1:${port}` } })
      const started = Date.now()
      const error = await rejectsWith(
        requestJson({ fetch, timeoutMs: 5_000 }, 'https://auth.omicos.cn/x'),
        'unreachable',
        new RegExp(`^cannot reach auth\\.omicos\\.cn through the proxy http://127\\.0\\.0\\.1:${port} \\(from HTTPS_PROXY\\): connection timed out$`),
      )
      assert.is(error!.reason, 'proxy')
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`)
    },
  )
})

test('a plain http proxy that accepts but never answers: the request time limit still holds', async () => {
  await withTcp(
    () => {},
    async (port) => {
      const fetch = createNodeFetch({ connectTimeoutMs: 300, env: { HTTP_PROXY: `http://127.0.0.1:${port}` } })
      const started = Date.now()
      await rejectsWith(requestJson({ fetch, timeoutMs: 500 }, 'http://auth.example/x'), 'unreachable', /timed out/)
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`)
    },
  )
})

test('a proxy that hangs up instead of opening the tunnel, or answers it with 403, breaks it: named', async () => {
  await withTcp(
    (socket) => socket.end(),
    async (port) => {
      const fetch = createNodeFetch({ env: { https_proxy: `127.0.0.1:${port}` } })
      await rejectsWith(
        requestJson({ fetch }, 'https://auth.omicos.cn/x'),
        'unreachable',
        /through the proxy http:\/\/127\.0\.0\.1:\d+ \(from https_proxy\): (the proxy closed the connection before opening a tunnel|connection reset)/,
      )
    },
  )
  await withTcp(
    (socket) => socket.once('data', () => socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n')),
    async (port) => {
      const fetch = createNodeFetch({ env: { HTTPS_PROXY: `http://127.0.0.1:${port}` } })
      await rejectsWith(requestJson({ fetch }, 'https://auth.omicos.cn/x'), 'unreachable', /would not open a tunnel \(it answered 403\)$/)
    },
  )
})

test('a plain http proxy: the absolute URL goes to it, a 407 is its refusal, NO_PROXY sends it direct', async () => {
  const seen: string[] = []
  let answer = 200
  const proxy = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(answer, { 'content-type': 'application/json' })
    res.end('{"ok":true}')
  })
  await timeout(new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r)), 5_000, 'listen')
  const port = (proxy.address() as AddressInfo).port
  try {
    const fetch = createNodeFetch({ env: { HTTP_PROXY: `http://127.0.0.1:${port}` } })
    const ok = await timeout(requestJson({ fetch }, 'http://auth.example:4000/hello'), 10_000, 'request')
    assert.equal(ok.body, { ok: true })
    assert.equal(seen, ['GET http://auth.example:4000/hello'])
    answer = 407
    await rejectsWith(
      requestJson({ fetch }, 'http://auth.example:4000/hello'),
      'unreachable',
      /\(from HTTP_PROXY\): the proxy asks for a user and password \(407\); give them in HTTP_PROXY/,
    )
    const direct = createNodeFetch({ env: { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1' } })
    answer = 200
    const straight = await timeout(requestJson({ fetch: direct }, `http://127.0.0.1:${port}/direct`), 10_000, 'request')
    assert.equal(straight.body, { ok: true })
    assert.is(seen.at(-1), 'GET /direct', 'a direct request has a path, not an absolute URL')
  } finally {
    proxy.closeAllConnections()
    await timeout(new Promise((r) => proxy.close(r)), 5_000, 'close')
  }
})

test('a CA bundle that cannot be used fails every request as usage, naming the variable and the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-ca-'))
  try {
    const empty = join(dir, 'empty.pem')
    writeFileSync(empty, '\n')
    const fetch = createNodeFetch({ env: { OMICOS_CA_BUNDLE: empty } })
    await rejectsWith(requestJson({ fetch }, 'https://auth.omicos.cn/x'), 'usage', new RegExp(`^OMICOS_CA_BUNDLE=${empty}: holds no PEM certificate`))
    await rejectsWith(requestJson({ fetch }, 'https://auth.omicos.cn/y'), 'usage', /OMICOS_CA_BUNDLE/)
    const missing = createNodeFetch({ env: { SSL_CERT_FILE: join(dir, 'nope.pem') } })
    const gone = await rejectsWith(requestJson({ fetch: missing }, 'https://auth.omicos.cn/x'), 'usage', /^SSL_CERT_FILE=.*nope\.pem: no such file$/)
    assert.equal(gone?.failure, failure('unusableCaBundle', { variable: 'SSL_CERT_FILE', path: join(dir, 'nope.pem'), problem: 'missing', code: 'ENOENT' }))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
