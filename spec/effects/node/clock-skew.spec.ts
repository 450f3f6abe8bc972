// A host clock 2 days ahead of the server's, or 2 days behind (Debian's faketime, in the
// children only; the reference server keeps the true time): ten daemons refreshing their
// process token for 2 s (a round or more each, each checking its token with the server), register at most once (the one whose stored token has run
// out by the clock here), never once a refresh, because the server's absolute expires_at is
// moved by the skew its Date header shows. `--status --verify` says how far the clock is off.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../../support/cli-login.js'
import { fakeClockEnv, hasFaketime } from '../../support/faketime.js'
import { request } from '../../support/server.js'
import { startStoreChild } from '../../support/store-files.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const leaks = watchForLeaks()
const { ref, sandbox } = loginSpec(test, leaks, [ADA])

if (!hasFaketime()) console.log('note: faketime is not installed (apt-get install faketime): the clock specs are skipped')

const DAEMONS = 10
const registrations = (since: number) => ref.server.requests.slice(since).filter((e) => e.method === 'POST' && e.path === '/omicos/processes').length

for (const [offset, expected, word] of [
  ['+2d', 1, 'ahead of'],
  ['-2d', 0, 'behind'],
] as const) {
  test(`a clock ${offset}: ${DAEMONS} daemons refreshing for 2 s register ${expected === 1 ? 'once' : 'never'}, and their token works; status --verify reports the skew`, async () => {
    if (!hasFaketime()) return
    const box = sandbox()
    const first = await leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
      cwd: box.workspace,
      env: box.env,
      input: ADA.password,
      timeoutMs: 30_000,
    })
    assert.is(first.code, 0, first.stderr)
    const since = ref.server.requests.length
    const daemons = Array.from({ length: DAEMONS }, () =>
      startStoreChild(
        'daemon',
        { home: box.home, cwd: box.workspace, server: ref.server.url, forMs: 2_000, minValidityMs: 10 * 60_000, pauseMs: 100 },
        { env: fakeClockEnv(offset) },
      ),
    )
    const done = await Promise.all(daemons.map((d) => d.done))
    for (const d of done) {
      assert.is(d.code, 0, d.lines.join(' | '))
      // Each round of each daemon reads the last registration's token: a skew taken for an
      // expiry would register again in every one of them.
      assert.ok(
        d.lines.some((l) => /^done alive rounds=\d+$/.test(l)),
        `each daemon kept a live token: ${d.lines.join(' | ')}`,
      )
    }
    assert.is(registrations(since), expected, `registrations at ${offset}`)
    const stored = leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
    const current = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${stored.process_token}` } })
    assert.is(current.status, 200, 'the stored process token is the live one')

    const status = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: { ...box.env, ...fakeClockEnv(offset) }, timeoutMs: 30_000 })
    assert.is(status.code, 0, status.stderr)
    assert.match(status.stdout, new RegExp(`clock: this machine's clock is about 2 days ${word} the server's`), status.stdout)
    const json = await leaks.run(['login', '--status', '--verify', '--json'], {
      cwd: box.workspace,
      env: { ...box.env, ...fakeClockEnv(offset) },
      timeoutMs: 30_000,
    })
    const skew = JSON.parse(json.stdout).clock_skew_ms as number
    assert.ok(Math.abs(Math.abs(skew) - 2 * 86_400_000) < 60_000 && Math.sign(skew) === (offset.startsWith('+') ? 1 : -1), `clock_skew_ms ${skew}`)
  })
}

test('the true clock: status --verify says nothing of clocks', async () => {
  const box = sandbox()
  const first = await leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
    cwd: box.workspace,
    env: box.env,
    input: ADA.password,
    timeoutMs: 30_000,
  })
  assert.is(first.code, 0, first.stderr)
  const status = await leaks.run(['login', '--status', '--verify'], { cwd: box.workspace, env: box.env, timeoutMs: 30_000 })
  assert.is(status.code, 0, status.stderr)
  assert.not.match(status.stdout, /clock:/)
})

test('no secret in any output or file of the whole run', () => {
  leaks.assertNoLeak()
})

test.run()
