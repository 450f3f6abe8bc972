// A process-token refresh killed (SIGKILL) at random instants, also with its fsyncs or renames
// slowed down by strace, and a logout racing ten refreshing daemons, against the reference
// server. Afterwards the server is asked which process tokens of the login it still takes: only
// the one in the file, or none after a logout. A kill after the registration's answer reached a
// temp is rolled forward by the next operation's sweep; one between the answer and the temp
// leaves the file holding the token that registration replaced: the daemon's next heartbeat
// gets a 401 and refreshProcessToken's rejectedProcessToken registers again (which is what puts
// the token nothing holds to death: every registration replaces the last).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { logout, refreshProcessToken } from '../../../effects/node/api.js'
import { referenceServerFor, request, CLIENT_ID } from '../../support/server.js'
import {
  ADA,
  assertNoneHeldByNothing,
  liveProcessTokens,
  makeDue,
  processTokenWorks,
  readLogin,
  registrations,
  sharedLogin,
  userTokenWorks,
} from '../../support/shared-login.js'
import { hasStrace, leftovers, startStoreChild, type StoreChild, type ChildOptions } from '../../support/store-files.js'
import { sleep, timeout } from '../../support/wait.js'

const ref = referenceServerFor(test, { users: [ADA] })

const MIN_VALIDITY_MS = 60_000
const KILLS = { plain: 20, fsync: 15, rename: 15 }
const LOGOUT_ROUNDS = 8
const DAEMONS = 10

if (!hasStrace()) console.log('note: strace is not installed: the slowed kill rounds are skipped')

test(`kill -9 at random instants of a process-token refresh (${KILLS.plain} plain, ${KILLS.fsync} with fsync and ${KILLS.rename} with rename slowed): the file whole and 0600, and after the daemon's next heartbeat no live token held by nothing`, async () => {
  const login = await sharedLogin(ref)
  const go = join(login.home, '..', 'go')
  const figures = { rounds: 0, beforeAnswer: 0, rolledForward: 0, window: 0, written: 0, slowed: 0 }
  const plans: Array<{ slow?: ChildOptions['slow']; windowMs: number }> = [
    ...Array.from({ length: KILLS.plain }, () => ({ windowMs: 400 })),
    ...(hasStrace() ? Array.from({ length: KILLS.fsync }, () => ({ slow: { syscall: 'fsync' as const, ms: 150 }, windowMs: 900 })) : []),
    ...(hasStrace() ? Array.from({ length: KILLS.rename }, () => ({ slow: { syscall: 'rename' as const, ms: 150 }, windowMs: 800 })) : []),
  ]
  for (const [i, plan] of plans.entries()) {
    const what = `round ${i + 1}${plan.slow ? ` (${plan.slow.syscall} slowed)` : ''}`
    makeDue(login.file)
    const before = readLogin(login.file).process_token
    const child: StoreChild = startStoreChild('refresh', { ...login, server: ref.server.url, minValidityMs: MIN_VALIDITY_MS, go }, { slow: plan.slow })
    await child.waitFor(/^ready$/, 60_000)
    writeFileSync(go, '')
    await sleep(Math.random() * plan.windowMs)
    await child.kill()
    const done = child.lines.some((line) => line.startsWith('done '))
    require0600(login.file, what)
    const held = readLogin(login.file).process_token
    const live = await processTokenWorks(ref, held)
    figures.rounds++
    if (plan.slow) figures.slowed++
    const registered = registrations(ref)
    assert.ok(held !== before || !done, `${what}: a child that finished wrote its token`)
    // The daemon's next heartbeat: a 401 is said to refreshProcessToken, which replaces the token.
    const after = live
      ? await timeout(refreshProcessToken({ ...login.where, minValidityMs: MIN_VALIDITY_MS }), 30_000, 'the next refresh')
      : await timeout(refreshProcessToken({ ...login.where, minValidityMs: MIN_VALIDITY_MS, rejectedProcessToken: held }), 30_000, 'the refresh after a 401')
    assert.ok(after && (await processTokenWorks(ref, after.credentials.process_token)), `${what}: the daemon holds a live token`)
    if (held !== before) figures.written++
    else if (live) figures.beforeAnswer++
    // The registration's answer had reached a temp: the next refresh's sweep renamed it into place.
    else if (registrations(ref) === registered) figures.rolledForward++
    else figures.window++
    assert.is(readLogin(login.file).process_token, after!.credentials.process_token, `${what}: the one in the file`)
    await assertNoneHeldByNothing(ref, login.file, what)
    assert.equal(leftovers(login.home), [], `${what}: no temp or lock left after the next refresh`)
    rmGo(go)
  }
  console.log(
    `  ${figures.rounds} kills (${figures.slowed} slowed): ${figures.beforeAnswer} before the registration landed, ${figures.rolledForward} with its answer in a temp (rolled forward), ${figures.window} between its answer and the temp (the file's token replaced: registered again on the daemon's 401), ${figures.written} after the rename`,
  )
})

const require0600 = (file: string, what: string) => {
  assert.is(statSync(file).mode & 0o777, 0o600, `${what}: the file is 0600`)
  readLogin(file)
}

// Removed so that the next round's child waits for its own go.
const rmGo = (go: string) => rmSync(go, { force: true })

test(`a logout racing ${DAEMONS} refreshing daemons (${LOGOUT_ROUNDS} rounds): no live token left`, async () => {
  const outcomes: Record<string, number> = {}
  let raced = 0
  for (let round = 1; round <= LOGOUT_ROUNDS; round++) {
    const login = await sharedLogin(ref)
    const first = readLogin(login.file)
    const start = registrations(ref)
    // Always due (more than the token's hour): the daemons register one after another, all the time.
    const daemons = Array.from({ length: DAEMONS }, () =>
      startStoreChild('daemon', { ...login, server: ref.server.url, minValidityMs: 3_700_000, forMs: 30_000, pauseMs: 5 }),
    )
    await Promise.all(daemons.map((d) => d.pid))
    await sleep(2_500)
    const out = await timeout(logout({ ...login.where, server: ref.server.url }), 60_000, 'the logout')
    assert.is(out.kind, 'loggedOut', JSON.stringify(out))
    const ends = await Promise.all(daemons.map((d) => timeout(d.done, 90_000, 'a daemon')))
    raced += registrations(ref) - start
    for (const { lines } of ends) {
      const last = lines.at(-1) ?? ''
      const kind = /^done (\S+)/.exec(last)?.[1] ?? last
      outcomes[kind] = (outcomes[kind] ?? 0) + 1
      assert.ok(/^done (gone|refused|local_files) rounds=\d+$/.test(last), `round ${round}: a daemon stopped for the logout: ${lines.join(' | ')}`)
    }
    assert.not.ok(existsSync(login.file), `round ${round}: the file is gone`)
    assert.equal(await liveProcessTokens(ref, first.user.account_id, first.process_id), [], `round ${round}: no process token of the login is live`)
    assert.not.ok(await userTokenWorks(ref, first.user_token), `round ${round}: the user token is revoked`)
    const refresh = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: first.refresh_token!, client_id: CLIENT_ID } })
    assert.is(refresh.status, 400, `round ${round}: the refresh token is revoked`)
  }
  console.log(`  ${LOGOUT_ROUNDS} logouts, ${DAEMONS} daemons each, ${raced} registrations during the races; daemons ended ${JSON.stringify(outcomes)}`)
})

test.run()
