// The request side of device pacing, without a server: which requests are timed, which read of
// a device code is judged, and which answers become slow_down. The pacing behind it records
// what it was asked and answers what each test says; the request contexts are plain objects
// with the fields the middleware reads.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Middleware } from 'koa'
import { devicePolls, pacingOnIssue, type DevicePacing, type PollJudgment } from '../../server/oauth/device-pacing.js'
import type { ModelRow } from '../../server/storage/oidc-adapter.js'

const TOKEN = '/token'
const ROW: ModelRow = { payload: '{"clientId":"omicos-cli"}', consumed: null }

interface Ctx {
  method: string
  path: string
  status: number
  body: unknown
  req: { socket: { destroyed: boolean } }
}

const request = (over: Partial<Ctx> = {}): Ctx => ({ method: 'POST', path: TOKEN, status: 404, body: undefined, req: { socket: { destroyed: false } }, ...over })

function recordingPacing(judgment: PollJudgment = { slowDown: false }, fail = false) {
  const polls: Array<[string, number]> = []
  const issued: Array<[string, number, number]> = []
  const pacing: DevicePacing = {
    async issued(code, intervalS, expiresInS) {
      issued.push([code, intervalS, expiresInS])
    },
    async poll(code, at) {
      polls.push([code, at])
      if (fail) throw new Error('the store is down')
      return { judgment, row: ROW }
    },
  }
  return { pacing, polls, issued }
}

// Runs the middleware around a "library" that reads the device code (through readAhead, as the
// adapter does) and then answers.
async function answer(
  setup: ReturnType<typeof devicePolls>,
  ctx: Ctx,
  library: (read: (model: string, id: string) => Promise<ModelRow | undefined> | undefined) => Promise<{ status: number; body: unknown }>,
  current: { ctx?: object },
) {
  await (setup.middleware as Middleware)(ctx as never, async () => {
    current.ctx = ctx
    const answered = await library((model, id) => setup.readAhead(model, id))
    ctx.status = answered.status
    ctx.body = answered.body
  })
}

const pending = { status: 400, body: { error: 'authorization_pending' } }

// One poll whose pacing judges it `judgment`: the library reads code-1, then answers `library`.
async function judgedPoll(judgment: PollJudgment, library: { status: number; body: unknown }): Promise<Ctx> {
  const { pacing } = recordingPacing(judgment)
  const current: { ctx?: object } = {}
  const setup = devicePolls(
    pacing,
    TOKEN,
    () => current.ctx,
    () => 0,
  )
  const ctx = request()
  await answer(
    setup,
    ctx,
    async (readAhead) => {
      await readAhead('DeviceCode', 'code-1')
      return library
    },
    current,
  )
  return ctx
}

test('a poll is timed when it arrives, before the hold, and judged by the read of its code', async () => {
  const { pacing, polls } = recordingPacing()
  let clock = 1_000
  let held = false
  const current: { ctx?: object } = {}
  const setup = devicePolls(
    pacing,
    TOKEN,
    () => current.ctx,
    () => clock,
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      clock += 5_000
      held = true
    },
  )
  const ctx = request()
  let read: ModelRow | undefined
  await answer(
    setup,
    ctx,
    async (readAhead) => {
      assert.ok(held, 'the hold comes before the library')
      read = await readAhead('DeviceCode', 'code-1')
      return pending
    },
    current,
  )
  assert.equal(polls, [['code-1', 1_000]], 'stamped with the arrival, not the time after the hold')
  assert.equal(read, ROW)
  assert.equal(ctx.body, { error: 'authorization_pending' })
})

test('an early pending poll answers slow_down with the new interval', async () => {
  const ctx = await judgedPoll({ slowDown: true, intervalS: 10 }, pending)
  assert.is(ctx.status, 400)
  assert.equal(ctx.body, { error: 'slow_down', error_description: 'polling too often; wait at least 10 s between requests', interval: 10 })
})

test('an early poll whose code was approved, denied or unknown keeps the library answer', async () => {
  for (const library of [
    { status: 200, body: { access_token: 'at' } },
    { status: 400, body: { error: 'access_denied' } },
    { status: 400, body: { error: 'invalid_grant' } },
    { status: 500, body: { error: 'authorization_pending' } },
    { status: 400, body: undefined },
  ]) {
    const ctx = await judgedPoll({ slowDown: true, intervalS: 10 }, library)
    assert.equal(ctx.body, library.body, JSON.stringify(library))
  }
})

test('only the first read of a device code in a poll is judged; other models and other requests read plainly', async () => {
  const { pacing, polls } = recordingPacing()
  const current: { ctx?: object } = {}
  const setup = devicePolls(
    pacing,
    TOKEN,
    () => current.ctx,
    () => 7,
  )
  const ctx = request()
  await answer(
    setup,
    ctx,
    async (readAhead) => {
      assert.is(readAhead('Grant', 'grant-1'), undefined, 'another model')
      assert.ok(readAhead('DeviceCode', 'code-1'))
      assert.is(readAhead('DeviceCode', 'code-1'), undefined, 'a second read in the same request')
      return pending
    },
    current,
  )
  assert.equal(polls, [['code-1', 7]])

  current.ctx = {}
  assert.is(setup.readAhead('DeviceCode', 'code-2'), undefined, 'a request the middleware did not time')
  current.ctx = undefined
  assert.is(setup.readAhead('DeviceCode', 'code-3'), undefined, 'outside any request')
  assert.equal(polls.length, 1)
})

test('requests other than POST to the token path are not timed', async () => {
  for (const over of [{ method: 'GET' }, { path: '/device/auth' }, { path: '/token/revocation' }]) {
    const { pacing, polls } = recordingPacing({ slowDown: true, intervalS: 10 })
    const current: { ctx?: object } = {}
    const setup = devicePolls(
      pacing,
      TOKEN,
      () => current.ctx,
      () => 0,
    )
    const ctx = request(over)
    await answer(
      setup,
      ctx,
      async (readAhead) => {
        assert.is(readAhead('DeviceCode', 'code-1'), undefined, JSON.stringify(over))
        return pending
      },
      current,
    )
    assert.equal(polls, [])
    assert.equal(ctx.body, { error: 'authorization_pending' }, JSON.stringify(over))
  }
})

test('a poll whose connection closed before its code was read is a plain read, not counted', async () => {
  const { pacing, polls } = recordingPacing({ slowDown: true, intervalS: 10 })
  const current: { ctx?: object } = {}
  const setup = devicePolls(
    pacing,
    TOKEN,
    () => current.ctx,
    () => 0,
  )
  const ctx = request()
  await answer(
    setup,
    ctx,
    async (readAhead) => {
      ctx.req.socket.destroyed = true
      assert.is(readAhead('DeviceCode', 'code-1'), undefined)
      return pending
    },
    current,
  )
  assert.equal(polls, [])
  assert.equal(ctx.body, { error: 'authorization_pending' })
})

test('a pacing that fails fails the read, and the answer is the library one, with no unhandled rejection', async () => {
  const { pacing } = recordingPacing({ slowDown: false }, true)
  const current: { ctx?: object } = {}
  const setup = devicePolls(
    pacing,
    TOKEN,
    () => current.ctx,
    () => 0,
  )
  const ctx = request()
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  process.on('unhandledRejection', onUnhandled)
  try {
    await answer(
      setup,
      ctx,
      async (readAhead) => {
        const failed = await Promise.resolve(readAhead('DeviceCode', 'code-1')).then(
          () => 'read',
          (error: Error) => error.message,
        )
        assert.is(failed, 'the store is down')
        return { status: 500, body: { error: 'server_error' } }
      },
      current,
    )
    await new Promise((resolve) => setTimeout(resolve, 10))
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
  assert.equal(ctx.body, { error: 'server_error' })
  assert.equal(unhandled, [])
})

test('an issued code gets its pacing row with the interval and the lifetime it was issued with', async () => {
  const { pacing, issued } = recordingPacing()
  const middleware = pacingOnIssue(pacing, '/device/auth', 5, 600) as Middleware
  const run = async (over: Partial<Ctx>, body: unknown) => {
    const ctx = request({ path: '/device/auth', ...over })
    await middleware(ctx as never, async () => {
      ctx.status = over.status ?? 200
      ctx.body = body
    })
  }
  await run({}, { device_code: 'code-1', expires_in: 300 })
  await run({}, { device_code: 'code-2' })
  await run({}, { device_code: 'code-3', expires_in: 'soon' })
  await run({ status: 400 }, { device_code: 'code-4', expires_in: 300 })
  await run({ method: 'GET' }, { device_code: 'code-5', expires_in: 300 })
  await run({ path: '/token' }, { device_code: 'code-6', expires_in: 300 })
  await run({}, { error: 'invalid_client' })
  await run({}, { device_code: 42 })
  await run({}, undefined)
  assert.equal(issued, [
    ['code-1', 5, 300],
    ['code-2', 5, 600],
    ['code-3', 5, 600],
  ])
})

test.run()
