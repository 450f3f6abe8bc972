// runDeviceGrant's pacing, RFC 8628 section 3.5, against a scripted token endpoint: what a stock
// server never sends (slow_down, connection failures) is scripted here. The grant runs the
// device-grant machine on XState's simulated clock, moved from timer to timer, so minutes of
// polling take milliseconds; the oracle is the simulated time of every request the server got.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  DEFAULT_INTERVAL_S,
  DEVICE_CODE_GRANT_TYPE,
  parseDeviceAuthorization,
  parseTokenResponse,
  pollDeviceToken,
  requestDeviceAuthorization,
  runDeviceGrant,
  type FetchLike,
} from '../../../effects/client/device-grant.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { timeout } from '../../support/wait.js'
import { settle, TimerClock } from '../../support/machine-harness.js'

// A real epoch start, so a wait computed from 0 instead of the answer's time would show.
const EPOCH = Date.UTC(2026, 11, 2, 9, 0, 0)

const metadata = { device_authorization_endpoint: 'https://as.example/device', token_endpoint: 'https://as.example/token' }

type TokenAnswer = 'pending' | 'slow_down' | 'http429' | 'down' | 'html' | 'denied' | 'expired' | 'granted'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** A server whose token endpoint answers from `script`; `interval` is sent only when given. */
const scriptedServer = (script: TokenAnswer[], interval?: number, expiresIn = 600, clock?: TimerClock) => {
  const answers = [...script]
  const polls: number[] = []
  const fetch: FetchLike = async (url) => {
    if (url === metadata.device_authorization_endpoint) {
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
  return { fetch, polls, left: () => answers.length }
}

/** Runs the grant on a simulated clock moved timer by timer; returns the time of every poll (ms after the code arrived). */
const runScripted = async (script: TokenAnswer[], interval?: number, extra: { maxBackoffMs?: number; expiresIn?: number } = {}) => {
  const clock = new TimerClock()
  clock.set(EPOCH)
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
      if (due !== undefined) clock.set(Math.max(due, clock.now()))
    }
  }
  await timeout(drive(), 5_000, 'driving the clock')
  const result = await timeout(outcome, 5_000, 'the device grant')
  return { polls: server.polls.map((at) => at - (codeAt ?? EPOCH)), outcome: result, left: server.left(), endedAt: clock.now() - (codeAt ?? EPOCH) }
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

test('connection errors back off exponentially from the interval, capped, never below the interval', async () => {
  const script: TokenAnswer[] = ['pending', 'down', 'down', 'down', 'pending', 'slow_down', 'down', 'granted']
  const { polls, outcome } = await runScripted(script, 3, { maxBackoffMs: 20_000 })
  // 3 s; failures: 6, 12, then 24 capped at 20; an answer resets to the interval (3), slow_down
  // makes it 8, and a failure then backs off from 8 (16).
  assert.equal(gaps(polls), [3_000, 3_000, 6_000, 12_000, 20_000, 3_000, 8_000, 16_000])
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
  // Polls at 5, 15 (+10), 35 (+20); the next would be at 75 (+40), past the code's 60 s: it ends at 60.
  assert.equal(polls, [5_000, 15_000, 35_000])
  assert.is(endedAt, 60_000)
  assert.is(left, 17)
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

// --- the two requests and their checks ---------------------------------------------------

/** A fetch that answers one scripted response and records the request it got. */
const once = (status: number, body: unknown, raw?: string) => {
  const seen: { url: string; form: Record<string, string>; method?: string }[] = []
  const fetch: FetchLike = async (url, init) => {
    seen.push({ url, form: Object.fromEntries(new URLSearchParams(String(init?.body ?? ''))), method: init?.method })
    return raw === undefined ? json(status, body) : new Response(raw, { status })
  }
  return { fetch, seen }
}

const rejection = async (promise: Promise<unknown>) => {
  const error = await timeout(promise.then(() => null, (e: unknown) => e), 5_000, 'the request')
  assert.instance(error, EngineError)
  return error as EngineError
}

const authBody = { device_code: 'dc-1', user_code: 'BCDF-GHJK', verification_uri: 'https://as.example/device', expires_in: 600 }

test('parseDeviceAuthorization: the fields, interval 5 s when absent, receivedAt as given', () => {
  assert.equal(parseDeviceAuthorization({ ...authBody, verification_uri_complete: 'https://as.example/device?c=1', interval: 7 }, EPOCH), {
    deviceCode: 'dc-1',
    userCode: 'BCDF-GHJK',
    verificationUri: 'https://as.example/device',
    verificationUriComplete: 'https://as.example/device?c=1',
    expiresIn: 600,
    interval: 7,
    receivedAt: EPOCH,
  })
  assert.is(DEFAULT_INTERVAL_S, 5)
  const plain = parseDeviceAuthorization(authBody, EPOCH)
  assert.equal([plain.interval, plain.verificationUriComplete], [5, null])
  assert.is(parseDeviceAuthorization({ ...authBody, interval: null }, EPOCH).interval, 5)
  assert.is(parseDeviceAuthorization({ ...authBody, verification_uri: undefined, verification_url: 'https://as.example/d' }, EPOCH).verificationUri, 'https://as.example/d')
  // numeric strings are accepted, fractions rounded up, the bounds inclusive
  assert.equal(
    [parseDeviceAuthorization({ ...authBody, expires_in: '900', interval: '3' }, EPOCH).expiresIn, parseDeviceAuthorization({ ...authBody, interval: 2.5 }, EPOCH).interval],
    [900, 3],
  )
  assert.equal([parseDeviceAuthorization({ ...authBody, expires_in: 1, interval: 1 }, 0).expiresIn, parseDeviceAuthorization({ ...authBody, expires_in: 86_400, interval: 300 }, 0).interval], [1, 300])
  assert.is(parseDeviceAuthorization({ ...authBody, user_code: 'BCDF GHJK' }, 0).userCode, 'BCDF GHJK')
})

test('parseDeviceAuthorization: what it refuses, and why', () => {
  const why = (body: Record<string, unknown>) => {
    try {
      parseDeviceAuthorization(body, 0)
      return 'accepted'
    } catch (error) {
      assert.instance(error, EngineError)
      assert.is((error as EngineError).kind, 'bad_response')
      return (error as Error).message
    }
  }
  assert.is(why({ ...authBody, device_code: undefined }), 'the server sent no usable device_code')
  assert.is(why({ ...authBody, device_code: '' }), 'the server sent no usable device_code')
  assert.is(why({ ...authBody, device_code: 42 }), 'the server sent no usable device_code')
  assert.is(why({ ...authBody, device_code: 'x'.repeat(4096) }), 'accepted')
  assert.is(why({ ...authBody, device_code: 'x'.repeat(4097) }), 'the server sent a device_code that is too long')
  assert.is(why({ ...authBody, user_code: 'AB\u001b[2JCD' }), 'the server sent a user_code containing control characters')
  assert.is(why({ ...authBody, user_code: 'A'.repeat(64) }), 'accepted')
  assert.is(why({ ...authBody, user_code: 'A'.repeat(65) }), 'the server sent a user_code that is too long')
  for (const code of ['BCDF  GHJK', ' BCDF', 'BCDF ']) assert.is(why({ ...authBody, user_code: code }), 'the server sent a user_code with stray spaces', code)
  assert.is(why({ ...authBody, expires_in: 'soon' }), 'the server sent no usable expires_in')
  assert.is(why({ ...authBody, expires_in: '1234567890' }), 'the server sent no usable expires_in')
  assert.is(why({ ...authBody, expires_in: Infinity }), 'the server sent no usable expires_in')
  assert.is(why({ ...authBody, expires_in: 0 }), 'the server sent expires_in 0, outside 1..86400 seconds')
  assert.is(why({ ...authBody, expires_in: 86_401 }), 'the server sent expires_in 86401, outside 1..86400 seconds')
  assert.is(why({ ...authBody, interval: 0 }), 'the server sent interval 0, outside 1..300 seconds')
  assert.is(why({ ...authBody, interval: 301 }), 'the server sent interval 301, outside 1..300 seconds')
  assert.match(why({ ...authBody, verification_uri: 'http://as.example/device' }), 'verification_uri')
  assert.match(why({ ...authBody, verification_uri_complete: 'ftp://as.example/x' }), 'verification_uri_complete')
})

test('requestDeviceAuthorization: the form it posts, receivedAt from now(), and the answers it refuses', async () => {
  const ok = once(200, { ...authBody, interval: 2 })
  const code = await timeout(
    requestDeviceAuthorization({ metadata, clientId: 'cli', scope: 'openid', extraParams: { process_name: 'omics' }, fetch: ok.fetch, now: () => EPOCH }),
    5_000,
    'request',
  )
  assert.equal(code, { deviceCode: 'dc-1', userCode: 'BCDF-GHJK', verificationUri: 'https://as.example/device', verificationUriComplete: null, expiresIn: 600, interval: 2, receivedAt: EPOCH })
  assert.equal(ok.seen, [{ url: metadata.device_authorization_endpoint, form: { process_name: 'omics', client_id: 'cli', scope: 'openid' }, method: 'POST' }])
  const noScope = once(200, authBody)
  await requestDeviceAuthorization({ metadata, clientId: 'cli', extraParams: { client_id: 'forged' }, fetch: noScope.fetch })
  assert.equal(noScope.seen[0].form, { client_id: 'cli' }, 'no scope sent when none given; the client id is not overridable')

  const limited = await rejection(requestDeviceAuthorization({ metadata, clientId: 'cli', fetch: once(429, { error: 'slow_down' }).fetch }))
  assert.equal([limited.kind, limited.message], ['refused', 'as.example is refusing new pairing requests for now (too many); try again later'])
  const refused = await rejection(requestDeviceAuthorization({ metadata, clientId: 'cli', fetch: once(400, { error: 'invalid_client' }).fetch }))
  assert.equal([refused.kind, refused.message], ['bad_response', 'as.example refused the device authorization request: invalid_client (HTTP 400)'])
  const noEndpoint = await rejection(requestDeviceAuthorization({ metadata: { ...metadata, device_authorization_endpoint: null }, clientId: 'cli', fetch: once(200, authBody).fetch }))
  assert.equal([noEndpoint.kind, noEndpoint.message], ['bad_response', 'as.example does not offer device authorization (no device_authorization_endpoint)'])
  const named = await rejection(requestDeviceAuthorization({ metadata: { ...metadata, device_authorization_endpoint: null }, server: 'https://id.example', clientId: 'cli', fetch: once(200, authBody).fetch }))
  assert.match(named.message, 'id.example does not offer')
  const nothing = await rejection(requestDeviceAuthorization({ clientId: 'cli', fetch: once(200, authBody).fetch }))
  assert.equal([nothing.kind, nothing.message], ['usage', 'the device grant needs either metadata or a server'])
})

test('requestDeviceAuthorization and pollDeviceToken: discovered from the server when no metadata is given', async () => {
  const seen: string[] = []
  const fetch: FetchLike = async (url) => {
    seen.push(url)
    if (url.endsWith('/.well-known/oauth-authorization-server')) {
      return json(200, { issuer: 'https://id.example', token_endpoint: 'https://id.example/token', device_authorization_endpoint: 'https://id.example/device' })
    }
    if (url === 'https://id.example/device') return json(200, authBody)
    return json(400, { error: 'authorization_pending' })
  }
  const code = await requestDeviceAuthorization({ server: 'https://id.example', clientId: 'cli', fetch })
  assert.is(code.deviceCode, 'dc-1')
  const poll = await pollDeviceToken({ server: 'https://id.example', clientId: 'cli', fetch, deviceCode: 'dc-1' })
  assert.is(poll.kind, 'pending')
  assert.equal(seen.filter((url) => !url.includes('well-known')), ['https://id.example/device', 'https://id.example/token'])
})

test('pollDeviceToken: the form it posts, and every answer sorted', async () => {
  const poll = async (status: number, body: unknown) => {
    const server = once(status, body)
    const result = await pollDeviceToken({ metadata, clientId: 'cli', fetch: server.fetch, deviceCode: 'dc-9', now: () => EPOCH + 1 })
    return { result, seen: server.seen }
  }
  const pending = await poll(400, { error: 'authorization_pending' })
  assert.equal(pending.result, { kind: 'pending', at: EPOCH + 1 })
  assert.equal(pending.seen, [{ url: metadata.token_endpoint, form: { grant_type: DEVICE_CODE_GRANT_TYPE, device_code: 'dc-9', client_id: 'cli' }, method: 'POST' }])
  assert.is(DEVICE_CODE_GRANT_TYPE, 'urn:ietf:params:oauth:grant-type:device_code')
  assert.equal((await poll(400, { error: 'slow_down' })).result, { kind: 'slowDown', at: EPOCH + 1 })
  assert.equal((await poll(429, {})).result, { kind: 'slowDown', at: EPOCH + 1 })
  assert.equal((await poll(400, { error: 'access_denied' })).result, { kind: 'denied', at: EPOCH + 1 })
  assert.equal((await poll(400, { error: 'expired_token' })).result, { kind: 'expired', at: EPOCH + 1 })
  assert.equal((await poll(400, { error: 'invalid_grant' })).result, { kind: 'expired', at: EPOCH + 1 })
  const tokens = { access_token: 'at-1', token_type: 'Bearer', expires_in: 60, refresh_token: 'rt-1' }
  assert.equal((await poll(200, tokens)).result, { kind: 'granted', tokens, at: EPOCH + 1 })
  const odd = await rejection(poll(400, { error: 'invalid_client' }))
  assert.equal([odd.kind, odd.message], ['bad_response', 'as.example answered the device token request with invalid_client (HTTP 400)'])
  const garbled = await rejection(poll(401, { error: 'bad\u0007code' }))
  assert.is(garbled.message, 'as.example answered the device token request with unknown error (HTTP 401)')
})

test('parseTokenResponse: what a usable token response needs', () => {
  const why = (body: Record<string, unknown>) => {
    try {
      parseTokenResponse(body, 'as.example')
      return 'accepted'
    } catch (error) {
      assert.is((error as EngineError).kind, 'bad_response')
      return (error as Error).message
    }
  }
  const good = { access_token: 'at-1', token_type: 'Bearer' }
  assert.is(why(good), 'accepted')
  assert.equal(parseTokenResponse({ ...good, scope: 'openid' }, 'h'), { ...good, scope: 'openid' })
  assert.is(why({ ...good, expires_in: 1, refresh_token: 'rt', }), 'accepted')
  assert.is(why({ ...good, refresh_token: null }), 'accepted')
  for (const access_token of [undefined, '', 42, 'a\nb']) {
    assert.is(why({ ...good, access_token }), 'as.example sent a token response without a usable access_token')
  }
  assert.is(why({ ...good, token_type: undefined }), 'as.example sent a token response without token_type')
  assert.is(why({ ...good, token_type: '' }), 'as.example sent a token response without token_type')
  for (const expires_in of [0, -1, '60', Number.NaN]) assert.is(why({ ...good, expires_in }), 'as.example sent a token response with an unusable expires_in', String(expires_in))
  for (const refresh_token of [42, 'r\u001bt']) assert.is(why({ ...good, refresh_token }), 'as.example sent a token response with an unusable refresh_token')
})

test('runDeviceGrant: the code shown once, the request tagged with no process, failures as EngineError with their reason', async () => {
  const clock = new TimerClock()
  clock.set(EPOCH)
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
    if (due !== undefined) clock.set(Math.max(due, clock.now()))
  }
  const error = (await timeout(outcome, 5_000, 'the grant')) as EngineError
  assert.instance(error, EngineError)
  assert.equal([error.kind, error.message, error.reason], ['refused', 'the pairing was declined on the other device', 'pairingDenied'])
  assert.equal(shown, [
    { userCode: 'BCDF-GHJK', verificationUri: 'https://as.example/device', verificationUriComplete: 'https://as.example/device?c=1', deadline: EPOCH + 600_000, intervalMs: 1_000 },
  ])
  assert.equal(forms[0], { client_id: 'cli', scope: 'openid' }, 'no process name or host: this is not the omicOS login')
  const aborted = new AbortController()
  aborted.abort()
  const early = (await runDeviceGrant({ metadata, clientId: 'cli', fetch, signal: aborted.signal, onCode: () => {} }).then(() => null, (e: unknown) => e)) as EngineError
  assert.equal([early.kind, early.message], ['cancelled', 'the device authorization was cancelled'])
})

test.run()
