// --user-token-ttl: a user token (the access token of a login) that runs out in seconds, so the
// engine's refresh can be tested end to end; the refresh token still renews it.
import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { addUser } from '../../server/index.js'
import { CLIENT_ID, DEFAULT_USERS, makeDataDir, passwordLogin, request, withReferenceServer } from '../support/server.js'
import { sleep, timeout } from '../support/wait.js'

const BIN = resolve('dist/server/main.js')
const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

test('a user token with a 2 s lifetime stops working, and the refresh token renews it', async () => {
  const ref = await withReferenceServer({ userTokenTtl: 2 })
  try {
    const login = await passwordLogin(ref.server, ada.email, ada.password)
    assert.is(login.status, 200)
    assert.is(login.body.expires_in, 2)
    assert.type(login.body.refresh_token, 'string')
    const account = (token: string) => request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })
    assert.is((await account(login.body.access_token)).status, 200)

    // Polled until the server refuses it (bounded), not timed.
    const refused = async () => {
      while ((await account(login.body.access_token)).status !== 401) await sleep(250)
    }
    await timeout(refused(), 15_000, 'the user token expiring')

    const renewed = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: login.body.refresh_token, client_id: CLIENT_ID } })
    assert.is(renewed.status, 200, renewed.text)
    assert.is(renewed.body.expires_in, 2)
    assert.is.not(renewed.body.access_token, login.body.access_token)
    assert.is((await account(renewed.body.access_token)).status, 200)
  } finally {
    await ref.stop()
  }
})

test('start --user-token-ttl sets expires_in; a zero or non-number is a usage error', async () => {
  const dataDir = makeDataDir()
  addUser(dataDir, ada.email, ada.password)
  const start = (args: string[]) => spawn(process.execPath, [BIN, 'start', '--port', '0', '--data', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  try {
    for (const bad of ['0', 'soon']) {
      const child = start(['--user-token-ttl', bad])
      let stderr = ''
      child.stderr.on('data', (d) => (stderr += d))
      const code = await timeout(new Promise<number | null>((r) => child.on('close', r)), 20_000, `--user-token-ttl ${bad}`).finally(() => child.kill('SIGKILL'))
      assert.is(code, 2)
      assert.match(stderr, /^error: --user-token-ttl must be a whole number above 0/)
    }
    const child = start(['--user-token-ttl', '7'])
    try {
      let stdout = ''
      const url = await timeout(
        new Promise<string>((resolvePromise, reject) => {
          child.stdout.on('data', (d) => {
            stdout += d
            const match = /^listening on (\S+)\n/.exec(stdout)
            if (match) resolvePromise(match[1]!)
          })
          child.on('close', (code) => reject(new Error(`exited ${code}`)))
        }),
        // A guard against a hang, not a measure: on PostgreSQL, beside the Windows specs' Wine on
        // a two-core machine, the start has taken over 20 s.
        60_000,
        'the server starting',
      )
      const login = await passwordLogin({ url } as Parameters<typeof passwordLogin>[0], ada.email, ada.password)
      assert.is(login.status, 200)
      assert.is(login.body.expires_in, 7)
    } finally {
      child.kill('SIGKILL')
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test.run()
