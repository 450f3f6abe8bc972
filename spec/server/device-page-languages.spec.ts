// The /device page speaks the browser's language (Accept-Language: Simplified Chinese for
// zh-CN, Traditional for zh-TW and zh-HK, English otherwise) and shows times in the browser's
// own time zone: Chromium with locale zh-CN in Shanghai goes through the whole approval in
// Chinese, with no English sentence on any page, and the request time on Shanghai's clock.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser, Page } from 'playwright-core'
import { closeChromium, launchChromium, openPage } from '../support/browser.js'
import { DEFAULT_USERS, pollDeviceCode, referenceServerFor, requestDeviceCode } from '../support/server.js'
import { englishSentences } from '../support/english-sentences.js'
import { timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

const ref = referenceServerFor(test, { interval: 1 })
let browser: Browser

test.before(async () => {
  browser = await launchChromium()
})

test.after(async () => {
  await closeChromium(browser)
})

/** What a person reads on the page, less the values that came from the device and the account. */
const readable = async (page: Page, values: string[]): Promise<string> => {
  // biome-ignore lint/performance/useDomNodeTextContent: what is rendered is what a person reads; textContent would hold the page's script
  let text = await timeout(page.innerText('body'), 10_000, 'reading the page')
  for (const value of values) text = text.split(value).join(' ')
  return `${await page.title()}\n${text}`
}

const noEnglish = async (page: Page, values: string[], where: string) => {
  const text = await readable(page, values)
  assert.equal(englishSentences(text), [], `${where}:\n${text}`)
  return text
}

test('zh-CN in Shanghai: every page of an approval in Simplified Chinese, the request time on the local clock', async () => {
  const { body } = await requestDeviceCode(ref.server, { process_name: 'jupyter lab', hostname: 'ada-laptop' })
  const values = [ada.email, 'jupyter lab', 'ada-laptop', body.user_code, '127.0.0.1', 'ABCD-WXYZ']
  const { context, page } = await openPage(browser, { locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  try {
    await timeout(page.goto(`${ref.server.url}/device`), 10_000, 'opening /device')
    assert.is(await page.getAttribute('html', 'lang'), 'zh-CN')
    assert.ok((await noEnglish(page, values, 'sign-in')).includes('登录以连接设备'))

    await page.fill('#email', ada.email)
    await page.fill('#password', 'not the password')
    await timeout(Promise.all([page.waitForLoadState('load'), page.click('#signin-submit')]), 10_000, 'a wrong password')
    assert.is(await page.textContent('#error'), '邮箱或密码错误。')
    await noEnglish(page, values, 'a wrong password')

    await page.fill('#password', ada.password)
    await timeout(Promise.all([page.waitForURL(/\/device$/), page.click('#signin-submit')]), 10_000, 'signing in')
    assert.ok((await noEnglish(page, values, 'the code form')).includes('输入终端上显示的配对码'))

    await page.fill('#user_code', 'BCDF-GHJK')
    await timeout(Promise.all([page.waitForLoadState('load'), page.click('#code-submit')]), 10_000, 'a wrong code')
    assert.is(await page.getAttribute('#error', 'data-reason'), 'wrong_code')
    await noEnglish(page, values, 'a wrong code')

    await page.fill('#user_code', body.user_code)
    await timeout(Promise.all([page.waitForLoadState('load'), page.click('#code-submit')]), 10_000, 'entering the code')
    const review = await noEnglish(page, values, 'the review')
    assert.ok(review.includes('将此程序连接到您的账户？'), review)
    // Shanghai's clock (UTC+8), in Chinese, the zone named; not the server's UTC.
    const requestedAt = Date.parse((await page.getAttribute('#confirm-requested-at time', 'datetime')) ?? '')
    const shown = (await page.textContent('#confirm-requested-at')) ?? ''
    const parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(requestedAt)
    const part = (type: string) => parts.find((p) => p.type === type)!.value
    assert.ok(shown.includes(`${part('year')}年${Number(part('month'))}月${Number(part('day'))}日`), `${shown}: the date in Shanghai`)
    assert.ok(shown.includes(`${part('hour')}:${part('minute')}:${part('second')}`), `${shown}: Shanghai's clock`)
    assert.match(shown, /GMT\+8|UTC\+8|中国标准时间|CST/)
    assert.not.match(shown, /UTC$|UTC \(/)
    assert.match(shown, /（?\(?(刚刚|\d+ 秒前)\)?$/)

    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click('#approve')]), 10_000, 'approving')
    assert.is(await page.getAttribute('#outcome', 'data-outcome'), 'approved')
    assert.ok((await noEnglish(page, values, 'the outcome')).includes('设备已连接'))
    const granted = await pollDeviceCode(ref.server, body.device_code)
    assert.is(granted.status, 200)
  } finally {
    await timeout(context.close(), 10_000, 'closing the context')
  }
})

test('Accept-Language picks the page: Traditional for zh-TW and zh-HK, Simplified for zh, English by weight and by default', async () => {
  const cases: Array<[string | null, string, string]> = [
    ['zh-TW,zh;q=0.9', 'zh-TW', '登入以連接裝置'],
    ['zh-HK', 'zh-TW', '登入以連接裝置'],
    ['zh', 'zh-CN', '登录以连接设备'],
    ['fr-FR,zh-CN;q=0.8,en;q=0.5', 'zh-CN', '登录以连接设备'],
    ['en;q=0.9,zh-CN;q=0.8', 'en', 'Sign in to connect a device'],
    ['fr-FR', 'en', 'Sign in to connect a device'],
    [null, 'en', 'Sign in to connect a device'],
  ]
  for (const [accept, lang, heading] of cases) {
    const response = await timeout(fetch(`${ref.server.url}/device`, { headers: accept ? { 'accept-language': accept } : {} }), 10_000, 'GET /device')
    const html = await response.text()
    assert.ok(html.includes(`<html lang="${lang}">`), `${accept}: ${lang}`)
    assert.ok(html.includes(`<h1>${heading}</h1>`), `${accept}: ${heading}`)
    assert.match(response.headers.get('vary') ?? '', /Accept-Language/i)
  }
})

test('the password grant says a wrong password in the language the client asks for', async () => {
  for (const [accept, text] of [
    ['zh-Hans', '邮箱或密码错误'],
    ['zh-Hant', '電子郵件或密碼錯誤'],
    [null, 'wrong email or password'],
  ] as const) {
    const response = await timeout(
      fetch(`${ref.server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(accept ? { 'accept-language': accept } : {}) },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'omicos-cli',
          username: ada.email,
          password: 'not the password',
          scope: 'openid email offline_access',
        }),
      }),
      10_000,
      'POST /token',
    )
    const answer = (await response.json()) as { error?: string; error_description?: string }
    assert.equal(answer, { error: 'invalid_grant', error_description: text }, String(accept))
  }
})

test.run()
