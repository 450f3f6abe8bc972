// Headless Chromium for the browser specs: the system's /usr/bin/chromium driven by
// playwright-core, launched and closed within bounds (uvu has no per-test timeout).
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core'
import { timeout } from './wait.js'

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync']

/** Launches the system Chromium, headless, within 30 s. */
export const launchChromium = (): Promise<Browser> =>
  timeout(chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }), 30_000, 'launching chromium')

/** Closes the browser (if it was launched) within 15 s; a failure to close is ignored. */
export const closeChromium = async (browser: Browser | undefined): Promise<void> => {
  await timeout(browser?.close() ?? Promise.resolve(), 15_000, 'closing chromium').catch(() => {})
}

/** A fresh context (its locale, time zone... as `options` say) and page whose actions give up after 10 s. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await timeout(browser.newContext(options), 10_000, 'new browser context')
  try {
    const page = await timeout(context.newPage(), 10_000, 'new page')
    page.setDefaultTimeout(10_000)
    return { context, page }
  } catch (error) {
    await timeout(context.close(), 10_000, 'closing the browser context').catch(() => {})
    throw error
  }
}
