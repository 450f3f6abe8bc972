// `omicos login` against an https server whose certificate comes from a CA made with openssl
// in the test (an https front for the reference server): the login works with the CA given by
// each of NODE_EXTRA_CA_CERTS, SSL_CERT_FILE and OMICOS_CA_BUNDLE, fails cleanly without it
// (exit 3), and a bundle that cannot be used is exit 2 naming the file.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findSecret, runCli, type CliSandbox } from '../support/cli.js'
import { assertOneLineError } from '../support/cli-login.js'
import { pairingSpec } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { makeTestCa, startTlsFront, type TestCa, type TlsFront } from '../support/test-ca.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

const { sandbox, ref } = pairingSpec(test)
let ca: TestCa
let front: TlsFront

test.before(async () => {
  ca = makeTestCa()
  front = await startTlsFront(ca, ref.server.url)
})

test.after(async () => {
  await front?.close()
  ca?.cleanup()
})

const boxWith = (env: NodeJS.ProcessEnv): CliSandbox => {
  const box = sandbox()
  for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'OMICOS_CA_BUNDLE']) delete box.env[name]
  Object.assign(box.env, env)
  return box
}

const login = (box: CliSandbox) =>
  runCli(['login', '--server', front.url, '--email', ada.email, '--password-stdin'], {
    cwd: box.workspace,
    env: box.env,
    input: `${ada.password}\n`,
    timeoutMs: 30_000,
  })

for (const variable of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'OMICOS_CA_BUNDLE']) {
  test(`${variable} naming the CA: the login over https succeeds`, async () => {
    const seen = front.requests.length
    const box = boxWith({ [variable]: ca.caFile })
    const result = await login(box)
    assert.is(result.code, 0, result.stderr)
    assert.ok(front.requests.slice(seen).includes('POST /token'), 'the password went to the https server')
    const saved = JSON.parse(readFileSync(join(box.home, 'cloud_login.json'), 'utf8'))
    assert.is(saved.server, front.url)
    assert.is(findSecret([result.stdout, result.stderr], [ada.password]), null)
  })
}

test('a bundle with other certificates besides the CA works (SSL_CERT_FILE as a system bundle)', async () => {
  const bundle = join(ca.dir, 'system-bundle.pem')
  const { rootCertificates } = await import('node:tls')
  writeFileSync(bundle, [...rootCertificates.slice(0, 3), readFileSync(ca.caFile, 'utf8')].join('\n'))
  const result = await login(boxWith({ SSL_CERT_FILE: bundle }))
  assert.is(result.code, 0, result.stderr)
})

// The words of the message (which also name the three variables) are effects/client/http.ts's;
// what this file holds to is that the TLS code reaches it: the reason is the untrusted issuer.
test('without the CA: exit 3, one line naming the host and the TLS reason; nothing sent', async () => {
  const seen = front.requests.length
  const result = await login(boxWith({}))
  assertOneLineError(result, 3, /127\.0\.0\.1:\d+.*TLS error.*(not trusted|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/)
  assert.is(front.requests.length, seen, 'no request got through')
})

test('an unusable bundle is exit 2 naming the variable and the file: missing, empty, not PEM, a folder, unreadable', async () => {
  const dir = join(ca.dir, 'bad')
  mkdirSync(dir, { recursive: true })
  const empty = join(dir, 'empty.pem')
  writeFileSync(empty, '')
  const garbage = join(dir, 'garbage.pem')
  writeFileSync(garbage, 'not a certificate\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
  const cases: Array<[string, string, RegExp]> = [
    ['OMICOS_CA_BUNDLE', join(dir, 'missing.pem'), /no such file/],
    ['SSL_CERT_FILE', empty, /holds no PEM certificate/],
    ['OMICOS_CA_BUNDLE', garbage, /holds no PEM certificate/],
    ['SSL_CERT_FILE', dir, /folder|cannot be read/],
  ]
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!asRoot) {
    const locked = join(dir, 'locked.pem')
    writeFileSync(locked, readFileSync(ca.caFile))
    chmodSync(locked, 0o000)
    cases.push(['OMICOS_CA_BUNDLE', locked, /permission denied/])
  }
  for (const [variable, file, why] of cases) {
    const seen = front.requests.length
    const result = await login(boxWith({ [variable]: file }))
    assertOneLineError(result, 2)
    assert.ok(result.stderr.includes(`${variable}=${file}: `), `${variable} and ${file} named: ${result.stderr}`)
    assert.match(result.stderr, why)
    assert.is(front.requests.length, seen, 'nothing was sent')
  }
})

test.run()
