// runDeviceGrant's pacing, RFC 8628 section 3.5, against a scripted token endpoint: what a stock
// server never sends (slow_down, connection failures) is scripted here. The clock the loop
// reads moves only by the waits it asks for, so minutes of polling take milliseconds.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runDeviceGrant, type FetchLike } from '../../../effects/client/device-grant.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { timeout } from '../../support/wait.js'

const metadata = { device_authorization_endpoint: 'https://as.example/device', token_endpoint: 'https://as.example/token' }

type TokenAnswer = 'pending' | 'slow_down' | 'http429' | 'down' | 'html' | 'denied' | 'expired' | 'granted'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** A server whose token endpoint answers from `script`; `interval` is sent only when given. */
const scriptedServer = (script: TokenAnswer[], interval?: number, expiresIn = 600) => {
  const answers = [...script]
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
  return { fetch, left: () => answers.length }
}

/** Runs the loop on a clock moved only by its own waits; returns the waits and the outcome. */
const runScripted = async (script: TokenAnswer[], interval?: number, extra: { maxBackoffMs?: number; expiresIn?: number } = {}) => {
  const server = scriptedServer(script, interval, extra.expiresIn)
  let clock = 0
  const waits: number[] = []
  const outcome = await timeout(
    runDeviceGrant({
      metadata,
      clientId: 'cli',
      fetch: server.fetch,
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms)
        clock += ms
      },
      maxBackoffMs: extra.maxBackoffMs,
      onCode: () => {},
    }).then(
      (tokens) => ({ tokens }),
      (error: unknown) => ({ error }),
    ),
    5_000,
    'the device grant',
  )
  return { waits, outcome, left: server.left() }
}

const kindOf = (outcome: object) => {
  const error = (outcome as { error?: unknown }).error
  return error instanceof EngineError ? error.kind : String(error)
}

test('the interval the server sent; slow_down adds 5 s for every later request, a 429 (unavailable) does not', async () => {
  const { waits, outcome } = await runScripted(['pending', 'slow_down', 'pending', 'http429', 'pending', 'granted'], 2)
  assert.equal(waits, [2_000, 2_000, 7_000, 7_000, 7_000, 7_000])
  assert.is((outcome as { tokens: { access_token: string } }).tokens.access_token, 'at-1')
})

test('connection errors back off exponentially from the interval, capped, never below the interval', async () => {
  const script: TokenAnswer[] = ['pending', 'down', 'down', 'down', 'pending', 'slow_down', 'down', 'granted']
  const { waits, outcome } = await runScripted(script, 3, { maxBackoffMs: 20_000 })
  // 3 s; failures: 6, 12, then 24 capped at 20; an answer resets to the interval (3), slow_down
  // makes it 8, and a failure then backs off from 8 (16).
  assert.equal(waits, [3_000, 3_000, 6_000, 12_000, 20_000, 3_000, 8_000, 16_000])
  assert.ok('tokens' in outcome)
  const capped = await runScripted(['down', 'granted'], 30, { maxBackoffMs: 10_000 })
  assert.equal(capped.waits, [30_000, 30_000], 'a cap below the interval never makes it poll faster')
})

test('access_denied -> refused; expired_token -> expired; an unusable answer throws at once', async () => {
  const denied = await runScripted(['pending', 'denied'])
  assert.is(kindOf(denied.outcome), 'refused')
  assert.equal(denied.waits, [5_000, 5_000], 'no interval sent: 5 s')
  const expired = await runScripted(['expired'])
  assert.is(kindOf(expired.outcome), 'expired')
  const html = await runScripted(['html', 'granted'])
  assert.is(kindOf(html.outcome), 'bad_response')
  assert.is(html.left, 1, 'not retried')
})

test('connection errors keep backing off until expires_in, then expired; nothing is sent after it', async () => {
  const script: TokenAnswer[] = Array.from({ length: 20 }, () => 'down')
  const { waits, outcome, left } = await runScripted(script, 5, { expiresIn: 60 })
  assert.is(kindOf(outcome), 'expired')
  // 5 (poll), 10 (poll), 20 (poll), then 25 s are left of 60: the loop waits them out and stops.
  assert.equal(waits, [5_000, 10_000, 20_000, 25_000])
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

test.run()
