// A renewal answer refused after the server acted (the reference server behind a listener that
// rewrites its refresh answer): the server rotated the refresh token and issued a user token,
// so what the answer carried is revoked (or queued when revocation fails), the file stays
// byte-identical, and the login is said to be over, because the stored refresh token is spent.
// Asked of the server after each run: no token of that answer still works.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findSecret } from '../support/cli.js'
import { assertOneLineError, bytesOf } from '../support/cli-login.js'
import { sendJson } from '../support/hostile-server.js'
import { hostileLoginSpec } from '../support/hostile-login.js'
import { CLIENT_ID, request } from '../support/server.js'

const { ref, leaks, hostile, loggedIn } = hostileLoginSpec(test)

/** Logged in through the listener, with a file that says the user token ends within the hour. */
const nearItsEnd = async () => {
  const { box, file, credentials: stored } = await loggedIn()
  writeFileSync(file, `${JSON.stringify({ ...stored, user_token_expires_at: new Date(Date.now() + 3_600_000).toISOString() }, null, 2)}\n`, { mode: 0o600 })
  return { box, file, stored, before: bytesOf(file) }
}

const userTokenWorks = async (token: string) => (await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })).status === 200
const refreshWorks = async (token: string) =>
  (await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: token, client_id: CLIENT_ID } })).status === 200

/** Scripts the refresh answer: the real one, passed through `change`; returns what the server issued. */
const refuseRenewal = (change: (body: Record<string, unknown>) => Record<string, unknown>) => {
  const issued: Array<Record<string, unknown>> = []
  hostile.on('POST /token', async (ctx) => {
    if (!ctx.req.body.includes('grant_type=refresh_token')) return ctx.delegate()
    const upstream = await ctx.forward()
    const body = upstream.json()
    issued.push(body)
    sendJson(ctx.res, 200, change({ ...body }))
  })
  return issued
}

for (const [what, change] of [
  ['expires_in 0', (body: Record<string, unknown>) => ({ ...body, expires_in: 0 })],
  ['no token_type', (body: Record<string, unknown>) => ({ ...body, token_type: undefined })],
] as const) {
  test(`--status --verify, a renewal answer with ${what}: exit 6, log in again, the file byte-identical, no token of the answer alive`, async () => {
    const { box, file, stored, before } = await nearItsEnd()
    const issued = refuseRenewal(change)
    const result = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: box.env, timeoutMs: 30_000 })
    assertOneLineError(result, 6, /log in again/)
    assert.is(issued.length, 1, 'one refresh went out')
    const answer = issued[0]!
    assert.equal(bytesOf(file), before, 'the file is as it was')
    assert.not.ok(await userTokenWorks(answer.access_token as string), 'the new user token was revoked')
    assert.not.ok(await refreshWorks(answer.refresh_token as string), 'the new refresh token was revoked')
    assert.not.ok(await refreshWorks(stored.refresh_token as string), 'the stored refresh token is spent')
    assert.not.ok(existsSync(join(box.home, 'revocations.json')), 'nothing left to queue')
    const found = findSecret(
      [result.stdout, result.stderr],
      [stored.user_token, stored.refresh_token ?? '', answer.access_token as string, answer.refresh_token as string],
    )
    assert.is(found, null)
  })
}

test("--status --verify, a refused renewal answer and a revocation endpoint that fails: the answer's tokens are queued, then revoked by the next online command", async () => {
  const { box, file, before } = await nearItsEnd()
  const issued = refuseRenewal((body) => ({ ...body, expires_in: 0 }))
  hostile.on('POST /token/revocation', ({ res }) => sendJson(res, 503, { error: 'temporarily_unavailable' }))
  const result = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: box.env, timeoutMs: 30_000 })
  assertOneLineError(result, 6, /log in again/)
  assert.equal(bytesOf(file), before)
  const answer = issued[0]!
  const queue = join(box.home, 'revocations.json')
  assert.ok(existsSync(queue), 'the tokens wait in the revocation queue')
  const queued = readFileSync(queue, 'utf8')
  assert.ok(queued.includes(answer.refresh_token as string) && queued.includes(answer.access_token as string))
  hostile.reset()
  // The next command that goes online takes the queue: logout revokes what is queued.
  const out = await leaks.run(['login', '--logout'], { cwd: box.workspace, env: box.env, timeoutMs: 30_000 })
  assert.is(out.code, 0, out.stderr)
  assert.not.ok(await userTokenWorks(answer.access_token as string))
  assert.not.ok(await refreshWorks(answer.refresh_token as string))
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
