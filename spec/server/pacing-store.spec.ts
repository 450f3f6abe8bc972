// Device pacing on the store itself, on the clock the tests choose: how a poll is judged against
// the interval in force, what it records and what it reads back, on SQLite here and on
// PostgreSQL when spec/server/on-postgres.spec.ts runs this file again.
import { rmSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createDevicePacing, SLOW_DOWN_STEP_S, type DevicePacing } from '../../server/oauth/device-pacing.js'
import { sha256 } from '../../server/storage/hashing.js'
import { storeAdapterFactory } from '../../server/storage/oidc-adapter.js'
import { isDatabaseUrl, type Sql } from '../../server/storage/sql.js'
import { openStore } from '../../server/storage/store.js'
import { dropDatabase } from '../support/postgres.js'
import { makeStore } from '../support/server.js'

const INTERVAL_S = 2
const TOLERANCE_MS = 250
const T0 = 1_800_000_000_000

interface Fixture {
  sql: Sql
  pacing: DevicePacing
  issue(deviceCode: string): Promise<void>
}

async function withPacing(job: (fixture: Fixture) => Promise<void>): Promise<void> {
  const location = await makeStore()
  const store = await openStore(location)
  try {
    const pacing = createDevicePacing(store.sql, INTERVAL_S)
    const codes = storeAdapterFactory(store.sql)('DeviceCode')
    await job({
      sql: store.sql,
      pacing,
      async issue(deviceCode) {
        await codes.upsert(deviceCode, { clientId: 'omicos-cli', userCode: `U-${deviceCode}` } as never, 600)
        await pacing.issued(deviceCode, INTERVAL_S, 600)
      },
    })
  } finally {
    await store.close()
    if (isDatabaseUrl(location)) await dropDatabase(location)
    else rmSync(location, { recursive: true, force: true })
  }
}

/** A pacing on the store's own Sql that counts the statements it sends. */
function countingPacing(sql: Sql) {
  const counter = { statements: 0, pacing: undefined as unknown as DevicePacing }
  const count = <T>(send: () => T): T => {
    counter.statements++
    return send()
  }
  const counted: Sql = { ...sql, get: (s, p) => count(() => sql.get(s, p)), all: (s, p) => count(() => sql.all(s, p)), run: (s, p) => count(() => sql.run(s, p)) }
  counter.pacing = createDevicePacing(counted, INTERVAL_S)
  return counter
}

const pacingRow = (sql: Sql, deviceCode: string) =>
  sql.get<{ interval_s: number; last_poll_at: number | null }>('SELECT interval_s, last_poll_at FROM device_pacing WHERE device_code_hash = ?', [sha256(deviceCode)])

test('the first poll is never early, and it reads the code it judged', async () => {
  await withPacing(async ({ sql, pacing, issue }) => {
    await issue('code-a')
    const first = await pacing.poll('code-a', T0)
    assert.equal(first.judgment, { slowDown: false })
    assert.ok(first.row, 'the device code was read in the same call')
    assert.equal(JSON.parse(first.row!.payload).userCode, 'U-code-a')
    assert.is(first.row!.consumed, null)
    assert.equal(await pacingRow(sql, 'code-a'), { interval_s: INTERVAL_S, last_poll_at: T0 })
  })
})

test('a poll up to the tolerance before the interval is on time; one millisecond sooner is slow_down, 5 s more', async () => {
  await withPacing(async ({ sql, pacing, issue }) => {
    await issue('code-b')
    await pacing.poll('code-b', T0)
    const onTime = T0 + INTERVAL_S * 1000 - TOLERANCE_MS
    assert.equal((await pacing.poll('code-b', onTime)).judgment, { slowDown: false })
    const early = onTime + INTERVAL_S * 1000 - TOLERANCE_MS - 1
    assert.equal((await pacing.poll('code-b', early)).judgment, { slowDown: true, intervalS: INTERVAL_S + SLOW_DOWN_STEP_S })
    assert.equal(await pacingRow(sql, 'code-b'), { interval_s: INTERVAL_S + SLOW_DOWN_STEP_S, last_poll_at: early })
    // The next poll is measured against the longer interval, from the early poll's arrival.
    const stillEarly = early + INTERVAL_S * 1000
    assert.equal((await pacing.poll('code-b', stillEarly)).judgment, { slowDown: true, intervalS: INTERVAL_S + 2 * SLOW_DOWN_STEP_S })
    const later = stillEarly + (INTERVAL_S + 2 * SLOW_DOWN_STEP_S) * 1000
    assert.equal((await pacing.poll('code-b', later)).judgment, { slowDown: false })
    assert.equal(await pacingRow(sql, 'code-b'), { interval_s: INTERVAL_S + 2 * SLOW_DOWN_STEP_S, last_poll_at: later })
  })
})

test('a poll judged after a later arrival does not move the stamp back', async () => {
  await withPacing(async ({ sql, pacing, issue }) => {
    await issue('code-c')
    await pacing.poll('code-c', T0)
    const later = T0 + 10_000
    await pacing.poll('code-c', later)
    // Arrived before `later` but judged after it: too close to it, and the stamp stays.
    const sooner = later - 1_000
    assert.equal((await pacing.poll('code-c', sooner)).judgment, { slowDown: true, intervalS: INTERVAL_S + SLOW_DOWN_STEP_S })
    assert.is((await pacingRow(sql, 'code-c'))!.last_poll_at, later)
  })
})

test('a poll of a device code that does not exist reads nothing and records nothing', async () => {
  await withPacing(async ({ sql, pacing }) => {
    const guess = await pacing.poll('no-such-code', T0)
    assert.equal(guess, { judgment: { slowDown: false }, row: undefined })
    assert.is(await pacingRow(sql, 'no-such-code'), undefined)
    const again = await pacing.poll('no-such-code', T0 + 1)
    assert.equal(again.judgment, { slowDown: false }, 'nothing was recorded to be early against')
  })
})

test('codes issued at once get their pacing rows, on PostgreSQL in fewer statements than codes', async () => {
  await withPacing(async ({ sql }) => {
    const counter = countingPacing(sql)
    const { pacing } = counter
    const codes = Array.from({ length: 20 }, (_, i) => `burst-${i}`)
    await Promise.all(codes.map((code, i) => pacing.issued(code, INTERVAL_S + (i % 3), 600)))
    for (const [i, code] of codes.entries()) assert.equal(await pacingRow(sql, code), { interval_s: INTERVAL_S + (i % 3), last_poll_at: null }, code)
    // One statement sweeps expired rows first (the first issue of a process does).
    if (sql.dialect === 'postgres') assert.ok(counter.statements <= 3, `${counter.statements} statements for ${codes.length} codes`)
    else assert.is(counter.statements, codes.length + 1)
  })
})

test('a pacing row lives the code lifetime plus two minutes; expired rows are swept at most every 10 s, at an issue', async () => {
  await withPacing(async ({ sql }) => {
    let clock = T0
    const pacing = createDevicePacing(sql, INTERVAL_S, () => clock)
    const expiresAt = async (code: string) =>
      (await sql.get<{ expires_at: number }>('SELECT expires_at FROM device_pacing WHERE device_code_hash = ?', [sha256(code)]))?.expires_at
    await pacing.issued('sweep-a', INTERVAL_S, 60)
    assert.is(await expiresAt('sweep-a'), T0 + (60 + 120) * 1000)
    clock = T0 + 180_000
    await pacing.issued('sweep-b', INTERVAL_S, 600)
    assert.is(await expiresAt('sweep-a'), undefined, 'swept: it expired at this instant')
    await pacing.issued('sweep-c', INTERVAL_S, 1)
    const cExpires = clock + 121_000
    clock = cExpires - 1_000
    await pacing.issued('sweep-d', INTERVAL_S, 600) // sweeps, before sweep-c has expired
    const lastSweep = clock
    clock = lastSweep + 10_000
    await pacing.issued('sweep-e', INTERVAL_S, 600)
    assert.ok(await expiresAt('sweep-c'), 'expired, but the last sweep was only 10 s ago')
    clock = lastSweep + 10_001
    await pacing.issued('sweep-f', INTERVAL_S, 600)
    assert.is(await expiresAt('sweep-c'), undefined, 'swept once more than 10 s had passed')
    assert.ok(await expiresAt('sweep-b'), 'a row that has not expired stays')
  })
})

test('a code without a pacing row polled at two instances at once: one poll starts the row, the other is early', async () => {
  await withPacing(async ({ sql }) => {
    await storeAdapterFactory(sql)('DeviceCode').upsert('code-h', { clientId: 'omicos-cli' } as never, 600)
    // Both instances find no pacing row before either adds one: each waits at its insert for the other.
    let arrived = 0
    let bothThere!: () => void
    const barrier = new Promise<void>((resolve) => (bothThere = resolve))
    const instance = (): Sql => ({
      ...sql,
      run: async (statement, params) => {
        if (statement.includes('DO NOTHING')) {
          if (++arrived === 2) bothThere()
          await barrier
        }
        return sql.run(statement, params)
      },
    })
    const one = createDevicePacing(instance(), INTERVAL_S)
    const two = createDevicePacing(instance(), INTERVAL_S)
    const both = await Promise.all([one.poll('code-h', T0), two.poll('code-h', T0 + 1)])
    assert.is(arrived, 2, 'both took the path of a code without a pacing row')
    assert.equal(
      both.map((p) => p.judgment).sort((a, b) => Number(a.slowDown) - Number(b.slowDown)),
      [{ slowDown: false }, { slowDown: true, intervalS: INTERVAL_S + SLOW_DOWN_STEP_S }],
    )
    assert.ok(both.every((p) => p.row))
    const row = await sql.get<{ expires_at: number }>('SELECT expires_at FROM device_pacing WHERE device_code_hash = ?', [sha256('code-h')])
    assert.ok(row!.expires_at === T0 + 3_600_000 || row!.expires_at === T0 + 1 + 3_600_000, 'kept an hour from its first poll')
  })
})

test('a device code no store could hold (a NUL, a control character, 600 characters) is not found, without a statement', async () => {
  await withPacing(async ({ sql }) => {
    const counter = countingPacing(sql)
    const { pacing } = counter
    for (const code of ['nul\u0000code', 'tab\tcode', 'é', 'x'.repeat(600), '']) {
      assert.equal(await pacing.poll(code, T0), { judgment: { slowDown: false }, row: undefined }, JSON.stringify(code.slice(0, 20)))
    }
    assert.is(counter.statements, 0)
    await pacing.poll('x'.repeat(512), T0)
    assert.ok(counter.statements > 0, 'the longest storable code is looked up')
  })
})

test('a code issued without a pacing row starts at its first poll, at the default interval', async () => {
  await withPacing(async ({ sql, pacing }) => {
    const codes = storeAdapterFactory(sql)('DeviceCode')
    await codes.upsert('code-d', { clientId: 'omicos-cli' } as never, 600)
    const first = await pacing.poll('code-d', T0)
    assert.equal(first.judgment, { slowDown: false })
    assert.ok(first.row)
    assert.equal(await pacingRow(sql, 'code-d'), { interval_s: INTERVAL_S, last_poll_at: T0 })
    assert.equal((await pacing.poll('code-d', T0 + 1_000)).judgment, { slowDown: true, intervalS: INTERVAL_S + SLOW_DOWN_STEP_S })
  })
})

test('a consumed code is read with its consumption; an expired one is not read, but its poll is still paced', async () => {
  await withPacing(async ({ sql, pacing, issue }) => {
    await issue('code-e')
    await storeAdapterFactory(sql)('DeviceCode').consume('code-e')
    const consumed = await pacing.poll('code-e', T0)
    assert.type(consumed.row?.consumed, 'number')

    await issue('code-f')
    await sql.run("UPDATE oidc_models SET expires_at = ? WHERE model = 'DeviceCode' AND id = ?", [Date.now() - 1, 'code-f'])
    const expired = await pacing.poll('code-f', T0)
    assert.is(expired.row, undefined)
    assert.equal(await pacingRow(sql, 'code-f'), { interval_s: INTERVAL_S, last_poll_at: T0 })
  })
})

test('two polls of one code at once are judged one after the other: exactly one is early', async () => {
  await withPacing(async ({ pacing, issue }) => {
    await issue('code-g')
    await pacing.poll('code-g', T0)
    const at = T0 + INTERVAL_S * 1000
    const both = await Promise.all([pacing.poll('code-g', at), pacing.poll('code-g', at + 5)])
    assert.is(both.filter((p) => p.judgment.slowDown).length, 1)
  })
})

test('many polls at once: each judged and read as if alone, and on PostgreSQL in fewer statements than polls', async () => {
  await withPacing(async ({ sql, issue }) => {
    const counter = countingPacing(sql)
    const { pacing } = counter
    const codes = Array.from({ length: 20 }, (_, i) => `many-${i}`)
    for (const code of codes) await issue(code)
    counter.statements = 0
    // Five codes are polled twice in the same instant: one of each pair is early. The polls go
    // in an order unlike the order the codes were stored in, so answers handed to the wrong poll show.
    const polled = [...codes.slice(10), ...codes.slice(0, 10).reverse(), ...codes.slice(0, 5)]
    const results = await Promise.all(polled.map((code) => pacing.poll(code, T0)))
    for (const [i, result] of results.entries()) {
      assert.equal(JSON.parse(result.row!.payload).userCode, `U-${polled[i]}`, `poll ${i} read its own code`)
    }
    assert.is(results.filter((r) => r.judgment.slowDown).length, 5)
    assert.ok(
      results.slice(0, 20).every((r) => !r.judgment.slowDown),
      'the first of each pair was judged first',
    )
    if (sql.dialect === 'postgres') assert.ok(counter.statements <= 4, `${counter.statements} statements for ${polled.length} polls`)
    else assert.is(counter.statements, 2 * polled.length)
  })
})

test('an answer to a batch of polls that does not match its polls fails them, rather than hand one poll another code', async () => {
  const answers = [
    (polls: unknown[][]) => polls[2]!.map((id) => ({ id, interval_s: 2, last_early: 0, payload: '{}', consumed: null })).reverse(),
    (polls: unknown[][]) => polls[2]!.map((id) => ({ id: `${String(id)}-other`, interval_s: 2, last_early: 0, payload: '{}', consumed: null })),
    (polls: unknown[][]) => polls[2]!.slice(0, -1).map((id) => ({ id, interval_s: 2, last_early: 0, payload: '{}', consumed: null })),
  ]
  for (const [k, answer] of answers.entries()) {
    const database: Sql = {
      dialect: 'postgres',
      all: async <T>(_statement: string, params: unknown[] = []) => answer(params as unknown[][]) as T[],
      get: async () => undefined,
      run: async () => 0,
      transaction: (job) => job(database),
      close: async () => {},
    }
    const pacing = createDevicePacing(database, INTERVAL_S)
    const results = await Promise.allSettled(['p-1', 'p-2', 'p-3'].map((code) => pacing.poll(code, T0)))
    assert.ok(
      results.every((r) => r.status === 'rejected' && /answered out of order/.test((r.reason as Error).message)),
      `answer ${k}: every poll of the batch failed`,
    )
  }
})

test.run()
