// Aborting the Node API (effects/node/api.ts) in every state of a login, and during logout and
// status: the machine decides how each ends, and the outcome, the kept pairing and the CLI's
// words agree. Only a cancel while the code waits for approval keeps the pairing: once
// approved the code is redeemed, so a later cancel must forget it (the next run would be told
// "expired"), and the tokens issued by then are revoked. A scripted server (an injected fetch)
// hangs at the step under test, so the window is exact.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { deviceLogin, logout, status } from '../../../effects/node/api.js'
import { renderLogin } from '../../../cli/render-outcome.js'
import { timeout } from '../../support/wait.js'
import { persistCredentials } from '../../../effects/store/index.js'
import { fakeCredentials, tempDir } from '../../support/effects.js'

const SERVER = 'http://127.0.0.1:9'

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

type Step = 'deviceAuthorization' | 'pending' | 'account' | 'registration' | 'revocation'

/** Never answers until the request is aborted. */
const hang = (init?: RequestInit) =>
  new Promise<Response>((_, reject) => {
    init?.signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })), { once: true })
  })

/** A device-flow server that hangs at `hangAt` and records what it was asked. */
const scriptedServer =
  (hangAt: Step | null, seen: string[]) =>
  async (url: string, init?: RequestInit): Promise<Response> => {
    const path = new URL(url).pathname
    seen.push(path)
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
      if (hangAt === 'deviceAuthorization') return hang(init)
      return json(200, { device_code: 'device-code-1', user_code: 'ABCD-WXYZ', verification_uri: `${SERVER}/device`, expires_in: 600, interval: 1 })
    }
    if (path === '/token') {
      if (hangAt === 'pending') return json(400, { error: 'authorization_pending' })
      return json(200, { access_token: 'user-token-1', token_type: 'Bearer', expires_in: 3600, refresh_token: 'refresh-token-1' })
    }
    if (path === '/omicos/account') {
      if (hangAt === 'account') return hang(init)
      return json(200, { account_id: 'acct-1', email: 'ada@example.com', tier: 'pro' })
    }
    if (path === '/omicos/processes') {
      if (hangAt === 'registration') return hang(init)
      return json(200, { process_id: 'x', process_token: 'process-token-1', expires_in: 3600 })
    }
    if (path === '/token/revocation') {
      if (hangAt === 'revocation') return hang(init)
      return new Response('', { status: 200 })
    }
    return json(404, { error: 'not_found' })
  }

const pendingFiles = (home: string) => {
  const dir = join(home, 'pending')
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('device-') && name.endsWith('.json')) : []
}

/** The login state (and grant state) in which the run is cancelled, as the machine names them. */
const WINDOWS: Array<{ hangAt: Step; state: string; grantState?: string; resumable: boolean; revokes: boolean }> = [
  { hangAt: 'deviceAuthorization', state: 'deviceGrant', grantState: 'requestingCode', resumable: false, revokes: false },
  { hangAt: 'pending', state: 'deviceGrant', grantState: 'awaitingApproval', resumable: true, revokes: false },
  { hangAt: 'account', state: 'identifying', resumable: false, revokes: true },
  { hangAt: 'registration', state: 'registeringProcess', resumable: false, revokes: true },
]

for (const window of WINDOWS) {
  test(`cancelled in ${window.state}${window.grantState ? ` (${window.grantState})` : ''}: resumable ${window.resumable}, the pairing ${window.resumable ? 'kept' : 'forgotten'}, the CLI says the same`, async () => {
    const base = tempDir()
    const home = join(base, 'home')
    const ws = join(base, 'proj')
    const seen: string[] = []
    const controller = new AbortController()
    const out = await timeout(
      deviceLogin({
        server: SERVER,
        home,
        cwd: ws,
        env: { HOME: base },
        fetch: scriptedServer(window.hangAt, seen),
        signal: controller.signal,
        hostname: 'lab-box',
        onSnapshot: (snapshot) => {
          const grant = snapshot.children.grant?.getSnapshot() as { value?: unknown } | undefined
          const inGrantState = window.grantState === undefined || JSON.stringify(grant?.value ?? '').includes(window.grantState)
          if (snapshot.matches(window.state as never) && inGrantState) setTimeout(() => controller.abort(), 100)
        },
      }),
      15_000,
      'device login',
    )
    assert.is(out.kind, 'failed')
    if (out.kind !== 'failed') return
    assert.is(out.failure.kind, 'cancelled')
    assert.is(out.resumableUntil !== null, window.resumable, 'the outcome says whether it can go on')
    assert.is(pendingFiles(home).length, window.resumable ? 1 : 0, 'the pairing is kept exactly when it can go on')
    const line = renderLogin(out, { again: 'omicos cli login' }).stderr.join('\n')
    assert.is(/stays valid/.test(line), window.resumable, `the CLI agrees: ${line}`)
    assert.is(out.issuedRevoked, window.revokes ? true : null, 'tokens issued by then are revoked')
    assert.is(seen.includes('/token/revocation'), window.revokes)
  })
}

test('logout({ signal }) against a server that never answers the revocation: cancelled by the abort, not by the revocation limit; nothing deleted', async () => {
  const base = tempDir()
  const home = join(base, 'home')
  await persistCredentials({ home, cwd: base, env: { HOME: base }, workspaceOnly: false }, fakeCredentials('acct-1', { server: SERVER }))
  const controller = new AbortController()
  const run = logout({ server: SERVER, home, cwd: base, env: { HOME: base }, fetch: scriptedServer('revocation', []), signal: controller.signal })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const aborted = Date.now()
  controller.abort()
  const out = await timeout(run, 2_000, 'logout')
  const took = Date.now() - aborted
  assert.is(out.kind, 'failed')
  if (out.kind === 'failed') assert.is(out.failure.kind, 'cancelled')
  // The abort ends it, not the 3 s revocation limit (the bound is loose: shared machines are noisy).
  assert.ok(took < 1_000, `ended ${took} ms after the abort`)
  assert.ok(existsSync(join(home, 'cloud_login.json')), 'nothing deleted by a cancelled logout')
})

test('status({ signal, online }) against a server that never answers: cancelled by the abort', async () => {
  const base = tempDir()
  const home = join(base, 'home')
  await persistCredentials({ home, cwd: base, env: { HOME: base }, workspaceOnly: false }, fakeCredentials('acct-1', { server: SERVER }))
  const controller = new AbortController()
  const run = status({ online: true, home, cwd: base, env: { HOME: base }, fetch: scriptedServer('account', []), signal: controller.signal })
  await new Promise((resolve) => setTimeout(resolve, 200))
  const aborted = Date.now()
  controller.abort()
  const out = await timeout(run, 2_000, 'status')
  const took = Date.now() - aborted
  assert.is(out.kind, 'failed')
  if (out.kind === 'failed') assert.is(out.failure.kind, 'cancelled')
  assert.ok(took < 1_000, `ended ${took} ms after the abort`)
})

test.run()
