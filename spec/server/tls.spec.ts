// The reference server over TLS, and behind a TLS-terminating proxy: a CA and a server
// certificate for 127.0.0.1/localhost are made here with openssl, the bin serves https with
// them, and a client that trusts the CA reads discovery and starts a pairing. --issuer makes
// discovery and the pairing addresses name the public address instead of the listening one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { startServer } from '../../server/index.js'
import { DEFAULT_USERS, makeDataDir, passwordLogin, request, requestDeviceCode, withReferenceServer } from '../support/server.js'
import { timeout } from '../support/wait.js'

const BIN = resolve('dist/server/main.js')
const dir = mkdtempSync(join(tmpdir(), 'omicos-server-tls-'))
const file = (name: string) => join(dir, name)

function openssl(args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  assert.is(result.status, 0, `openssl ${args.join(' ')}: ${result.stderr}`)
}

test.before(() => {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=omicos test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'])
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n')
  openssl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ])
})

test.after(() => {
  rmSync(dir, { recursive: true, force: true })
})

/** One https request with the test CA (or none) trusted; the body parsed as JSON. */
function getJson(url: string, ca: string | undefined, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  const body = init.form && new URLSearchParams(init.form).toString()
  return timeout(
    new Promise((resolvePromise, reject) => {
      const req = httpsRequest(
        url,
        {
          method: init.method ?? (body ? 'POST' : 'GET'),
          ca: ca === undefined ? undefined : [ca],
          headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (d) => (text += d))
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }))
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    }),
    10_000,
    `${init.method ?? 'GET'} ${url}`,
  )
}

const readCa = () => readFileSync(file('ca.pem'), 'utf8')

function startBin(args: string[]): { child: ChildProcess; lines: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  return { child, lines: () => stdout, stderr: () => stderr }
}

function waitFor(run: ReturnType<typeof startBin>, pattern: RegExp): Promise<RegExpExecArray> {
  return timeout(
    new Promise((resolvePromise, reject) => {
      const check = () => {
        const match = pattern.exec(run.lines())
        if (match) resolvePromise(match)
      }
      run.child.stdout!.on('data', check)
      run.child.on('close', (code) => reject(new Error(`exited ${code}: ${run.lines()} ${run.stderr()}`)))
      check()
    }),
    20_000,
    `waiting for ${pattern}`,
  )
}

async function stopBin(run: ReturnType<typeof startBin>): Promise<number | null> {
  if (run.child.exitCode !== null) return run.child.exitCode
  const exited = new Promise<number | null>((resolvePromise) => run.child.on('close', (code) => resolvePromise(code)))
  run.child.kill('SIGTERM')
  return timeout(exited, 10_000, 'the server exiting').finally(() => run.child.kill('SIGKILL'))
}

test('start --tls-cert --tls-key serves https: discovery and a pairing over TLS with the CA trusted', async () => {
  const dataDir = makeDataDir()
  const run = startBin(['--data', dataDir, '--tls-cert', file('server.pem'), '--tls-key', file('server.key')])
  try {
    const [, port] = await waitFor(run, /^listening on https:\/\/127\.0\.0\.1:(\d+)\n/)
    const url = `https://127.0.0.1:${port}`
    const ca = readCa()
    const discovery = await getJson(`${url}/.well-known/oauth-authorization-server`, ca)
    assert.is(discovery.status, 200)
    assert.is(discovery.body.issuer, url)
    assert.is(discovery.body.token_endpoint, `${url}/token`)
    assert.is(discovery.body.device_authorization_endpoint, `${url}/device/auth`)
    const device = await getJson(`${url}/device/auth`, ca, { form: { client_id: 'omicos-cli', scope: 'openid' } })
    assert.is(device.status, 200)
    assert.is(device.body.verification_uri, `${url}/device`)
    assert.ok(device.body.verification_uri_complete.startsWith(`${url}/device?user_code=`))
    // localhost is in the certificate too.
    const byName = await getJson(`https://localhost:${port}/.well-known/oauth-authorization-server`, ca)
    assert.is(byName.status, 200)
    // Without the CA the certificate is not trusted.
    const untrusted = await getJson(`${url}/.well-known/oauth-authorization-server`, undefined).then(
      () => 'trusted',
      (error: NodeJS.ErrnoException) => error.code ?? error.message,
    )
    assert.match(untrusted, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/)
    assert.is(await stopBin(run), 0)
    assert.is(run.lines(), `listening on ${url}\n`)
  } finally {
    run.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('--issuer: the bin prints it, and discovery names it over TLS too', async () => {
  const dataDir = makeDataDir()
  const run = startBin(['--data', dataDir, '--tls-cert', file('server.pem'), '--tls-key', file('server.key'), '--issuer', 'https://auth.example.test'])
  try {
    const [, port] = await waitFor(run, /^listening on https:\/\/127\.0\.0\.1:(\d+)\nissuer https:\/\/auth\.example\.test\n/)
    const discovery = await getJson(`https://127.0.0.1:${port}/.well-known/openid-configuration`, readCa())
    assert.is(discovery.body.issuer, 'https://auth.example.test')
    assert.is(discovery.body.token_endpoint, 'https://auth.example.test/token')
    assert.is(await stopBin(run), 0)
  } finally {
    run.child.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('--issuer behind a TLS-terminating proxy: discovery, the pairing addresses and the omicOS routes name the public address', async () => {
  const public_ = 'https://auth.example.test:8443'
  const ref = await withReferenceServer({ issuer: `${public_}/` })
  try {
    const { server } = ref
    assert.is(server.url, public_)
    assert.match(server.address, /^http:\/\/127\.0\.0\.1:\d+$/)
    // The requests go to the listening address, as the proxy's would; a client's own
    // forwarded headers change nothing.
    const direct = { ...server, url: server.address }
    const discovery = await request(direct, '/.well-known/oauth-authorization-server', {
      headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
    })
    assert.is(discovery.body.issuer, public_)
    for (const key of ['token_endpoint', 'device_authorization_endpoint', 'revocation_endpoint', 'jwks_uri', 'omicos_account_endpoint', 'omicos_process_endpoint']) {
      assert.ok(String(discovery.body[key]).startsWith(`${public_}/`), `${key}: ${discovery.body[key]}`)
    }
    const device = await requestDeviceCode(direct)
    assert.is(device.status, 200)
    assert.is(device.body.verification_uri, `${public_}/device`)
    assert.is(device.body.verification_uri_complete, `${public_}/device?user_code=${encodeURIComponent(device.body.user_code)}`)
    // The token endpoint still answers through the forwarded view.
    const login = await passwordLogin(direct, DEFAULT_USERS[0]!.email, DEFAULT_USERS[0]!.password)
    assert.is(login.status, 200)
    const account = await request(direct, '/omicos/account', { headers: { authorization: `Bearer ${login.body.access_token}` } })
    assert.is(account.status, 200)
  } finally {
    await ref.stop()
  }
})

test('bad TLS and issuer options are refused before anything starts', async () => {
  const dataDir = makeDataDir()
  const runs: Array<[string[], number, RegExp]> = [
    [['--tls-cert', file('server.pem')], 2, /--tls-cert and --tls-key go together/],
    [['--issuer', 'https://auth.example.test/base'], 2, /--issuer must be an origin/],
    [['--issuer', 'ftp://auth.example.test'], 2, /--issuer must be an origin/],
    [['--tls-cert', file('missing.pem'), '--tls-key', file('server.key')], 1, /cannot read the TLS certificate .*missing\.pem: ENOENT/],
    [['--tls-cert', file('server.key'), '--tls-key', file('server.pem')], 1, /TLS certificate and key cannot be used/],
  ]
  try {
    for (const [args, code, message] of runs) {
      const run = startBin(['--data', dataDir, ...args])
      const exited = await timeout(new Promise<number | null>((r) => run.child.on('close', (c) => r(c))), 20_000, `start ${args.join(' ')}`).finally(() =>
        run.child.kill('SIGKILL'),
      )
      assert.is(exited, code, `${args.join(' ')}: ${run.stderr()}`)
      assert.match(run.stderr(), message)
      assert.is(run.lines(), '')
    }
    let refused = ''
    await startServer({ dataDir, port: 0, issuer: 'https://a.example/path' }).then(
      (s) => s.close(),
      (error: Error) => (refused = error.message),
    )
    assert.match(refused, /origin/)
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test.run()
