// Logins that run at the same time in one directory: every registration rotates the process
// token, so the credential file must end up holding the last registration's token, the one
// the server still accepts, whichever login happened to write last.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { join } from 'node:path'
import { CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { request } from '../support/server.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const PARALLEL = 10
const ROUNDS = 3

const leaks = watchForLeaks()
const { ref, sandbox } = loginSpec(test, leaks, [ADA])

test(`${PARALLEL} parallel logins --force in one directory, ${ROUNDS} rounds: the stored process token is the live one`, async () => {
  const box = sandbox()
  const run = () =>
    leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin', '--force'], {
      cwd: box.workspace,
      env: box.env,
      input: ADA.password,
      timeoutMs: 60_000,
    })
  for (let round = 1; round <= ROUNDS; round++) {
    const results = await Promise.all(Array.from({ length: PARALLEL }, run))
    for (const result of results) assert.is(result.code, 0, `round ${round}: ${result.stderr}`)
    const stored = leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
    const check = await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${stored.process_token}` } })
    assert.is(check.status, 200, `round ${round}: the stored process token is accepted (${check.text})`)
    assert.is(check.body.process_id, stored.process_id)
    assert.type((stored as unknown as Record<string, unknown>).process_registered_at, 'string', 'the file says when its process was registered')
  }
})

test.after(() => leaks.assertNoLeak())

test.run()
