// runDeviceGrant's pacing, RFC 8628 section 3.5, against a scripted token endpoint: what a stock
// server never sends (slow_down, connection failures) is scripted here. The grant runs the
// device-grant machine on the test kit's clock, moved from timer to timer, so minutes of
// polling take milliseconds; the oracle is the simulated time of every request the server got.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runDeviceGrant, type FetchLike } from '../../../effects/client/device-grant.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { secretSafeInspector, type SecretSafeInspector } from '../../../effects/client/index.js'
import { timeout } from '../../support/wait.js'
import { settle, TestClock } from '../../support/machine-harness.js'
import { wordsOf } from '../../support/failure-words.js'

// A real epoch start, so a wait computed from 0 instead of the answer's time would show.
const EPOCH = Date.UTC(2026, 11, 2, 9, 0, 0)

const metadata = { device_authorization_endpoint: 'https://as.example/device', token_endpoint: 'https://as.example/token' }

type TokenAnswer = 'pending' | 'slow_down' | 'http429' | 'down' | 'html' | 'denied' | 'expired' | 'granted'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** A server whose token endpoint answers from `script`; `interval` is sent only when given. */
const scriptedServer = (script: TokenAnswer[], interval?: number, expiresIn = 600, clock?: TestClock) => {
  const answers = [...script]
  const polls: number[] = []
  const codeRequests: Record<string, string>[] = []
  const fetch: FetchLike = async (url, init) => {
    if (url === metadata.device_authorization_endpoint) {
      codeRequests.push(Object.fromEntries(new URLSearchParams(String(init?.body ?? ''))))
      return json(200, {
        device_code: 'dc-1',
        user_code: 'BCDF-GHJK',
        verification_uri: 'https://as.example/device',
        expires_in: expiresIn,
        ...(interval !== undefined && { interval }),
      })
    }
    polls.push(clock ? clock.now() : Date.now())
    const answer = answers.shift()
    switch (answer) {
      case 'pending':
        return json(400, { error: 'authorization_pending' })
      case 'slow_down':
        return json(400, { error: 'slow_down' })
      case 'http429':
        return json(429, { error: 'too_many_requests' })
      case 'denied':
        return json(400, { error: 'access_denied' })
      case 'expired':
        return json(400, { error: 'expired_token' })
      case 'granted':
        return json(200, { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 })
      case 'html':
        return new Response('<html>maintenance</html>', { status: 200 })
      case 'down':
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })
      default:
        throw new Error('the loop polled after the script ended')
    }
  }
  return { fetch, polls, codeRequests, left: () => answers.length }
}

/** Runs the grant on a simulated clock moved timer by timer; returns the time of every poll (ms after the code arrived). */
const runScripted = async (script: TokenAnswer[], interval?: number, extra: { maxBackoffMs?: number; expiresIn?: number; inspect?: SecretSafeInspector } = {}) => {
  const clock = new TestClock(EPOCH)
  const server = scriptedServer(script, interval, extra.expiresIn, clock)
  let codeAt: number | null = null
  let settled = false
  const outcome = runDeviceGrant({
    metadata,
    clientId: 'cli',
    fetch: server.fetch,
    now: () => clock.now(),
    clock,
    maxBackoffMs: extra.maxBackoffMs,
    inspect: extra.inspect,
    onCode: () => (codeAt = clock.now()),
  }).then(
    (tokens) => ({ tokens }),
    (error: unknown) => ({ error }),
  )
  void outcome.finally(() => (settled = true))
  const drive = async () => {
    for (let step = 0; step < 1_000 && !settled; step++) {
      await settle()
      const due = clock.nextDue()
      if (due !== undefined) clock.fireUntil(due)
    }
  }
  await timeout(drive(), 5_000, 'driving the clock')
  const result = await timeout(outcome, 5_000, 'the device grant')
  return {
    polls: server.polls.map((at) => at - (codeAt ?? EPOCH)),
    outcome: result,
    left: server.left(),
    endedAt: clock.now() - (codeAt ?? EPOCH),
    codeRequests: server.codeRequests,
  }
}

/** The waits between polls, the first one counted from the code's arrival. */
const gaps = (polls: number[]) => polls.map((at, i) => at - (i === 0 ? 0 : polls[i - 1]!))

const kindOf = (outcome: object) => {
  const error = (outcome as { error?: unknown }).error
  return error instanceof EngineError ? error.kind : String(error)
}

test('the interval the server sent; slow_down adds 5 s for this and every later request', async () => {
  const { polls, outcome } = await runScripted(['pending', 'slow_down', 'pending', 'slow_down', 'pending', 'granted'], 2)
  assert.equal(gaps(polls), [2_000, 2_000, 7_000, 7_000, 12_000, 12_000])
  assert.is((outcome as { tokens: { access_token: string } }).tokens.access_token, 'at-1')
})

test('a 429 (unavailable) backs off like a connection error, from the interval in force, without growing the interval', async () => {
  const { polls, outcome } = await runScripted(['pending', 'slow_down', 'pending', 'http429', 'pending', 'granted'], 2)
  assert.equal(gaps(polls), [2_000, 2_000, 7_000, 7_000, 14_000, 7_000])
  assert.ok('tokens' in outcome)
})

test('connection errors back off exponentially from the interval, capped, never below the interval', async () => {
  const script: TokenAnswer[] = ['pending', 'down', 'down', 'down', 'pending', 'slow_down', 'down', 'granted']
  const { polls, outcome } = await runScripted(script, 3, { maxBackoffMs: 20_000 })
  // 3 s; failures: 6, 12, then 24 capped at the interval + 10 s (13); an answer resets to the
  // interval (3), slow_down makes it 8, and a failure then backs off from 8 (16, under 18).
  assert.equal(gaps(polls), [3_000, 3_000, 6_000, 12_000, 13_000, 3_000, 8_000, 16_000])
  assert.ok('tokens' in outcome)
  const capped = await runScripted(['down', 'granted'], 30, { maxBackoffMs: 10_000 })
  assert.equal(gaps(capped.polls), [30_000, 30_000], 'a cap below the interval never makes it poll faster')
})

test('access_denied -> refused; expired_token -> expired; an unusable answer throws at once', async () => {
  const denied = await runScripted(['pending', 'denied'])
  assert.is(kindOf(denied.outcome), 'refused')
  assert.equal(gaps(denied.polls), [5_000, 5_000], 'no interval sent: 5 s')
  const expired = await runScripted(['expired'])
  assert.is(kindOf(expired.outcome), 'expired')
  const html = await runScripted(['html', 'granted'])
  assert.is(kindOf(html.outcome), 'bad_response')
  assert.is(html.left, 1, 'not retried')
})

test('connection errors keep backing off until expires_in, then expired; nothing is sent after it', async () => {
  const script: TokenAnswer[] = Array.from({ length: 20 }, () => 'down')
  const { polls, outcome, left, endedAt } = await runScripted(script, 5, { expiresIn: 60 })
  assert.is(kindOf(outcome), 'expired')
  // Polls at 5, 15 (+10), 30 (+15, the interval + 10 s), 45; the next would be at 60, the
  // code's end: it ends there.
  assert.equal(polls, [5_000, 15_000, 30_000, 45_000])
  assert.is(endedAt, 60_000)
  assert.is(left, 16)
})

test('aborting the signal during the (real) wait -> cancelled, at once', async () => {
  const server = scriptedServer(['pending', 'granted'], 30)
  const controller = new AbortController()
  const started = Date.now()
  setTimeout(() => controller.abort(), 50)
  const error = await timeout(
    runDeviceGrant({ metadata, clientId: 'cli', fetch: server.fetch, signal: controller.signal, onCode: () => {} }).then(
      () => null,
      (e: unknown) => e,
    ),
    5_000,
    'the device grant',
  )
  assert.instance(error, EngineError)
  assert.is((error as EngineError).kind, 'cancelled')
  assert.ok(Date.now() - started < 2_000, 'the 30 s wait was cut short')
  assert.is(server.left(), 2, 'nothing polled')
})

const authBody = { device_code: 'dc-1', user_code: 'BCDF-GHJK', verification_uri: 'https://as.example/device', expires_in: 600 }

test('runDeviceGrant: the code shown once, the request tagged with no process, failures as EngineError with their reason', async () => {
  const clock = new TestClock(EPOCH)
  const forms: Record<string, string>[] = []
  const answers = ['authorization_pending', 'slow_down', 'access_denied']
  const fetch: FetchLike = async (url, init) => {
    forms.push(Object.fromEntries(new URLSearchParams(String(init?.body ?? ''))))
    if (url === metadata.device_authorization_endpoint) return json(200, { ...authBody, verification_uri_complete: 'https://as.example/device?c=1', interval: 1 })
    return json(400, { error: answers.shift() })
  }
  const shown: unknown[] = []
  let settled = false
  const outcome = runDeviceGrant({ metadata, clientId: 'cli', scope: 'openid', fetch, now: () => clock.now(), clock, onCode: (code) => shown.push(code) }).then(
    () => null,
    (error: unknown) => error,
  )
  void outcome.finally(() => (settled = true))
  for (let step = 0; step < 100 && !settled; step++) {
    await settle()
    const due = clock.nextDue()
    if (due !== undefined) clock.fireUntil(due)
  }
  const error = (await timeout(outcome, 5_000, 'the grant')) as EngineError
  assert.instance(error, EngineError)
  assert.equal([error.kind, wordsOf(error), error.reason], ['refused', 'pairing was declined on the other device', 'pairingDenied'])
  assert.equal(shown, [
    {
      userCode: 'BCDF-GHJK',
      verificationUri: 'https://as.example/device',
      verificationUriComplete: 'https://as.example/device?c=1',
      deadline: EPOCH + 600_000,
      intervalMs: 1_000,
      waitMs: 1_000,
      retrying: null,
      polls: 0,
    },
  ])
  assert.equal(forms[0], { client_id: 'cli', scope: 'openid' }, 'no process name or host: this is not the omicOS login')
  const aborted = new AbortController()
  aborted.abort()
  const early = (await runDeviceGrant({ metadata, clientId: 'cli', fetch, signal: aborted.signal, onCode: () => {} }).then(
    () => null,
    (e: unknown) => e,
  )) as EngineError
  assert.equal([early.kind, wordsOf(early)], ['cancelled', 'the device authorization was cancelled'])
})

test('inspected: a wrapped inspector sees the grant to its end, never the device code or the tokens; a raw one is refused before any request', async () => {
  const seen: string[] = []
  const { outcome, codeRequests } = await runScripted(['pending', 'granted'], 5, { inspect: secretSafeInspector((event) => void seen.push(JSON.stringify(event))) })
  assert.equal(codeRequests, [{ client_id: 'cli' }], 'no scope given, none sent')
  assert.equal((outcome as { tokens?: { access_token: string } }).tokens?.access_token, 'at-1')
  const all = seen.join('\n')
  assert.ok(all.includes('"granted"'), 'the inspector saw it end')
  assert.not.ok(all.includes('"dc-1"'), 'no device code')
  assert.not.ok(all.includes('"at-1"'), 'no token')

  const requests: string[] = []
  const counted: FetchLike = (url, init) => {
    requests.push(url)
    return scriptedServer(['granted']).fetch(url, init)
  }
  const refused = await runDeviceGrant({ metadata, clientId: 'cli', fetch: counted, onCode: () => {}, inspect: (() => {}) as never }).then(
    () => null,
    (e: unknown) => e,
  )
  assert.instance(refused, TypeError)
  assert.equal(requests, [], 'nothing sent')
})

test.run()
