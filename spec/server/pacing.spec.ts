// Pacing is measured between the arrivals of two polls, not between their answers: a server
// that is slow to answer one poll must not make the next, correctly spaced one look early.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEVICE_GRANT, pollDeviceCode, requestDeviceCode, withReferenceServer } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'

const INTERVAL_S = 2

// A reference server whose next token request, once asked, is held back `holdMs` before any
// work, the way a burst of other work would delay it; every other request goes straight through.
async function serverHoldingNextPoll(holdMs: number) {
  let holdNext = false
  const ref = await withReferenceServer({
    interval: INTERVAL_S,
    holdTokenRequests: async () => {
      if (!holdNext) return
      holdNext = false
      await sleep(holdMs)
    },
  })
  return { ref, holdNextPoll: () => (holdNext = true) }
}

test('a poll sent a full interval after a slowly answered one is pending; half an interval after is slow_down', async () => {
  // Only the first poll is held back.
  const { ref, holdNextPoll } = await serverHoldingNextPoll(INTERVAL_S * 750)
  try {
    const code = await requestDeviceCode(ref.server)
    assert.is(code.status, 200)
    const deviceCode: string = code.body.device_code

    holdNextPoll()
    const firstSent = Date.now()
    const first = await pollDeviceCode(ref.server, deviceCode)
    assert.is(first.body.error, 'authorization_pending')
    assert.ok(Date.now() - firstSent >= INTERVAL_S * 700, 'the first answer was held back')

    await sleep(firstSent + INTERVAL_S * 1000 - Date.now())
    const onTime = await pollDeviceCode(ref.server, deviceCode)
    assert.is(onTime.body.error, 'authorization_pending', 'a full interval after the previous poll was sent is not early')

    await sleep(INTERVAL_S * 500)
    const early = await pollDeviceCode(ref.server, deviceCode)
    assert.is(early.body.error, 'slow_down', 'half an interval after is early')
    assert.is(early.body.interval, INTERVAL_S + 5)
  } finally {
    await timeout(ref.stop(), 10_000, 'stopping the server')
  }
})

test('a poll whose client gave up before the server read it is not counted: the next is measured from the one before', async () => {
  const { ref, holdNextPoll } = await serverHoldingNextPoll(INTERVAL_S * 400)
  try {
    const code = await requestDeviceCode(ref.server)
    const deviceCode: string = code.body.device_code
    assert.is((await pollDeviceCode(ref.server, deviceCode)).body.error, 'authorization_pending')

    await sleep(INTERVAL_S * 1000)
    holdNextPoll()
    const abandonedSent = Date.now()
    const abandoned = await fetch(`${ref.server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: 'omicos-cli' }).toString(),
      signal: AbortSignal.timeout(INTERVAL_S * 100),
    }).then(
      () => 'answered',
      (error: Error) => error.name,
    )
    assert.is(abandoned, 'TimeoutError', 'the client gave up before the held answer')

    await sleep(abandonedSent + INTERVAL_S * 500 - Date.now())
    const next = await pollDeviceCode(ref.server, deviceCode)
    assert.is(next.body.error, 'authorization_pending', 'measured from the answered poll, 1.5 intervals before')
  } finally {
    await timeout(ref.stop(), 10_000, 'stopping the server')
  }
})

test.run()
