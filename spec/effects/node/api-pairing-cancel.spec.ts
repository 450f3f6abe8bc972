// The Node API's device login (effects/node/api.ts) and the pairing it keeps for the next run: only a
// cancel while the code waits for approval keeps it. Once approved the code is redeemed, so a
// cancel during the registration or the write must forget it (the next run would be told
// "expired"). A scripted server (an injected fetch) makes the window exact.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { deviceLogin } from '../../../effects/node/api.js'
import { timeout } from '../../support/wait.js'
import { tempDir } from '../support.js'

const SERVER = 'http://127.0.0.1:9'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

/** A device-flow server: pending until `approved`, then a token; registration never answers. */
const scriptedServer = (state: { approved: boolean }) => async (url: string, init?: RequestInit): Promise<Response> => {
  const path = new URL(url).pathname
  if (path === '/.well-known/oauth-authorization-server') {
    return json(200, {
      issuer: SERVER,
      token_endpoint: `${SERVER}/token`,
      device_authorization_endpoint: `${SERVER}/device/auth`,
      revocation_endpoint: `${SERVER}/token/revocation`,
      omicos_account_endpoint: `${SERVER}/omicos/account`,
      omicos_process_endpoint: `${SERVER}/omicos/processes`,
    })
  }
  if (path === '/device/auth') {
    return json(200, { device_code: 'device-code-1', user_code: 'ABCD-WXYZ', verification_uri: `${SERVER}/device`, expires_in: 600, interval: 1 })
  }
  if (path === '/token') {
    return state.approved
      ? json(200, { access_token: 'user-token-1', token_type: 'Bearer', expires_in: 3600 })
      : json(400, { error: 'authorization_pending' })
  }
  if (path === '/omicos/account') return json(200, { account_id: 'acct-1', email: 'ada@example.com', tier: 'pro' })
  if (path === '/omicos/processes') {
    // Never answers: the run is cancelled while it waits here.
    return new Promise<Response>((_, reject) => {
      init?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true })
    })
  }
  return json(404, { error: 'not_found' })
}

const pendingFiles = (home: string) => {
  const dir = join(home, 'pending')
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('device-') && name.endsWith('.json')) : []
}

const pair = async (cancelIn: 'awaitingApproval' | 'registeringProcess') => {
  const base = tempDir()
  const home = join(base, 'home')
  const ws = join(base, 'proj')
  const state = { approved: false }
  const controller = new AbortController()
  const out = await timeout(
    deviceLogin({
      server: SERVER,
      home,
      cwd: ws,
      env: {},
      fetch: scriptedServer(state),
      signal: controller.signal,
      hostname: 'lab-box',
      onSnapshot: (snapshot) => {
        if (snapshot.context.pairing) {
          // Saved while waiting; then either cancel here, or approve and cancel later.
          if (cancelIn === 'awaitingApproval') setTimeout(() => controller.abort(), 200)
          else state.approved = true
        }
        if (cancelIn === 'registeringProcess' && snapshot.matches('registeringProcess')) setTimeout(() => controller.abort(), 50)
      },
    }),
    15_000,
    'device login',
  )
  return { out, home }
}

test('cancelled while waiting for approval: the pairing is kept for the next run', async () => {
  const { out, home } = await pair('awaitingApproval')
  assert.is(out.kind, 'failed')
  if (out.kind === 'failed') assert.is(out.failure.kind, 'cancelled')
  assert.is(pendingFiles(home).length, 1)
})

test('cancelled after approval, while registering the process: the redeemed pairing is forgotten', async () => {
  const { out, home } = await pair('registeringProcess')
  assert.is(out.kind, 'failed')
  if (out.kind === 'failed') assert.is(out.failure.kind, 'cancelled')
  assert.equal(pendingFiles(home), [])
})

test.run()
