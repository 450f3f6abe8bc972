// The Node API's login (effects/node/api.ts) when the credential files cannot take the login after
// all: the tokens the server just issued are revoked, so no session is left that no file holds.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { login } from '../../../effects/node/api.js'
import { checkProcessToken, getAccount } from '../../../effects/client/omicos-api.js'
import { referenceServerFor } from '../../support/server.js'
import { timeout } from '../../support/wait.js'
import { tempDir } from '../../support/effects.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }
const ref = referenceServerFor(test, { users: [ADA] })

test('persist fails after the checks passed (a twin broken meanwhile): the new tokens are revoked', async () => {
  const base = tempDir()
  const home = join(base, 'home')
  const ws = join(base, 'proj')
  mkdirSync(join(ws, '.omicos'), { recursive: true, mode: 0o700 })
  const twin = join(ws, '.omicos', 'cloud_login.json')
  const issued: { userToken?: string; processToken?: string } = {}
  const revoked: string[] = []
  // The real server behind a fetch that watches the answers, and breaks the twin file once the
  // process is registered, the way another program could between the checks and the write.
  const fetchThrough = async (url: string, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init)
    const path = new URL(url).pathname
    if (path === '/token/revocation') revoked.push(new URLSearchParams(String(init?.body)).get('token') ?? '')
    if (path === '/token' || path === '/omicos/processes') {
      const body = await response
        .clone()
        .json()
        .catch(() => ({}))
      if (path === '/token') issued.userToken = body.access_token
      if (path === '/omicos/processes') {
        issued.processToken = body.process_token
        writeFileSync(twin, '{', { mode: 0o600 })
      }
    }
    return response
  }
  const out = await timeout(
    login({ server: ref.server.url, home, cwd: ws, env: {}, email: ADA.email, password: ADA.password, prompts: false, fetch: fetchThrough }),
    20_000,
    'login',
  )
  assert.is(out.kind, 'failed')
  if (out.kind !== 'failed') return
  assert.is(out.failure.kind, 'local_files')
  assert.ok(issued.userToken && issued.processToken, 'the server issued tokens')
  assert.ok(revoked.includes(issued.userToken!), 'the user token was revoked')
  assert.ok(revoked.includes(issued.processToken!), 'the process token was revoked')
  assert.is((await getAccount({ fetch }, ref.server.url, issued.userToken!)).kind, 'invalid')
  assert.equal(await checkProcessToken({ fetch }, ref.server.url, issued.processToken!), { kind: 'invalid' })
})

test.run()
