// The exported RFC 8628 client (`runDeviceGrant`) against a STOCK node-oidc-provider: only
// `features.deviceFlow` and the library's own `devInteractions`, one public client, the default
// in-memory adapter, nothing of the reference server (no `interval`, no `slow_down`, no omicOS
// routes). A person approves or aborts through the provider's own pages over HTTP: the /device
// code form, the devInteractions sign-in and consent forms, the confirmation form, with plain
// fetch and a cookie jar. Only the clock is faked: the grant's machine runs on the test
// kit's clock, moved to its next timer whenever no request is in flight, so a 5 s interval
// does not take 5 s.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider from 'oidc-provider'
import type { PairingView } from '../../../machines/device-grant.contract.js'
import { runDeviceGrant, type FetchLike } from '../../../effects/client/device-grant.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { secretSafeInspector } from '../../../effects/client/safe-inspector.js'
import { TestClock } from '../../support/machine-harness.js'
import { sleep, timeout } from '../../support/wait.js'

const CLIENT = 'stock-cli'
const SCOPE = 'openid'

let server: Server
let issuer = ''

test.before(async () => {
  server = createServer()
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'listen')
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT,
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
        response_types: [],
        redirect_uris: [],
      },
    ],
    features: { deviceFlow: { enabled: true }, devInteractions: { enabled: true } },
  })
  server.on('request', provider.callback())
})

test.after(async () => {
  server.closeAllConnections()
  await timeout(new Promise((resolve) => server.close(resolve)), 5_000, 'close')
})

// --- a person at the provider's pages -------------------------------------------------------

interface Page {
  url: string
  status: number
  html: string
}

/** Plain fetch with a cookie jar; redirects are followed by hand so every Set-Cookie is kept. */
const person = () => {
  const jar = new Map<string, string>()
  const request = async (url: string, form?: Record<string, string>): Promise<Page> => {
    let target = new URL(url, issuer).href
    let body = form ? new URLSearchParams(form).toString() : undefined
    for (let hop = 0; hop < 10; hop++) {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
      const response = await timeout(
        fetch(target, {
          method: body === undefined ? 'GET' : 'POST',
          body,
          redirect: 'manual',
          headers: { ...(cookie && { cookie }), ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }) },
        }),
        10_000,
        `the page ${target}`,
      )
      for (const line of response.headers.getSetCookie()) {
        const pair = line.split(';')[0]
        const name = pair.slice(0, pair.indexOf('=')).trim()
        const value = pair.slice(pair.indexOf('=') + 1).trim()
        if (!value || /expires=thu, 01 jan 1970/i.test(line)) jar.delete(name)
        else jar.set(name, value)
      }
      const location = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel()
        target = new URL(location, target).href
        body = undefined
        continue
      }
      return { url: target, status: response.status, html: await response.text() }
    }
    throw new Error(`more than 10 redirects from ${url}`)
  }
  return { request }
}

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')

/** The form of a page (the first, or the one whose id is given): where it posts and its hidden fields. */
const formOf = (page: Page, id?: string) => {
  const forms = [...page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)]
  const found = forms.find(([, attributes]) => !id || attributes.includes(`id="${id}"`))
  assert.ok(found, `${page.url} (HTTP ${page.status}) has ${id ? `a form ${id}` : 'a form'}:\n${page.html.slice(0, 600)}`)
  const action = /action="([^"]*)"/.exec(found![1])?.[1] ?? page.url
  const fields: Record<string, string> = {}
  for (const [input] of found![2].matchAll(/<input\b[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input)?.[1]
    const value = /value="([^"]*)"/.exec(input)?.[1]
    if (name && /type="hidden"/.test(input)) fields[name] = unescapeHtml(value ?? '')
  }
  return { action: new URL(unescapeHtml(action), page.url).href, fields }
}

/**
 * What a person does on another device: opens the verification address, types the user code,
 * and on the confirmation page either presses Abort, or presses Continue, signs in on the
 * devInteractions login form and allows the consent.
 */
const atTheProviderPages = async (auth: PairingView, choice: 'approve' | 'abort', login = 'acct-interop') => {
  const browser = person()
  let page = await browser.request(auth.verificationUri)
  let form = formOf(page, 'op.deviceInputForm')
  page = await browser.request(form.action, { ...form.fields, user_code: auth.userCode })
  form = formOf(page, 'op.deviceConfirmForm')
  assert.ok(page.html.includes(auth.userCode), 'the confirmation page shows the user code')
  if (choice === 'abort') {
    page = await browser.request(form.action, { ...form.fields, abort: 'yes' })
    assert.match(page.html, /The Sign-in request was interrupted/)
    return
  }
  page = await browser.request(form.action, form.fields)
  form = formOf(page)
  assert.is(form.fields.prompt, 'login', 'the devInteractions sign-in form')
  page = await browser.request(form.action, { ...form.fields, login, password: 'any password' })
  form = formOf(page)
  assert.is(form.fields.prompt, 'consent', 'the devInteractions consent form')
  page = await browser.request(form.action, form.fields)
  assert.match(page.html, /Sign-in Success/)
}

// --- the grant ------------------------------------------------------------------------------

const POLL_WAIT_LIMIT_MS = 60_000

/**
 * A simulated clock for a grant that talks real HTTP: whenever no request is in flight, it
 * moves to the next timer, recording each poll wait; `during(n)` runs before the n-th wait ends.
 */
const simulatedWaits = (during: (n: number) => Promise<void> = async () => {}) => {
  const clock = new TestClock(Date.now())
  const waits: number[] = []
  let inFlight = 0
  const track =
    (inner: FetchLike): FetchLike =>
    async (url, init) => {
      inFlight++
      try {
        return await inner(url, init)
      } finally {
        inFlight--
      }
    }
  const drive = async <T>(grant: Promise<T>): Promise<T> => {
    let done = false
    grant.then(
      () => (done = true),
      () => (done = true),
    )
    while (!done) {
      await sleep(5)
      if (done || inFlight > 0) continue
      const next = clock.next()
      if (!next) continue
      // The grant's inspector sees stand-ins, not its actor system, so timers are told apart by
      // length: the waits between polls are seconds, the code's deadline is minutes away.
      if (next.due - clock.now() < POLL_WAIT_LIMIT_MS) {
        waits.push(next.due - clock.now())
        await during(waits.length)
      }
      clock.fireUntil(next.due)
    }
    return grant
  }
  return { clock, waits, track, drive }
}

/** Counts what the grant sends where, passing every request on to the real fetch. */
const countingFetch = () => {
  const paths: string[] = []
  const counted: FetchLike = (url, init) => {
    paths.push(new URL(url).pathname)
    return fetch(url, init)
  }
  return { paths, fetch: counted }
}

test('runDeviceGrant: no interval sent -> every wait is 5 s; approved on the stock pages -> tokens', async () => {
  let auth: PairingView | undefined
  // The person approves while the grant waits after its first poll (answered pending).
  const sim = simulatedWaits(async (n) => {
    if (n === 2) await atTheProviderPages(auth!, 'approve')
  })
  const net = countingFetch()
  const inspected: string[] = []
  const tokens = await timeout(
    sim.drive(
      runDeviceGrant({
        server: issuer,
        clientId: CLIENT,
        scope: SCOPE,
        fetch: sim.track(net.fetch),
        clock: sim.clock,
        now: () => sim.clock.now(),
        onCode: (a) => void (auth = a),
        inspect: secretSafeInspector((event) => void inspected.push(JSON.stringify(event))),
      }),
    ),
    30_000,
    'the device grant',
  )
  assert.ok(auth, 'onCode was given the codes')
  assert.is(auth!.intervalMs, 5_000, 'the stock provider sends no interval: RFC 8628 section 3.2 says 5 s')
  assert.match(auth!.userCode, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/)
  assert.is(auth!.verificationUri, `${issuer}/device`)
  assert.equal(sim.waits, [5_000, 5_000], 'one wait before each poll, each the 5 s default')
  assert.equal(net.paths.filter((p) => p === '/token').length, 2, 'pending, then granted')
  assert.is(net.paths.filter((p) => p.startsWith('/.well-known/')).length, 1, 'discovery once for the whole grant')
  assert.type(tokens.access_token, 'string')
  assert.is(tokens.token_type, 'Bearer')
  assert.type(tokens.id_token, 'string')
  // The inspector saw the grant end, with none of what the provider issued in it.
  const seen = inspected.join('\n')
  assert.ok(seen.includes('granted'))
  for (const secret of [tokens.access_token, tokens.id_token]) assert.not.ok(seen.includes(secret!), 'no token in an inspection event')
})

test('runDeviceGrant: aborted on the stock confirmation page -> refused', async () => {
  let auth: PairingView | undefined
  const sim = simulatedWaits(async (n) => {
    if (n === 2) await atTheProviderPages(auth!, 'abort')
  })
  const error = await timeout(
    sim
      .drive(
        runDeviceGrant({
          server: issuer,
          clientId: CLIENT,
          scope: SCOPE,
          fetch: sim.track(fetch),
          clock: sim.clock,
          now: () => sim.clock.now(),
          onCode: (a) => void (auth = a),
        }),
      )
      .then(
        () => null,
        (e: unknown) => e,
      ),
    30_000,
    'the device grant',
  )
  assert.instance(error, EngineError)
  assert.is((error as EngineError).kind, 'refused')
  assert.equal(sim.waits, [5_000, 5_000])
})

test('runDeviceGrant: expires_in passes while pending -> expired, and nothing is sent at or after it', async () => {
  const sim = simulatedWaits()
  const net = countingFetch()
  let auth: PairingView | undefined
  let startedAt = 0
  const error = await timeout(
    sim
      .drive(
        runDeviceGrant({
          server: issuer,
          clientId: CLIENT,
          scope: SCOPE,
          fetch: sim.track(net.fetch),
          clock: sim.clock,
          now: () => sim.clock.now(),
          onCode: (a) => {
            auth = a
            startedAt = sim.clock.now()
          },
        }),
      )
      .then(
        () => null,
        (e: unknown) => e,
      ),
    60_000,
    'the device grant',
  )
  assert.instance(error, EngineError)
  assert.is((error as EngineError).kind, 'expired')
  const lifetime = auth!.deadline - startedAt
  assert.is(sim.clock.now() - startedAt, lifetime, 'it ends exactly at expires_in')
  const polls = net.paths.filter((p) => p === '/token').length
  assert.is(polls, Math.ceil(lifetime / 5_000) - 1, 'one poll per 5 s strictly before expires_in')
})

test('runDeviceGrant: explicit endpoints skip discovery; aborting the signal -> cancelled', async () => {
  const metadata = { device_authorization_endpoint: `${issuer}/device/auth`, token_endpoint: `${issuer}/token` }
  const net = countingFetch()
  const controller = new AbortController()
  const sim = simulatedWaits(async (n) => {
    if (n === 2) controller.abort()
  })
  const error = await timeout(
    sim
      .drive(
        runDeviceGrant({
          metadata,
          clientId: CLIENT,
          scope: SCOPE,
          fetch: sim.track(net.fetch),
          clock: sim.clock,
          now: () => sim.clock.now(),
          signal: controller.signal,
          onCode: () => {},
        }),
      )
      .then(
        () => null,
        (e: unknown) => e,
      ),
    30_000,
    'the device grant',
  )
  assert.instance(error, EngineError)
  assert.is((error as EngineError).kind, 'cancelled')
  assert.equal(net.paths, ['/device/auth', '/token'], 'no discovery, and no poll after the abort')
  assert.equal(sim.waits, [5_000, 5_000])
})

test('runDeviceGrant: an inspector not wrapped by secretSafeInspector is refused before anything is sent', async () => {
  const net = countingFetch()
  const seen: unknown[] = []
  const error = await runDeviceGrant({
    server: issuer,
    clientId: CLIENT,
    scope: SCOPE,
    fetch: net.fetch,
    onCode: () => {},
    // what the types refuse, as a JavaScript caller would pass it
    inspect: ((event: unknown) => void seen.push(event)) as never,
  }).then(
    () => null,
    (e: unknown) => e,
  )
  assert.instance(error, TypeError)
  assert.equal(net.paths, [], 'no request')
  assert.equal(seen, [])
})

test.run()
