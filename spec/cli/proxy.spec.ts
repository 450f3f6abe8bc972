// `omicos login` and `omicos cli login` through a real forward proxy (Debian's tinyproxy, in
// the foreground on a loopback port, its own config and log): the proxy's log shows the
// requests (the request line for http targets, CONNECT for https), NO_PROXY bypasses it,
// proxy basic auth works, and a proxy that refuses or is not there is exit 3 naming the proxy
// (never its credentials) and the variable it came from.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { findSecret, runCli, type CliSandbox } from '../support/cli.js'
import { assertOneLineError } from '../support/cli-login.js'
import { finished, pairingSpec, readPairing } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { makeTestCa, startTlsFront, type TestCa, type TlsFront } from '../support/test-ca.js'
import { freePort, startTinyproxy, type Tinyproxy } from '../support/tinyproxy.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const PROXY_USER = 'omicos-proxy-user'
const PROXY_PASSWORD = 'proxy-pass-Wd93kq'

const { ref, sandbox, cliLogin, approve } = pairingSpec(test, { interval: 1 })
let proxy: Tinyproxy
let authProxy: Tinyproxy
let ca: TestCa
let front: TlsFront

test.before(async () => {
  proxy = await startTinyproxy()
  authProxy = await startTinyproxy({ basicAuth: { user: PROXY_USER, password: PROXY_PASSWORD } })
  ca = makeTestCa()
  front = await startTlsFront(ca, ref.server.url)
})

test.after(async () => {
  await front?.close()
  ca?.cleanup()
  await proxy?.stop()
  await authProxy?.stop()
})

const boxWith = (env: NodeJS.ProcessEnv): CliSandbox => {
  const box = sandbox()
  Object.assign(box.env, env)
  return box
}

const passwordLogin = (box: CliSandbox, server = ref.server.url) =>
  runCli(['login', '--server', server, '--email', ada.email, '--password-stdin'], {
    cwd: box.workspace,
    env: box.env,
    input: `${ada.password}\n`,
    timeoutMs: 30_000,
  })

const noSecrets = (...texts: string[]) => {
  assert.is(findSecret(texts, [ada.password, PROXY_PASSWORD, `${PROXY_USER}:`]), null, 'no password in the output')
}

test('a password login over http goes through HTTP_PROXY: the proxy logged every request; --status names the proxy', async () => {
  const before = proxy.requests().length
  const box = boxWith({ HTTP_PROXY: proxy.url })
  const result = await passwordLogin(box)
  assert.is(result.code, 0, result.stderr)
  const seen = proxy.requests().slice(before)
  assert.ok(
    seen.some((line) => line.startsWith(`POST ${ref.server.url}/token `)),
    `the token request went through the proxy:\n${seen.join('\n')}`,
  )
  assert.ok(
    seen.every((line) => line.includes(ref.server.url)),
    'every request the proxy saw was for the server',
  )

  const status = await runCli(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.is(status.code, 0, status.stderr)
  assert.match(status.stdout, `proxy: ${proxy.url} (from HTTP_PROXY) for ${new URL(ref.server.url).host}`)
  const json = await runCli(['login', '--status', '--json'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.equal(JSON.parse(json.stdout).proxy, { proxy: proxy.url, from: 'HTTP_PROXY' })
  noSecrets(result.stdout, result.stderr, status.stdout, json.stdout)
})

test('a device pairing goes through the proxy: the code request and every poll are in its log', async () => {
  const before = proxy.requests().length
  const box = boxWith({ http_proxy: proxy.url })
  const cli = cliLogin(box)
  const { code } = await readPairing(cli)
  await approve(code)
  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
  const seen = proxy.requests().slice(before)
  assert.ok(
    seen.some((line) => line.startsWith(`POST ${ref.server.url}/device/auth `) || /^POST \S+device\S* /.test(line)),
    `the device authorization went through the proxy:\n${seen.join('\n')}`,
  )
  assert.ok(seen.filter((line) => line.startsWith(`POST ${ref.server.url}/token `)).length >= 1, 'the polls went through the proxy')
})

test('an https server is reached through a CONNECT tunnel of HTTPS_PROXY (the proxy sees CONNECT, never the requests)', async () => {
  const before = proxy.requests().length
  const frontSeen = front.requests.length
  const box = boxWith({ HTTPS_PROXY: proxy.url, HTTP_PROXY: 'http://127.0.0.1:9', NODE_EXTRA_CA_CERTS: ca.caFile })
  const result = await passwordLogin(box, front.url)
  assert.is(result.code, 0, result.stderr)
  const seen = proxy.requests().slice(before)
  assert.ok(seen.length >= 1 && seen.every((line) => line.startsWith(`CONNECT 127.0.0.1:${front.port} `)), `only CONNECT lines:\n${seen.join('\n')}`)
  assert.ok(front.requests.slice(frontSeen).includes('POST /token'), 'the token request reached the https server')
})

test("an untrusted certificate behind the tunnel is the server's TLS error, not the proxy's", async () => {
  const result = await passwordLogin(boxWith({ HTTPS_PROXY: proxy.url }), front.url)
  assertOneLineError(result, 3, new RegExp(`127\\.0\\.0\\.1:${front.port}.*TLS error`))
  assert.not.match(result.stderr, 'through the proxy')
})

test('NO_PROXY bypasses the proxy: a CIDR range, a host with its port, `*`', async () => {
  const port = new URL(ref.server.url).port
  for (const noProxy of ['127.0.0.0/8', `example.com, 127.0.0.1:${port}`, '*']) {
    const before = proxy.requests().length
    const box = boxWith({ HTTP_PROXY: proxy.url, NO_PROXY: noProxy })
    const result = await passwordLogin(box)
    assert.is(result.code, 0, `NO_PROXY=${noProxy}: ${result.stderr}`)
    assert.equal(proxy.requests().slice(before), [], `NO_PROXY=${noProxy}: the proxy saw nothing`)
    const status = await runCli(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
    assert.match(status.stdout, /proxy: none \(direct to 127\.0\.0\.1:\d+, by NO_PROXY\)/)
  }
})

test('proxy basic auth: the user and password in the proxy URL are sent, for http and through a CONNECT tunnel', async () => {
  const withAuth = authProxy.url.replace('http://', `http://${PROXY_USER}:${PROXY_PASSWORD}@`)
  const before = authProxy.requests().length
  // DEBUG=* would make the proxy agents' own log print the proxy URL and the request written.
  const box = boxWith({ HTTP_PROXY: withAuth, DEBUG: '*' })
  const result = await passwordLogin(box)
  assert.is(result.code, 0, result.stderr)
  assert.ok(
    authProxy
      .requests()
      .slice(before)
      .some((line) => line.startsWith(`POST ${ref.server.url}/token `)),
  )

  const tunnelBox = boxWith({ HTTPS_PROXY: withAuth, NODE_EXTRA_CA_CERTS: ca.caFile, DEBUG: '*' })
  const tunnelled = await passwordLogin(tunnelBox, front.url)
  assert.is(tunnelled.code, 0, tunnelled.stderr)
  assert.ok(authProxy.requests().some((line) => line.startsWith(`CONNECT 127.0.0.1:${front.port} `)))

  const status = await runCli(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.match(status.stdout, `proxy: ${authProxy.url} (from HTTP_PROXY)`)
  noSecrets(result.stdout, result.stderr, tunnelled.stdout, tunnelled.stderr, status.stdout, status.stderr)
})

// tinyproxy answers a wrong password with 401 (not 407) and WWW-Authenticate: to a plain http
// request that cannot be told from the server's own 401, so the wrong password is tried
// through a CONNECT tunnel (what every https server gets), and plain http without credentials.
test('a wrong proxy password is exit 3 naming the proxy (no credentials) and the variable; no credentials at all too', async () => {
  const wrong = authProxy.url.replace('http://', `http://${PROXY_USER}:not-${PROXY_PASSWORD}@`)
  const tunnel = await passwordLogin(boxWith({ https_proxy: wrong, NODE_EXTRA_CA_CERTS: ca.caFile }), front.url)
  assertOneLineError(
    tunnel,
    3,
    new RegExp(`proxy ${authProxy.url} \\(from https_proxy\\): the proxy refused its user and password \\(40[17]\\); check the credentials in https_proxy`),
  )
  const http = await passwordLogin(boxWith({ HTTP_PROXY: authProxy.url }))
  assertOneLineError(http, 3, new RegExp(`proxy ${authProxy.url} \\(from HTTP_PROXY\\): the proxy asks for a user and password \\(407\\)`))
  const tunnelNone = await passwordLogin(boxWith({ HTTPS_PROXY: authProxy.url, NODE_EXTRA_CA_CERTS: ca.caFile }), front.url)
  assertOneLineError(tunnelNone, 3, new RegExp(`proxy ${authProxy.url} \\(from HTTPS_PROXY\\): the proxy asks for a user and password \\(407\\)`))
  noSecrets(http.stdout, http.stderr, tunnel.stdout, tunnel.stderr)
  assert.not.match(tunnel.stderr, PROXY_USER)
})

test('a proxy on a closed port is exit 3 naming the proxy and the variable, for http and https', async () => {
  const closed = `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:${await freePort()}`
  const shown = closed.replace(`${PROXY_USER}:${PROXY_PASSWORD}@`, '')
  const http = await passwordLogin(boxWith({ ALL_PROXY: closed }))
  assertOneLineError(http, 3, new RegExp(`proxy ${shown} \\(from ALL_PROXY\\): connection refused`))
  const https = await passwordLogin(boxWith({ HTTPS_PROXY: closed, NODE_EXTRA_CA_CERTS: ca.caFile }), front.url)
  assertOneLineError(https, 3, new RegExp(`proxy ${shown} \\(from HTTPS_PROXY\\): connection refused`))
  noSecrets(http.stdout, http.stderr, https.stdout, https.stderr)
  assert.not.match(http.stderr + https.stderr, PROXY_USER)
})

test.run()
