// Renewals of one login by several processes at once, against the reference server (its reuse
// interval off, so a replayed refresh token would end the grant):
// - 20 processes resolve a login whose user token ran out: one refresh grant, every one handed
//   the renewed token, none the expired one;
// - a renewer stopped (SIGSTOP) right after its refresh went out, past the lock's stale time,
//   while another process works: that process neither replays the refresh token nor takes an
//   expired token, the stopped one writes its answer once resumed, and the grant lives.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { login, resolveCredentials } from '../../../effects/node/api.js'
import { parseCredentialFile, serializeCredentialFile } from '../../../effects/store/credential-file.js'
import { tempDir } from '../../support/effects.js'
import { referenceServerFor, request } from '../../support/server.js'
import { hasStrace, startStoreChild } from '../../support/store-files.js'
import { sleep, timeout } from '../../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }
const ref = referenceServerFor(test, { users: [ADA], refreshReuseSeconds: 0 })
const STALE_MS = 1_500

// The server logs the refresh grant as it arrives; on a loaded machine the renewer can have the
// answer written before the SIGSTOP sent then lands, and is no longer stopped mid-renewal. Its
// renames slowed, the stop lands before the answer is in the file.
const stoppable = hasStrace() ? { slow: { syscall: 'rename' as const, ms: 1_000 } } : {}

const read = (file: string) => parseCredentialFile(readFileSync(file, 'utf8'), file)
const fingerprint = (token: string) => createHash('sha256').update(token).digest('hex').slice(0, 12)
const userTokenWorks = async (token: string) => (await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })).status === 200
const refreshGrants = (since: number) => ref.server.requests.slice(since).filter((e) => e.grantType === 'refresh_token')

/** A logged-in home whose file says the user token ends at `endsAt`. */
const loggedIn = async (endsAt: number) => {
  const base = tempDir('omicos-renewal-races-')
  const home = join(base, 'home')
  const ws = join(base, 'project')
  mkdirSync(join(ws, '.git'), { recursive: true })
  const out = await timeout(login({ server: ref.server.url, home, cwd: ws, env: {}, email: ADA.email, password: ADA.password, prompts: false }), 20_000, 'login')
  assert.is(out.kind, 'loggedIn')
  const file = join(home, 'cloud_login.json')
  writeFileSync(file, serializeCredentialFile({ ...read(file), user_token_expires_at: new Date(endsAt).toISOString() }), { mode: 0o600 })
  return { home, ws, file, loc: { home, cwd: ws, env: {} } }
}

test('20 processes resolve a login whose user token ran out: one refresh grant, each handed the renewed token', async () => {
  const { home, ws, file } = await loggedIn(Date.now() - 60_000)
  const since = ref.server.requests.length
  const children = Array.from({ length: 20 }, () => startStoreChild('renew', { home, cwd: ws, file }))
  const results = await Promise.all(children.map((child) => child.done))
  const lines = results.map((r) => r.lines.find((line) => line.startsWith('resolved ')) ?? r.lines.join(' | '))
  assert.is(refreshGrants(since).length, 1, `one refresh grant (${lines.join('; ')})`)
  const stored = read(file)
  for (const line of lines) {
    const match = /^resolved (renewed|same) left=(-?\d+) token=([0-9a-f]{12})$/.exec(line)
    assert.ok(match, `every process was handed a login: ${line}`)
    assert.ok(Number(match![2]) > 86_400_000, `none an expired or nearly expired token: ${line}`)
    assert.is(match![3], fingerprint(stored.user_token), 'each the one in the file')
  }
  assert.ok(await userTokenWorks(stored.user_token))
})

test('a renewer stopped past the stale time: the others use the user token meanwhile, it writes its answer when resumed, the grant lives', async () => {
  const previous = process.env.OMICOS_LOCK_STALE_MS
  process.env.OMICOS_LOCK_STALE_MS = String(STALE_MS)
  try {
    const { home, ws, file, loc } = await loggedIn(Date.now() + 3_600_000)
    const before = read(file)
    const since = ref.server.requests.length
    const child = startStoreChild('renew', { home, cwd: ws, file }, stoppable)
    const pid = await child.pid
    const sent = async () => {
      while (refreshGrants(since).length === 0) await sleep(1)
    }
    await timeout(sent(), 20_000, 'the renewal going out')
    process.kill(pid, 'SIGSTOP')
    try {
      // Another process works past the stale time: it takes the lock over, and uses the login as it is.
      const until = Date.now() + STALE_MS * 2
      let resolved = 0
      while (Date.now() < until) {
        const active = await timeout(resolveCredentials(loc), 10_000, 'resolveCredentials while the renewer is stopped')
        assert.is(active?.credentials.user_token, before.user_token, 'the user token in the file, still good')
        resolved++
        await sleep(200)
      }
      assert.ok(resolved > 0)
      assert.is(refreshGrants(since).length, 1, 'the spent refresh token was not sent again')
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    const done = await child.done
    assert.ok(
      done.lines.some((line) => line.startsWith('resolved renewed')),
      done.lines.join(' | '),
    )
    const after = read(file)
    assert.is.not(after.refresh_token, before.refresh_token)
    assert.is(after.renewing_since, undefined, 'no renewal in doubt')
    assert.ok(await userTokenWorks(after.user_token), 'the file holds a working user token')
    const next = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: after.refresh_token!, client_id: 'omicos-cli' } })
    assert.is(next.status, 200, 'and a refresh token the grant still takes')
  } finally {
    if (previous === undefined) delete process.env.OMICOS_LOCK_STALE_MS
    else process.env.OMICOS_LOCK_STALE_MS = previous
  }
})

test('a renewer stopped while the user token has run out: another process is told a renewal is under way, never handed the expired token, and gets the renewed one after', async () => {
  const previous = process.env.OMICOS_LOCK_STALE_MS
  process.env.OMICOS_LOCK_STALE_MS = String(STALE_MS)
  try {
    const { home, ws, file, loc } = await loggedIn(Date.now() - 60_000)
    const since = ref.server.requests.length
    const child = startStoreChild('renew', { home, cwd: ws, file }, stoppable)
    const pid = await child.pid
    const sent = async () => {
      while (refreshGrants(since).length === 0) await sleep(1)
    }
    await timeout(sent(), 20_000, 'the renewal going out')
    process.kill(pid, 'SIGSTOP')
    try {
      await sleep(STALE_MS + 500)
      const error = await timeout(
        resolveCredentials(loc).then(
          () => null,
          (e) => e,
        ),
        10_000,
        'resolveCredentials',
      )
      assert.is(error?.reason, 'renewalInFlight', `refused while the renewer is stopped: ${error?.message}`)
      assert.is(refreshGrants(since).length, 1, 'the spent refresh token was not sent again')
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    const done = await child.done
    assert.ok(
      done.lines.some((line) => line.startsWith('resolved renewed')),
      done.lines.join(' | '),
    )
    const active = await timeout(resolveCredentials(loc), 10_000, 'resolveCredentials after')
    assert.ok(await userTokenWorks(active!.credentials.user_token))
    assert.ok(Date.parse(active!.credentials.user_token_expires_at!) > Date.now() + 86_400_000)
  } finally {
    if (previous === undefined) delete process.env.OMICOS_LOCK_STALE_MS
    else process.env.OMICOS_LOCK_STALE_MS = previous
  }
})

test.run()
