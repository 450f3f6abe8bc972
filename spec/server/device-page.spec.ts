import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { closeChromium, launchChromium, openPage } from '../support/browser.js'
import { DEFAULT_USERS, pollDeviceCode, referenceServerFor, requestDeviceCode } from '../support/server.js'
import { timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const SCREENSHOT = '/tmp/omicos-device-confirm.png'

const ref = referenceServerFor(test, { interval: 1 })
let browser: Browser

test.before(async () => {
  browser = await launchChromium()
})

test.after(async () => {
  await closeChromium(browser)
})

async function signedInPage(): Promise<Page> {
  const { page } = await openPage(browser, { locale: 'en-US', timezoneId: 'America/New_York' })
  await timeout(page.goto(`${ref.server.url}/device`), 10_000, 'opening /device')
  await page.fill('#email', ada.email)
  await page.fill('#password', ada.password)
  await timeout(Promise.all([page.waitForURL(/\/device$/), page.click('#signin-submit')]), 10_000, 'signing in')
  assert.is(await page.textContent('#signed-in-as'), ada.email)
  return page
}

async function enterCode(page: Page, code: string): Promise<void> {
  await page.fill('#user_code', code)
  await timeout(Promise.all([page.waitForLoadState('load'), page.click('#code-submit')]), 10_000, 'submitting a code')
}

test('sign in, enter the code in lower case without the dash, see who asked, when and from where, approve', async () => {
  const before = Math.floor(Date.now() / 1000) * 1000
  const { body } = await requestDeviceCode(ref.server, { process_name: 'jupyter-lab <script>alert(1)</script>', hostname: '"><img src=x id=injected>' })
  const after = Date.now()
  const page = await signedInPage()
  try {
    await enterCode(page, body.user_code.toLowerCase().replace('-', ''))
    assert.is(await page.textContent('#confirm-process'), 'jupyter-lab <script>alert(1)</script>', 'the name is shown as text, not markup')
    assert.is(await page.textContent('#confirm-host'), '"><img src=x id=injected>')
    assert.is(await page.locator('#injected').count(), 0, 'the host name made no element')
    assert.is(await page.locator('script').count(), 1, "the page's own script only")
    assert.is(await page.textContent('#confirm-code'), body.user_code)
    assert.is(await page.locator('#confirm-prefilled').count(), 0, 'a typed code is not called prefilled')
    // What the device said about itself is labelled as such; when and from where are the server's.
    const labels = await page.locator('dl.request dt').allTextContents()
    assert.ok(labels.includes('Program reported by the device'), labels.join(' | '))
    assert.ok(labels.includes('Machine reported by the device'), labels.join(' | '))
    const requestedAt = Date.parse((await page.getAttribute('#confirm-requested-at time', 'datetime')) ?? '')
    assert.ok(requestedAt >= before && requestedAt <= after, `requested at ${new Date(requestedAt).toISOString()}`)
    // In the browser's time zone, not the server's UTC: New York's clock, its zone named.
    const shown = (await page.textContent('#confirm-requested-at')) ?? ''
    const clock = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hour: 'numeric',
      minute: '2-digit',
      second: '2-digit',
      hour12: true,
    }).formatToParts(requestedAt)
    const newYork = ['hour', 'minute', 'second'].map((type) => clock.find((part) => part.type === type)!.value).join(':')
    assert.ok(shown.includes(newYork), `${shown} shows ${newYork}`)
    assert.match(shown, /\b(EST|EDT|GMT-[45])\b.* \((just now|\d+ seconds ago)\)$/)
    assert.is(await page.textContent('#confirm-address'), '127.0.0.1', 'the address the request came from, as the server saw it')
    await timeout(page.screenshot({ path: SCREENSHOT, fullPage: true }), 10_000, 'screenshot')

    const pending = await pollDeviceCode(ref.server, body.device_code)
    assert.is(pending.body.error, 'authorization_pending')

    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click('#approve')]), 10_000, 'approving')
    assert.is(await page.getAttribute('#outcome', 'data-outcome'), 'approved')

    const granted = await pollDeviceCode(ref.server, body.device_code)
    assert.is(granted.status, 200)
    assert.type(granted.body.access_token, 'string')
  } finally {
    await timeout(page.context().close(), 10_000, 'closing the context')
  }
})

test('a code from verification_uri_complete skips the typing but not the review; denying answers access_denied', async () => {
  const { body } = await requestDeviceCode(ref.server)
  const page = await signedInPage()
  try {
    await timeout(page.goto(body.verification_uri_complete), 10_000, 'opening the complete URI')
    assert.is(await page.locator('#code-form').count(), 0, 'no code to type again')
    assert.is(await page.textContent('#confirm-code'), body.user_code)
    assert.match((await page.textContent('#confirm-prefilled')) ?? '', /came with the address you opened/)
    assert.is(await page.textContent('#confirm-process'), 'jupyter-lab')
    assert.is((await pollDeviceCode(ref.server, body.device_code)).body.error, 'authorization_pending', 'opening the address decides nothing')
    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click('#deny')]), 10_000, 'denying')
    assert.is(await page.getAttribute('#outcome', 'data-outcome'), 'denied')
    const denied = await pollDeviceCode(ref.server, body.device_code)
    assert.is(denied.body.error, 'access_denied')
  } finally {
    await timeout(page.context().close(), 10_000, 'closing the context')
  }
})

test('signed out, the complete URI signs in first and then shows the review; a wrong code there gets the code form', async () => {
  const { body } = await requestDeviceCode(ref.server, { process_name: 'from-the-qr', hostname: 'qr-box' })
  const { context, page } = await openPage(browser)
  try {
    await timeout(page.goto(body.verification_uri_complete), 10_000, 'opening the complete URI')
    await page.fill('#email', ada.email)
    await page.fill('#password', ada.password)
    await timeout(Promise.all([page.waitForSelector('#confirm-code'), page.click('#signin-submit')]), 10_000, 'signing in')
    assert.is(await page.textContent('#confirm-code'), body.user_code)
    assert.is(await page.textContent('#confirm-process'), 'from-the-qr')
    assert.ok(await page.isVisible('#confirm-prefilled'))
    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click('#approve')]), 10_000, 'approving')
    assert.is(await page.getAttribute('#outcome', 'data-outcome'), 'approved')
    assert.is((await pollDeviceCode(ref.server, body.device_code)).status, 200)

    // The same address again: the code is used, so the form comes back with the reason.
    await timeout(page.goto(body.verification_uri_complete), 10_000, 'opening a used complete URI')
    assert.is(await page.getAttribute('#error', 'data-reason'), 'used')
    assert.is(await page.inputValue('#user_code'), body.user_code)
    assert.is(await page.locator('#confirm-code').count(), 0)
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
  }
})

test('a wrong code gets a clear message, and 5 wrong codes pause the session', async () => {
  const page = await signedInPage()
  try {
    await enterCode(page, 'BCDF-GHJK')
    assert.is(await page.getAttribute('#error', 'data-reason'), 'wrong_code')
    assert.match((await page.textContent('#error')) ?? '', /not valid/)
    for (let i = 2; i <= 4; i++) {
      await enterCode(page, 'BCDF-GHJK')
      assert.is(await page.getAttribute('#error', 'data-reason'), 'wrong_code', `wrong code ${i}`)
    }
    await enterCode(page, 'BCDF-GHJK')
    assert.is(await page.getAttribute('#error', 'data-reason'), 'paused')
    assert.match((await page.textContent('#error')) ?? '', /Too many wrong codes.*wait \d+ seconds/)

    // Even a right code waits out the pause.
    const { body } = await requestDeviceCode(ref.server)
    await enterCode(page, body.user_code)
    assert.is(await page.getAttribute('#error', 'data-reason'), 'paused')
  } finally {
    await timeout(page.context().close(), 10_000, 'closing the context')
  }
})

test('a wrong password is refused on the page, and a form without its CSRF token is rejected', async () => {
  const { context, page } = await openPage(browser)
  try {
    await timeout(page.goto(`${ref.server.url}/device`), 10_000, 'opening /device')
    await page.fill('#email', 'nobody@example.com')
    await page.fill('#password', 'nope')
    await timeout(Promise.all([page.waitForLoadState('load'), page.click('#signin-submit')]), 10_000, 'signing in')
    assert.is(await page.getAttribute('#error', 'data-reason'), 'credentials')

    const cookies = await context.cookies()
    const session = cookies.find((c) => c.name === 'omicos_device_session')
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly')
    assert.is(session?.sameSite, 'Lax')

    const forged = await page.request.post(`${ref.server.url}/device/login`, { form: { email: ada.email, password: ada.password, csrf: 'forged' } })
    assert.is(forged.status(), 403)
    assert.match(await forged.text(), /data-reason="session"/)
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
  }
})

test.run()
