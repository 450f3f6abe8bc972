// The refresh-token reuse interval (server/oauth/refresh-reuse.ts, --refresh-reuse-seconds): a
// spent refresh token presented again within the interval is honoured, and the tokens its lost
// answer carried are destroyed; past the interval, or after its successor was used, a replay
// ends the grant as the library does; with the interval off, every replay does.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { CLIENT_ID, DEFAULT_USERS, passwordLogin, request, withReferenceServer, type ReferenceServer } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

const refresh = (ref: ReferenceServer, token: string) =>
  request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: token, client_id: CLIENT_ID } })
const works = async (ref: ReferenceServer, accessToken: string) =>
  (await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${accessToken}` } })).status === 200
const refreshes = async (ref: ReferenceServer, token: string) => (await refresh(ref, token)).status === 200

const withServer = async (reuse: number | undefined, body: (ref: ReferenceServer) => Promise<void>) => {
  const ref = await withReferenceServer(reuse === undefined ? {} : { refreshReuseSeconds: reuse })
  try {
    await body(ref)
  } finally {
    await ref.stop()
  }
}

test("within the interval a spent refresh token is honoured; the lost answer's tokens are dead, the new ones live", () =>
  withServer(30, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    const lost = await refresh(ref, r1)
    assert.is(lost.status, 200, lost.text)
    const again = await refresh(ref, r1)
    assert.is(again.status, 200, again.text)
    assert.is.not(again.body.refresh_token, lost.body.refresh_token)
    assert.ok(await works(ref, again.body.access_token), "the honoured answer's user token works")
    assert.not.ok(await works(ref, lost.body.access_token), "the lost answer's user token is gone")
    assert.not.ok(await refreshes(ref, lost.body.refresh_token), "the lost answer's refresh token is gone")
    // The grant lives: the honoured answer's refresh token renews, and then R1 is a real replay.
    const next = await refresh(ref, again.body.refresh_token)
    assert.is(next.status, 200, next.text)
    assert.ok(await works(ref, next.body.access_token))
  }))

test('a replay after the successor was used ends the grant, inside the interval too', () =>
  withServer(30, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    const first = await refresh(ref, r1)
    const second = await refresh(ref, first.body.refresh_token)
    assert.is(second.status, 200)
    const replay = await refresh(ref, r1)
    assert.is(replay.status, 400)
    assert.is(replay.body.error, 'invalid_grant')
    assert.not.ok(await works(ref, second.body.access_token), 'the grant was revoked')
  }))

test('past the interval a replay ends the grant', () =>
  withServer(1, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    const first = await refresh(ref, r1)
    assert.is(first.status, 200)
    // The interval counts whole seconds from the first use: 2.5 s is past it whatever the rounding.
    await sleep(2_500)
    const replay = await refresh(ref, r1)
    assert.is(replay.body?.error, 'invalid_grant')
    assert.not.ok(await works(ref, first.body.access_token), 'the grant was revoked')
  }))

test('the interval runs from the first use, however often the token is honoured', () =>
  withServer(2, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    let last = await refresh(ref, r1)
    assert.is(last.status, 200)
    const started = Date.now()
    // Honoured again and again while the interval lasts; refused once it is over.
    const untilRefused = async () => {
      for (;;) {
        const answer = await refresh(ref, r1)
        if (answer.status !== 200) return answer
        last = answer
        await sleep(300)
      }
    }
    const refused = await timeout(untilRefused(), 15_000, 'the interval ending')
    assert.is(refused.body.error, 'invalid_grant')
    assert.ok(Date.now() - started >= 1_000, 'honoured at least during the first second')
  }))

test("with --refresh-reuse-seconds 0 every replay ends the grant (the library's own rule)", () =>
  withServer(0, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    const first = await refresh(ref, r1)
    assert.is(first.status, 200)
    const replay = await refresh(ref, r1)
    assert.is(replay.body.error, 'invalid_grant')
    assert.not.ok(await works(ref, first.body.access_token))
  }))

test('the default interval is on: an immediate replay is honoured', () =>
  withServer(undefined, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    assert.ok(await refreshes(ref, r1))
    const again = await refresh(ref, r1)
    assert.is(again.status, 200, again.text)
    assert.ok(await works(ref, again.body.access_token))
  }))

test('two replays at once: one is honoured, the other refused without ending the grant', () =>
  withServer(30, async (ref) => {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    const r1 = login.body.refresh_token as string
    assert.ok(await refreshes(ref, r1))
    const answers = await Promise.all([refresh(ref, r1), refresh(ref, r1)])
    const ok = answers.filter((a) => a.status === 200)
    assert.ok(ok.length >= 1, 'at least one is honoured')
    for (const answer of ok) assert.ok((await works(ref, answer.body.access_token)) || ok.length > 1)
    assert.ok((await Promise.all(ok.map((a) => works(ref, a.body.access_token)))).some(Boolean), 'the grant lives')
  }))

test.run()
