// Two reference servers on one PostgreSQL database behave as one server: an account added
// through the command line signs in at both, a pairing issued at one is approved on the
// other's /device page (headless Chromium) and redeemed at the first, a code redeemed at both
// at once yields tokens once, and the failure limit and the code-guess pause hold across
// instances and across a restart. PostgreSQL is Debian's, started here in a temporary folder
// on a free loopback port as an unprivileged user (support/postgres.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { addAccount, decidePairing, startServer, type RunningServer } from '../../server/index.js'
import { closeChromium, launchChromium, openPage } from '../support/browser.js'
import { startPostgres, type TestPostgres } from '../support/postgres.js'
import { CLIENT_ID, PageClient, passwordLogin, pollDeviceCode, request, requestDeviceCode } from '../support/server.js'
import { timeout } from '../support/wait.js'

const fromDist = fileURLToPath(import.meta.url).includes('/dist/spec/')
const BIN = fileURLToPath(new URL(fromDist ? '../../server/main.js' : '../../dist/server/main.js', import.meta.url))

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const BOB = { email: 'bob@example.com', password: 'another long password' }
const CY = { email: 'cy@example.com', password: 'a third long password' }

let postgres: TestPostgres
let database: string
let browser: Browser | undefined
const running = new Set<RunningServer>()

async function instance(): Promise<RunningServer> {
  const server = await timeout(startServer({ dataDir: database, port: 0, interval: 1 }), 20_000, 'starting a server on PostgreSQL')
  running.add(server)
  return server
}

async function stopInstance(server: RunningServer): Promise<void> {
  running.delete(server)
  await timeout(server.close(), 10_000, 'stopping a server')
}

function usersAdd(email: string, password: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'users', 'add', '--email', email, '--password-stdin', '--database', database], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.end(password)
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
  return timeout(done, 30_000, 'omicos-auth-server users add').catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}

test.before(async () => {
  assert.ok(existsSync(BIN), `${BIN} is built`)
  postgres = await timeout(startPostgres(), 90_000, 'starting PostgreSQL')
  database = await timeout(postgres.createDatabase(), 20_000, 'creating the database')
})

test.after(async () => {
  await closeChromium(browser)
  for (const server of running) await timeout(server.close(), 10_000, 'stopping a server').catch(() => {})
  await postgres?.stop()
})

test('an account added with users add --database signs in at both instances; their tokens are good at either', async () => {
  const a = await instance()
  const b = await instance()
  const added = await usersAdd(ADA.email, ADA.password)
  assert.is(added.code, 0, added.stderr)
  assert.match(added.stdout, /^added ada@example\.com \(acct_/)
  assert.not.match(added.stdout + added.stderr, ADA.password)

  const atA = await passwordLogin(a, ADA.email, ADA.password)
  assert.is(atA.status, 200)
  const atB = await passwordLogin(b, ADA.email, ADA.password)
  assert.is(atB.status, 200)
  // Keys are shared through the database: a token from one instance is valid at the other.
  const account = await request(b, '/omicos/account', { headers: { authorization: `Bearer ${atA.body.access_token}` } })
  assert.is(account.status, 200)
  assert.is(account.body.email, ADA.email)
  const refreshed = await request(a, '/token', { form: { grant_type: 'refresh_token', refresh_token: atB.body.refresh_token, client_id: CLIENT_ID } })
  assert.is(refreshed.status, 200)
})

test("a pairing issued at one instance is approved on the other one's /device page and redeemed at the first", async () => {
  const [a, b] = [...running] as [RunningServer, RunningServer]
  const { body: device } = await requestDeviceCode(a)
  assert.is((await pollDeviceCode(a, device.device_code)).body.error, 'authorization_pending')

  browser = await launchChromium()
  const { context, page } = await openPage(browser)
  try {
    await timeout(page.goto(`${b.url}/device`), 10_000, 'opening /device')
    await page.fill('#email', ADA.email)
    await page.fill('#password', ADA.password)
    await timeout(Promise.all([page.waitForURL(/\/device$/), page.click('#signin-submit')]), 10_000, 'signing in')
    await page.fill('#user_code', device.user_code)
    await timeout(Promise.all([page.waitForLoadState('load'), page.click('#code-submit')]), 10_000, 'submitting the code')
    assert.is(await page.textContent('#confirm-code'), device.user_code)
    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click('#approve')]), 10_000, 'approving')
  } finally {
    await timeout(context.close(), 10_000, 'closing the page').catch(() => {})
  }

  const granted = await pollDeviceCode(a, device.device_code)
  assert.is(granted.status, 200)
  const account = await request(a, '/omicos/account', { headers: { authorization: `Bearer ${granted.body.access_token}` } })
  assert.is(account.body.email, ADA.email)
})

test('a device code redeemed at both instances at once yields tokens exactly once', async () => {
  const [a, b] = [...running] as [RunningServer, RunningServer]
  for (let round = 0; round < 5; round++) {
    const { body: device } = await requestDeviceCode(round % 2 ? a : b)
    await timeout(decidePairing(database, device.user_code, { approve: true, email: ADA.email }), 15_000, 'approving')
    const answers = await Promise.all([pollDeviceCode(a, device.device_code), pollDeviceCode(b, device.device_code)])
    const statuses = answers.map((answer) => answer.status).sort()
    assert.equal(statuses, [200, 400], `round ${round}: ${answers.map((answer) => answer.body.error ?? answer.status).join(', ')}`)
    assert.is(answers.find((answer) => answer.status === 400)!.body.error, 'invalid_grant')
  }
})

test('the failure limit counts failures at every instance and survives a restart', async () => {
  const [a, b] = [...running] as [RunningServer, RunningServer]
  await timeout(addAccount(database, BOB.email, BOB.password), 15_000, 'adding bob')
  for (let i = 1; i <= 3; i++) assert.is((await passwordLogin(a, BOB.email, `wrong ${i}`)).status, 400)
  for (let i = 4; i <= 5; i++) assert.is((await passwordLogin(b, BOB.email, `wrong ${i}`)).status, 400)
  const sixth = await passwordLogin(a, BOB.email, 'wrong 6')
  assert.is(sixth.status, 429, 'the sixth failure counts the five at both instances')

  await stopInstance(a)
  await stopInstance(b)
  const again = await instance()
  const right = await passwordLogin(again, BOB.email, BOB.password)
  assert.is(right.status, 429, 'a restart does not forgive them')
  assert.ok(Number(right.headers.get('retry-after')) > 0)
})

test('the code-guess pause started at one instance holds at another and after a restart', async () => {
  await timeout(addAccount(database, CY.email, CY.password), 15_000, 'adding cy')
  const [first] = [...running] as [RunningServer]
  const second = await instance()
  const { body: device } = await requestDeviceCode(first)

  const guesser = new PageClient(first)
  await guesser.signIn(CY)
  for (let i = 1; i < 5; i++) assert.is((await guesser.verify('BCDF-GHJK')).reason, 'wrong_code', `wrong code ${i}`)
  assert.is((await guesser.verify('BCDF-GHJK')).reason, 'paused')

  const elsewhere = new PageClient(second)
  await elsewhere.signIn(CY)
  assert.is((await elsewhere.verify(device.user_code)).reason, 'paused', 'the other instance keeps the pause, even for a real code')

  await stopInstance(second)
  const restarted = await instance()
  const afterRestart = new PageClient(restarted)
  await afterRestart.signIn(CY)
  assert.is((await afterRestart.verify(device.user_code)).reason, 'paused', 'a restart keeps the pause')
})

test('the store plans its statements once per connection, by key, and keeps the options of the address and of PGOPTIONS', async () => {
  const { openPostgres } = await import('../../server/storage/postgres.js')
  const show = async (url: string, setting: string) => {
    const sql = await openPostgres(url)
    try {
      return Object.values((await sql.get<Record<string, string>>(`SHOW ${setting}`))!)[0]
    } finally {
      await sql.close()
    }
  }
  assert.is(await show(database, 'plan_cache_mode'), 'force_generic_plan')
  assert.is(await show(database, 'enable_seqscan'), 'off')
  const withOwn = `${database}?options=${encodeURIComponent('-c statement_timeout=4321')}`
  assert.is(await show(withOwn, 'statement_timeout'), '4321ms')
  assert.is(await show(withOwn, 'plan_cache_mode'), 'force_generic_plan')
  process.env.PGOPTIONS = '-c lock_timeout=1234'
  try {
    assert.is(await show(database, 'lock_timeout'), '1234ms')
    assert.is(await show(database, 'plan_cache_mode'), 'force_generic_plan')
  } finally {
    delete process.env.PGOPTIONS
  }
})

test.run()
