// The web pairing example (examples/web-pairing/) in headless Chromium, built from the packed
// package: the device login machine, unchanged, with the package's device login effects,
// against the reference server on another origin.
// The page shows a code, keeps it across a reload, and reaches its logged-in state once the
// code is approved on /device in a second browser context.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { closeChromium, launchChromium, openPage } from '../support/browser.js'
import { buildWebPairing, serveWebPairing, type StaticServer, type WebPairingBuild } from '../../examples/web-pairing/bundle.js'
import { DEFAULT_USERS, referenceServerFor, withReferenceServer } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'
import { installProject, packOmicosAuth, xstatePeerRange } from '../support/packed.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const SCREENSHOT = '/tmp/omicos-web-pairing-logged-in.png'
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/

let built: WebPairingBuild
let site: StaticServer
let browser: Browser

// The example is built from the packed package installed into a fresh project, as its users
// would build it: only what the package's entries ship can reach the page.
const work = mkdtempSync(join(tmpdir(), 'omicos-web-pairing-'))
const PACKAGE = 'node_modules/omicos-auth/dist/'

test.before(async () => {
  const { tarball } = packOmicosAuth(work)
  installProject(join(work, 'app'), tarball, { xstate: xstatePeerRange() })
  built = await timeout(buildWebPairing({ project: join(work, 'app'), outDir: join(work, 'site') }), 30_000, 'bundling the example')
  site = await timeout(serveWebPairing(built.outDir), 10_000, 'starting the static server')
})
// Started once the static server is up: the reference server lets its origin call it.
const ref = referenceServerFor(test, () => ({ interval: 1, corsOrigins: [site.origin] }))

test.before(async () => {
  browser = await launchChromium()
})

test.after(async () => {
  await closeChromium(browser)
  await timeout(site?.close() ?? Promise.resolve(), 10_000, 'stopping the static server').catch(() => {})
  rmSync(work, { recursive: true, force: true })
})

async function newPage(): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const { context, page } = await openPage(browser)
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() !== 'error') return
    const url = message.location().url
    // Chromium logs every 4xx: the favicon it asks for itself, and the token endpoint's 400
    // `authorization_pending` answers, which are how RFC 8628 says "not yet".
    if (/\/favicon\.ico$/.test(url) || (url === `${ref.server.url}/token` && /status of 400/.test(message.text()))) return
    problems.push(`console: ${message.text()} (${url})`)
  })
  return { context, page, problems }
}

const pageUrl = (server: string) => `${site.origin}/?server=${encodeURIComponent(server)}`

async function waitForState(page: Page, state: string, ms = 10_000): Promise<void> {
  await timeout(page.waitForSelector(`#state[data-state="${state}"]`, { timeout: ms }), ms + 1_000, `waiting for ${state}`)
}

async function startPairing(page: Page): Promise<string> {
  await timeout(page.goto(pageUrl(ref.server.url)), 10_000, 'opening the example')
  assert.is(await page.inputValue('#server'), ref.server.url, 'the server comes from ?server=')
  assert.is(await page.getAttribute('#state', 'data-state'), 'idle')
  await page.click('#start')
  await waitForState(page, 'awaitingApproval')
  return (await page.textContent('#user-code')) ?? ''
}

async function approveOnDevicePage(code: string): Promise<void> {
  const { context, page } = await newPage()
  try {
    await timeout(page.goto(`${ref.server.url}/device`), 10_000, 'opening /device')
    await page.fill('#email', ada.email)
    await page.fill('#password', ada.password)
    await timeout(Promise.all([page.waitForURL(/\/device$/), page.click('#signin-submit')]), 10_000, 'signing in')
    await page.fill('#user_code', code)
    await timeout(Promise.all([page.waitForSelector('#confirm-code'), page.click('#code-submit')]), 10_000, 'entering the code')
    assert.is(await page.textContent('#confirm-code'), code)
    assert.is(await page.textContent('#confirm-process'), 'omicOS web pairing example', 'the approver sees which process asked')
    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click('#approve')]), 10_000, 'approving')
    assert.is(await page.getAttribute('#outcome', 'data-outcome'), 'approved')
  } finally {
    await timeout(context.close(), 10_000, 'closing the approver context')
  }
}

const deviceAuthorizations = () => ref.server.requests.filter((r) => r.path === '/device/auth' && r.method === 'POST').length
const devicePolls = () => ref.server.requests.filter((r) => r.path === '/token' && r.grantType?.endsWith(':device_code')).length

test('the bundle is browser-only code: no Node built-in left to import, no fetch ponyfill', () => {
  assert.equal(built.externalImports, [])
  assert.ok(built.inputs.includes(`${PACKAGE}machines/login.machine.js`), 'the machine is bundled as the package ships it')
  assert.ok(built.inputs.includes(`${PACKAGE}effects/client/run-actor.js`), "run by the engine's own runner")
  assert.ok(built.inputs.includes(`${PACKAGE}effects/client/device-grant.js`), 'the RFC 8628 client is shared with the CLI')
  assert.equal(
    built.inputs.filter((path) => /^(machines|effects)\//.test(path)),
    [],
    "nothing from the repository's sources",
  )
  const nodeOnly = built.inputs.filter(
    (path) =>
      /node_modules\/(cross-fetch|node-fetch|whatwg-fetch)\//.test(path) ||
      path.startsWith(`${PACKAGE}effects/node/`) ||
      path.startsWith(`${PACKAGE}effects/store/`),
  )
  assert.equal(nodeOnly, [])
})

test('the page shows a code, resumes the same code after a reload, and logs in once it is approved on /device', async () => {
  const { context, page, problems } = await newPage()
  try {
    const before = deviceAuthorizations()
    const code = await startPairing(page)
    assert.match(code, USER_CODE)
    assert.is(await page.textContent('#verification-uri'), `${ref.server.url}/device`)
    assert.is(await page.getAttribute('#verification-uri', 'href'), `${ref.server.url}/device`)
    const complete = new URL((await page.getAttribute('#user-code', 'href')) ?? '')
    assert.is(`${complete.origin}${complete.pathname}`, `${ref.server.url}/device`)
    assert.is(complete.searchParams.get('user_code'), code, 'the code links to verification_uri_complete')
    assert.is(await page.getAttribute('#interval', 'data-seconds'), '1')
    const secondsLeft = Number(await page.getAttribute('#time-left', 'data-seconds'))
    assert.ok(secondsLeft > 500 && secondsLeft <= 600, `time left: ${secondsLeft}`)
    assert.match((await page.textContent('#time-left')) ?? '', /^\d+:\d\d$/)
    assert.ok(await page.isHidden('#server-form'), 'no second pairing while one runs')

    // The page polls at the interval.
    await timeout(
      page.waitForFunction(() => Number(document.querySelector('#polls')?.textContent) >= 1),
      10_000,
      'a first poll',
    )

    await timeout(page.reload(), 10_000, 'reloading')
    await waitForState(page, 'awaitingApproval')
    assert.is(await page.textContent('#user-code'), code, 'the same code after the reload')
    assert.ok(await page.isVisible('#resumed'))
    assert.is(deviceAuthorizations() - before, 1, 'no new code was asked for')
    const pollsAtReload = devicePolls()
    await timeout(
      page.waitForFunction(() => Number(document.querySelector('#polls')?.textContent) >= 2),
      10_000,
      'polling after the reload',
    )
    assert.ok(devicePolls() > pollsAtReload, 'the resumed pairing polls the server again')

    await approveOnDevicePage(code)
    await waitForState(page, 'loggedIn', 15_000)
    assert.is(await page.textContent('#state'), 'Logged in')
    assert.is(await page.textContent('#email'), ada.email)
    assert.is(await page.textContent('#logged-in-server'), ref.server.url)
    assert.is(await page.textContent('#stored-in'), 'sessionStorage:omicos.cloud_login')
    assert.ok(await page.isHidden('#pairing'))

    const stored = await page.evaluate(() => ({
      login: JSON.parse(sessionStorage.getItem('omicos.cloud_login') ?? 'null'),
      pending: sessionStorage.getItem('omicos.web-pairing.pending'),
    }))
    assert.is(stored.pending, null, 'the pending pairing is dropped once it ended')
    assert.is(stored.login.user.email, ada.email)
    assert.is(stored.login.server, ref.server.url)
    assert.is(stored.login.auth_method, 'device')
    assert.is(stored.login.process_name, 'omicOS web pairing example')
    assert.match(stored.login.process_id, /^web-[0-9a-f]{16}$/)
    assert.type(stored.login.user_token, 'string')
    assert.type(stored.login.process_token, 'string')

    await timeout(page.screenshot({ path: SCREENSHOT, fullPage: true }), 10_000, 'screenshot')

    assert.ok(await page.isHidden('#server-form'), 'a login is forgotten before pairing again')

    // A reload finds the login kept in the tab and asks the server for no code.
    const codesSoFar = deviceAuthorizations()
    await timeout(page.reload(), 10_000, 'reloading')
    await waitForState(page, 'alreadyLoggedIn')
    assert.is(await page.textContent('#email'), ada.email)
    assert.is(deviceAuthorizations(), codesSoFar)

    // Forgetting it clears the tab's login and offers the form again.
    await page.click('#forget')
    await waitForState(page, 'idle')
    assert.ok(await page.isVisible('#server-form'))
    assert.is(await page.evaluate(() => sessionStorage.getItem('omicos.cloud_login')), null)
    assert.equal(problems, [])
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
  }
})

test('Cancel stops the pairing: no poll goes out after it, and the machine says the code can go on: a reload continues it, Start again does not', async () => {
  const { context, page, problems } = await newPage()
  try {
    await startPairing(page)
    const code = await page.textContent('#user-code')
    await page.click('#cancel')
    await waitForState(page, 'failed')
    assert.is(await page.getAttribute('#error', 'data-kind'), 'cancelled')
    assert.is(await page.textContent('#error'), 'login cancelled')
    assert.ok(await page.isVisible('#resumable'), 'the page says the code can go on')
    assert.ok(Number(await page.getAttribute('#resumable', 'data-seconds')) > 0)
    assert.ok(await page.isVisible('#server-form'))
    const polls = devicePolls()
    await sleep(2_500)
    assert.is(devicePolls(), polls, 'no poll after the cancel')
    assert.ok(await page.evaluate(() => sessionStorage.getItem('omicos.web-pairing.pending')), 'kept for a reload')
    await timeout(page.reload(), 10_000, 'reloading')
    await waitForState(page, 'awaitingApproval')
    assert.is(await page.textContent('#user-code'), code, 'the same code after the reload')
    assert.ok(await page.isVisible('#resumed'))
    await page.click('#cancel')
    await waitForState(page, 'failed')
    const codes = deviceAuthorizations()
    await page.click('#restart')
    await waitForState(page, 'awaitingApproval')
    assert.is(deviceAuthorizations(), codes + 1, 'Start again asks for a new code')
    assert.is.not(await page.textContent('#user-code'), code)
    assert.equal(problems, [])
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
  }
})

test('a server that does not allow the page origin ends in a one-line failure, not a hang', async () => {
  const closed = await withReferenceServer({ interval: 1 })
  const { context, page } = await newPage()
  try {
    await timeout(page.goto(pageUrl(closed.server.url)), 10_000, 'opening the example')
    await page.click('#start')
    await waitForState(page, 'failed', 15_000)
    assert.is(await page.getAttribute('#error', 'data-kind'), 'unreachable')
    assert.match((await page.textContent('#error')) ?? '', new RegExp(`^cannot reach 127\\.0\\.0\\.1:${closed.server.port}: `))
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
    await closed.stop()
  }
})

test('a server address that is not https (or loopback http) is refused before any request', async () => {
  const { context, page } = await newPage()
  try {
    await timeout(page.goto(pageUrl('http://auth.example.com')), 10_000, 'opening the example')
    await page.click('#start')
    await waitForState(page, 'failed')
    assert.is(await page.getAttribute('#error', 'data-kind'), 'usage')
    assert.match((await page.textContent('#error')) ?? '', /plain http is only allowed/)
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
  }
})

test.run()
