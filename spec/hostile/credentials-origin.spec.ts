// Credentials only to the issuer's origin: the reference server behind a listener whose
// discovery document names another origin for one endpoint that receives a credential (the
// token endpoint gets the password, the account and process endpoints the user token, the
// revocation endpoint every stored token). Each run is refused with exit 6 naming both origins
// before any credential is sent (logout still removes the files, and keeps the tokens for a
// later revocation); the other origin's listener counts what reached it: nothing. And an issuer
// with a path is discovered where RFC 8414 section 3.1 says.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE } from '../support/cli-login.js'
import { sendJson, startCountingServer } from '../support/hostile-server.js'
import { hostileLoginSpec } from '../support/hostile-login.js'
import { assertNoLiveTokenUnheld } from '../support/live-tokens.js'
import { timeout } from '../support/wait.js'

const { ref, sandbox, leaks, hostile, login, loggedIn, assertNoSecretIn } = hostileLoginSpec(test)
let elsewhere: Awaited<ReturnType<typeof startCountingServer>>

test.before(async () => {
  elsewhere = await startCountingServer()
})
test.after(async () => {
  await elsewhere?.close()
})

/** Discovery names `value` for `key`; the rest is the reference server's. */
const advertise = (key: string, value: (url: string) => string) =>
  hostile.on('GET /.well-known/oauth-authorization-server', async ({ forward, res, url }) => {
    sendJson(res, 200, { ...(await forward()).json(), [key]: value(url) })
  })

const offOrigin = (key: string, origin: string) =>
  new RegExp(
    `advertises its ${key} on ${origin.replace(/[.:/]/g, '\\$&')}, not on the issuer's origin http://127\\.0\\.0\\.1:\\d+; credentials go only to the issuer, and nothing was sent`,
  )

for (const [key, path] of [
  ['token_endpoint', '/token'],
  ['omicos_account_endpoint', '/omicos/account'],
  ['omicos_process_endpoint', '/omicos/processes'],
] as const) {
  test(`login --force, ${key} on another port: exit 6 naming both origins, nothing reaches it, the file unchanged`, async () => {
    const { box, file, before, since } = await loggedIn()
    const hits = elsewhere.hits.length
    const earlier = hostile.requests.length
    advertise(key, () => `${elsewhere.url}${path}`)
    const result = await login(box, ['--force'])
    assertOneLineError(result, 6, offOrigin(key, elsewhere.url))
    assert.is(elsewhere.hits.length, hits, 'the other origin got no request')
    const after = hostile.requests.slice(earlier)
    assert.not.ok(
      after.some((r) => r.body.includes('battery') || r.headers.authorization),
      'no credential was sent anywhere',
    )
    assertNoSecretIn(result)
    assert.equal(bytesOf(file), before)
    await assertNoLiveTokenUnheld(ref, hostile, [box], since)
  })
}

test('login, a token endpoint on a look-alike host: exit 6 before the password is sent', async () => {
  const box = sandbox()
  const tokenRequests = hostile.seen('POST /token').length
  advertise('token_endpoint', () => 'https://auth.omicos.cn.evil.example/token')
  const result = await login(box)
  assertOneLineError(result, 6, offOrigin('token_endpoint', 'https://auth.omicos.cn.evil.example'))
  assert.is(hostile.seen('POST /token').length, tokenRequests)
  assertNoSecretIn(result)
  assert.not.ok(existsSync(join(box.home, CREDENTIAL_FILE)))
})

test('--logout, a revocation endpoint on another port: no token goes there; the files go, the tokens are queued', async () => {
  const { box, file, since, credentials } = await loggedIn()
  const hits = elsewhere.hits.length
  advertise('revocation_endpoint', () => `${elsewhere.url}/token/revocation`)
  const result = await leaks.run(['login', '--logout'], { cwd: box.workspace, env: box.env, timeoutMs: 30_000 })
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout + result.stderr, /could not be told/)
  assert.is(elsewhere.hits.length, hits, 'the other origin got no request')
  assert.not.ok(existsSync(file))
  assertNoSecretIn(result)
  const queued = JSON.parse(readFileSync(join(box.home, 'revocations.json'), 'utf8')).entries.flatMap((e: { tokens: string[] }) => e.tokens)
  for (const token of [credentials.user_token, credentials.process_token]) assert.ok(queued.includes(token), 'kept for a later revocation')
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)
})

test('an issuer with a path is discovered at /.well-known/oauth-authorization-server/<path> (RFC 8414 section 3.1)', async () => {
  const box = sandbox()
  const since = hostile.answers.length
  hostile.on('GET /.well-known/oauth-authorization-server/tenant', async ({ res, url }) => {
    const upstream = await timeout(fetch(`${ref.server.url}/.well-known/oauth-authorization-server`), 10_000, 'metadata')
    const text = (await upstream.text()).split(ref.server.url).join(url)
    sendJson(res, 200, { ...JSON.parse(text), issuer: `${url}/tenant` })
  })
  const result = await login(box, [], { server: `${hostile.url}/tenant` })
  assert.is(result.code, 0, result.stderr)
  assert.is(hostile.seen('GET /.well-known/oauth-authorization-server/tenant').length, 1)
  assert.is(hostile.seen('GET /tenant/.well-known/oauth-authorization-server').length, 0, 'the path is not put before the well-known part')
  const stored = leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
  assert.is(stored.server, `${hostile.url}/tenant`)
  await assertNoLiveTokenUnheld(ref, hostile, [box], since)

  // The document found there must speak for that issuer, path included.
  const other = sandbox()
  hostile.on('GET /.well-known/oauth-authorization-server/tenant', async ({ res, url }) => {
    const upstream = await timeout(fetch(`${ref.server.url}/.well-known/oauth-authorization-server`), 10_000, 'metadata')
    sendJson(res, 200, JSON.parse((await upstream.text()).split(ref.server.url).join(url)))
  })
  const refused = await login(other, [], { server: `${hostile.url}/tenant` })
  assertOneLineError(refused, 6, /metadata for another issuer than http:\/\/127\.0\.0\.1:\d+\/tenant\b.*; nothing was sent to it/)
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
