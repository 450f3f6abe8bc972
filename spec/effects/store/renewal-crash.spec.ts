// A user-token renewal killed with SIGKILL at random instants around the server's answer, its
// fsyncs or renames slowed by strace in most rounds, then the next operation
// (resolveCredentials) in this process. After each round the server is asked, in its own
// store, which tokens of the login's grant still work: none that no file holds (the replaced
// user token excepted: it is not revoked by design, renew-login.ts). Whenever the answer had
// reached a temp, the login renews. The one window left, the answer received and nothing yet
// written, is counted: without a reuse interval the login ends there ("log in again",
// renewalLost); with the reference server's interval on, every round renews.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { login, resolveCredentials } from '../../../effects/node/api.js'
import { nodeFetch } from '../../../effects/node/node-fetch.js'
import { renewStoredLogin } from '../../../effects/node/renew-login.js'
import { parseCredentialFile, serializeCredentialFile } from '../../../effects/store/credential-file.js'
import { openStore, type Store } from '../../../server/storage/store.js'
import { tempDir } from '../../support/effects.js'
import { withReferenceServer, type ReferenceServer } from '../../support/server.js'
import { hasStrace, leftovers, startStoreChild, temps } from '../../support/store-files.js'
import { sleep, timeout } from '../../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }
const ROUNDS = Number(process.env.RENEWAL_CRASH_ROUNDS ?? 30)

if (!hasStrace()) console.log('note: strace is not installed: kills are not slowed into fsyncs and renames')

interface Figures {
  rounds: number
  slowed: number
  /** killed before the server answered: the old file, nothing spent */
  beforeAnswer: number
  /** the answer had reached a temp (and not the file): rolled forward by the next operation */
  inTemp: number
  /** the answer was in the file already */
  inFile: number
  /** the answer received and nothing written: the window */
  window: number
  /** rounds whose login renews afterwards */
  renews: number
  /** rounds that ended the login, each reported as renewalLost */
  lost: number
}

const place = () => {
  const base = tempDir('omicos-renewal-crash-')
  const home = join(base, 'home')
  const ws = join(base, 'project')
  mkdirSync(join(ws, '.git'), { recursive: true })
  return { home, ws, loc: { home, cwd: ws, env: {} }, file: join(home, 'cloud_login.json') }
}

const read = (file: string) => parseCredentialFile(readFileSync(file, 'utf8'), file)

/** Tokens of one grant that still work, in the server's own store. */
const liveTokens = async (store: Store, grantId: string, model: 'AccessToken' | 'RefreshToken'): Promise<string[]> => {
  const rows = await store.sql.all<{ id: string; payload: string }>('SELECT id, payload FROM oidc_models WHERE model = ? AND grant_id = ? AND consumed IS NULL', [
    model,
    grantId,
  ])
  const now = Date.now() / 1000
  return rows.filter((row) => (JSON.parse(row.payload) as { exp?: number }).exp! > now).map((row) => row.id)
}

const grantOf = async (store: Store, refreshToken: string): Promise<string> => {
  const row = await store.sql.get<{ grant_id: string }>('SELECT grant_id FROM oidc_models WHERE model = ? AND id = ?', ['RefreshToken', refreshToken])
  assert.ok(row?.grant_id, "the refresh token is in the server's store")
  return row!.grant_id
}

const crashRounds = async (reuseSeconds: number): Promise<Figures> => {
  const ref: ReferenceServer = await withReferenceServer({ users: [ADA], refreshReuseSeconds: reuseSeconds })
  const store = await openStore(ref.dataDir)
  const figures: Figures = { rounds: 0, slowed: 0, beforeAnswer: 0, inTemp: 0, inFile: 0, window: 0, renews: 0, lost: 0 }
  try {
    for (let r = 0; r < ROUNDS; r++) {
      figures.rounds++
      const { home, ws, loc, file } = place()
      const first = await timeout(
        login({ server: ref.server.url, home, cwd: ws, env: {}, email: ADA.email, password: ADA.password, prompts: false }),
        20_000,
        'login',
      )
      assert.is(first.kind, 'loggedIn')
      // An hour left by the file: every use renews it.
      const original = read(file)
      writeFileSync(file, serializeCredentialFile({ ...original, user_token_expires_at: new Date(Date.now() + 3_600_000).toISOString() }), { mode: 0o600 })
      const r1 = original.refresh_token!
      const grantId = await grantOf(store, r1)
      const heldUserTokens = new Set([original.user_token])

      const slow = hasStrace() && r % 3 !== 2 ? { syscall: (r % 3 === 0 ? 'fsync' : 'rename') as 'fsync' | 'rename', ms: 150 } : undefined
      if (slow) figures.slowed++
      const seen = ref.server.requests.length
      const child = startStoreChild('renew', { home, cwd: ws, file }, slow ? { slow } : {})
      await child.pid
      // Killed a random while after the server answered (or before, when the child is slower).
      const answered = async () => {
        while (!ref.server.requests.slice(seen).some((e) => e.grantType === 'refresh_token')) await sleep(2)
      }
      await timeout(answered(), 20_000, 'the refresh request').catch(() => {})
      await sleep(Math.random() * (slow ? 500 : 8))
      await child.kill()
      // A request the server was still handling when its client died: let it finish.
      await sleep(200)

      const spent = (await liveTokens(store, grantId, 'RefreshToken')).every((id) => id !== r1)
      const inFile = read(file).refresh_token !== r1
      const inTemp = temps(home).some((name) => {
        try {
          const text = readFileSync(join(home, name), 'utf8')
          return text.endsWith('}\n') && !text.includes(`"refresh_token": "${r1}"`)
        } catch {
          return false
        }
      })
      if (!spent) figures.beforeAnswer++
      else if (inFile) figures.inFile++
      else if (inTemp) figures.inTemp++
      else figures.window++
      heldUserTokens.add(read(file).user_token)

      // The next operation: a daemon resolving its credentials.
      let lostReason: string | undefined
      try {
        await timeout(resolveCredentials(loc), 20_000, 'resolveCredentials')
      } catch (error) {
        lostReason = (error as { reason?: string }).reason
      }
      const now = read(file)
      heldUserTokens.add(now.user_token)
      assert.equal(
        leftovers(home).filter((n) => !n.endsWith('.lock')),
        [],
        `round ${r}: no temp left`,
      )

      // No token of the grant alive that no file holds.
      const liveRefresh = await liveTokens(store, grantId, 'RefreshToken')
      assert.ok(
        liveRefresh.every((id) => id === now.refresh_token),
        `round ${r}: every live refresh token is the file's`,
      )
      const liveAccess = await liveTokens(store, grantId, 'AccessToken')
      assert.ok(
        liveAccess.every((id) => heldUserTokens.has(id)),
        `round ${r}: every live user token is or was the file's`,
      )

      // The login renews: a renewal as --status --verify makes after a 401.
      const renewed = await timeout(
        renewStoredLogin({ ...loc, fetch: nodeFetch(), seenUserToken: now.user_token, userTokenRefused: true }, file).catch((error) => error),
        20_000,
        'a renewal',
      )
      if (renewed?.kind === 'renewed') figures.renews++
      else {
        figures.lost++
        assert.ok(
          lostReason === 'renewalLost' || renewed?.reason === 'renewalLost',
          `round ${r}: a lost login is said as such (${lostReason}, ${renewed?.reason ?? renewed?.kind})`,
        )
        assert.ok(spent && !inFile && !inTemp, `round ${r}: only the window loses the login`)
        assert.equal(await liveTokens(store, grantId, 'RefreshToken'), [], 'and leaves nothing alive')
      }
    }
  } finally {
    await store.close()
    await ref.stop()
  }
  return figures
}

const say = (label: string, f: Figures) =>
  console.log(
    `  ${label}: ${f.rounds} kills (${f.slowed} slowed): ${f.beforeAnswer} before the answer, ${f.inTemp} with the answer in a temp (rolled forward), ${f.inFile} in the file, ${f.window} in the window (answer received, nothing written); ${f.renews} renew, ${f.lost} lost`,
  )

test(`kill -9 around a renewal's answer, ${ROUNDS} rounds, no reuse interval: every answer that reached a temp is rolled forward; only the window loses the login, said as such`, async () => {
  const figures = await crashRounds(0)
  say('reuse interval off', figures)
  assert.is(figures.renews + figures.lost, figures.rounds)
  assert.is(figures.lost, figures.window)
})

test(`kill -9 around a renewal's answer, ${ROUNDS} rounds, reuse interval 30 s: every round renews`, async () => {
  const figures = await crashRounds(30)
  say('reuse interval 30 s', figures)
  assert.is(figures.renews, figures.rounds)
})

test.run()
