// Process-token refreshes of one shared login by many processes against the reference server:
// a job array of 50 registers once and nobody fails or is handed a dead token; a token the
// server refused is replaced once, however many daemons say so; and a registrar stopped past
// the stale time does not overwrite the registration made while it was stopped.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { refreshProcessToken } from '../../../effects/node/api.js'
import { referenceServerFor } from '../../support/server.js'
import { ADA, assertNoneHeldByNothing, makeDue, processTokenWorks, readLogin, registrations, sharedLogin } from '../../support/shared-login.js'
import { leftovers, startStoreChild, type StoreChild } from '../../support/store-files.js'
import { sleep, timeout } from '../../support/wait.js'

const ref = referenceServerFor(test, { users: [ADA] })

const HERD = 50
const STOP_ROUNDS = 3
const MIN_VALIDITY_MS = 60_000

/** Starts `count` refresh children at one barrier; resolves to their last lines. */
const herd = async (count: number, login: { home: string; cwd: string }, extra: object = {}): Promise<string[]> => {
  const go = join(login.home, '..', 'go')
  const children: StoreChild[] = []
  for (let i = 0; i < count; i++) {
    children.push(startStoreChild('refresh', { ...login, server: ref.server.url, minValidityMs: MIN_VALIDITY_MS, go, ...extra }))
  }
  await Promise.all(children.map((child) => child.waitFor(/^ready$/, 120_000)))
  writeFileSync(go, '')
  const done = await Promise.all(children.map((child) => timeout(child.done, 150_000, 'a herd child')))
  return done.map(({ lines }) => lines.at(-1) ?? '')
}

test(`${HERD} processes refresh a due process token at once: one registration, no caller fails, none is handed a dead token`, async () => {
  const login = await sharedLogin(ref)
  makeDue(login.file)
  const before = registrations(ref)
  const last = await herd(HERD, login)
  const counts = {
    refreshed: last.filter((l) => l === 'done refreshed=true token=live').length,
    used: last.filter((l) => l === 'done refreshed=false token=live').length,
  }
  console.log(
    `  ${HERD} callers: ${counts.refreshed} registered, ${counts.used} used its registration; ${registrations(ref) - before} registration(s) at the server`,
  )
  assert.equal(
    last.filter((l) => !/^done refreshed=(true|false) token=live$/.test(l)),
    [],
    'every caller ends with a live token',
  )
  assert.is(counts.refreshed, 1, 'one caller registered')
  assert.is(registrations(ref) - before, 1, 'the server answered one registration')
  await assertNoneHeldByNothing(ref, login.file, 'after the herd')
})

test('a process token the server refused is replaced once, however many daemons say so; a daemon that says so of an older token gets the current one', async () => {
  const login = await sharedLogin(ref)
  const first = readLogin(login.file).process_token
  const before = registrations(ref)
  const replaced = await timeout(refreshProcessToken({ ...login.where, minValidityMs: MIN_VALIDITY_MS, rejectedProcessToken: first }), 20_000, 'the refresh')
  assert.ok(replaced?.refreshed, 'a token not yet expired is replaced when refused')
  assert.is.not(replaced!.credentials.process_token, first)
  assert.ok(await processTokenWorks(ref, replaced!.credentials.process_token))
  assert.is(readLogin(login.file).process_token, replaced!.credentials.process_token, 'and written')
  assert.is(registrations(ref) - before, 1)

  // Ten daemons got a 401 for the token in the file: one registration between them.
  const last = await herd(10, login, { rejectFileToken: true })
  assert.equal(
    last.filter((l) => !/^done refreshed=(true|false) token=live$/.test(l)),
    [],
    last.join(' | '),
  )
  assert.is(last.filter((l) => l === 'done refreshed=true token=live').length, 1)
  assert.is(registrations(ref) - before, 2)

  // A daemon that was handed the first token and only now got its 401: the file's is newer.
  const late = await timeout(refreshProcessToken({ ...login.where, minValidityMs: MIN_VALIDITY_MS, rejectedProcessToken: first }), 20_000, 'the late refresh')
  assert.is(late?.refreshed, false)
  assert.is(late!.credentials.process_token, readLogin(login.file).process_token)
  assert.ok(await processTokenWorks(ref, late!.credentials.process_token))
  assert.is(registrations(ref) - before, 2, 'no registration for a token already replaced')
  await assertNoneHeldByNothing(ref, login.file, 'after the refused tokens')
})

/**
 * One round: a registrar stops itself (SIGSTOP) the moment its registration is answered, holding
 * the lock; another process refreshes once the lock is stale; the first is resumed.
 */
const stoppedRegistrar = async (stoppedMs: number, env: NodeJS.ProcessEnv) => {
  const login = await sharedLogin(ref)
  makeDue(login.file)
  const before = registrations(ref)
  const options = { ...login, server: ref.server.url, minValidityMs: MIN_VALIDITY_MS }
  const stopped = startStoreChild('refresh', { ...options, stopAfterRegistration: true }, { env })
  await stopped.waitFor(/^registered$/, 30_000)
  const stoppedPid = await stopped.pid
  try {
    await sleep(stoppedMs)
    const other = startStoreChild('refresh', options, { env })
    const { lines } = await timeout(other.done, 90_000, 'the other refresh')
    assert.is(lines.at(-1), 'done refreshed=true token=live', `the other process registered while the first was stopped: ${lines.join(' | ')}`)
  } finally {
    process.kill(stoppedPid, 'SIGCONT')
  }
  const { lines } = await timeout(stopped.done, 60_000, 'the resumed registrar')
  assert.is(lines.at(-1), 'done refreshed=false token=live', `the resumed registrar kept the later registration and was handed it: ${lines.join(' | ')}`)
  assert.ok(await processTokenWorks(ref, readLogin(login.file).process_token), 'the file holds a live process token')
  assert.is(registrations(ref) - before, 2)
  await assertNoneHeldByNothing(ref, login.file, 'after the resumed registrar')
  assert.equal(leftovers(login.home), [], 'no temp or lock left')
}

test(`a registrar stopped past the stale time (2 s here), then resumed, does not overwrite the registration made meanwhile (${STOP_ROUNDS} rounds)`, async () => {
  for (let round = 0; round < STOP_ROUNDS; round++) await stoppedRegistrar(3_000, { OMICOS_LOCK_STALE_MS: '2000' })
})

test('the same with the default stale time: stopped 40 s after its registration answered', async () => {
  await stoppedRegistrar(40_000, {})
})

test.run()
