// `omicos cli login` end to end, approved: the built binary as a child process against the
// reference server, the approver on the real /device page in Chromium or on the server bin.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { closeChromium, launchChromium } from '../support/browser.js'
import { findSecret, runCli, type CliSandbox } from '../support/cli.js'
import {
  assertPolite,
  decideInBrowser,
  finished,
  pairingSpec,
  pendingFiles,
  waitForPending,
  readCredentials,
  readPairing,
  secretsOf,
  serverBin,
} from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]

const { ref, sandbox, cliLogin } = pairingSpec(test, { interval: 1 })
let browser: Browser

test.before(async () => {
  browser = await launchChromium()
})

test.after(async () => {
  await closeChromium(browser)
})

/** The pending pairing's device code, read while the child waits: it must never be printed. */
async function pendingDeviceCode(box: CliSandbox): Promise<string> {
  const [file] = await waitForPending(box.home)
  const saved = readCredentials(file!)
  assert.is(saved.mode, 0o600, 'the pending pairing file is 0600')
  // The login's persisted snapshot holds the grant child's, and that one the device code.
  const code = saved.json.children?.grant?.snapshot?.context?.deviceCode
  assert.type(code, 'string')
  return code
}

test('approved on the /device page: exit 0, device credentials 0600, --status shows them, the page saw process and host', async () => {
  const box = sandbox()
  const cli = cliLogin(box, '--name', 'genome-lab')
  const { code, address } = await readPairing(cli)
  assert.is(address, `${ref.server.url}/device`)
  const deviceCode = await pendingDeviceCode(box)

  const shown = await decideInBrowser(browser, address, code, ada)
  assert.equal(shown, { process: 'genome-lab', host: hostname(), code, outcome: 'approved' })

  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged in as ${ada.email} (process "genome-lab").`)
  const path = join(box.home, 'cloud_login.json')
  assert.match(result.stdout, `Credentials written to ${path}`)

  const file = readCredentials(path)
  assert.is(file.mode, 0o600)
  assert.is(file.json.auth_method, 'device')
  assert.is(file.json.process_name, 'genome-lab')
  assert.is(file.json.user.email, ada.email)
  assert.is(file.json.server, ref.server.url)
  assert.match(file.json.process_id, /^local-/)
  assert.equal(pendingFiles(box.home), [], 'the pending pairing is removed after success')

  const status = await runCli(['login', '--status'], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.is(status.code, 0, status.stderr)
  assert.match(status.stdout, `email: ${ada.email}`)
  assert.match(status.stdout, 'process: genome-lab')
  assert.match(status.stdout, 'method: device-code pairing')

  const leaked = findSecret([result.stdout, result.stderr, status.stdout, status.stderr], [...secretsOf(file.json), deviceCode])
  assert.is(leaked, null, 'no token or device code in the output')
})

test('approved with `omicos-auth-server approve` from another process; the file has the same fields as a password login', async () => {
  const box = sandbox()
  const cli = cliLogin(box)
  const { code } = await readPairing(cli)
  const approved = await serverBin(['approve', code, '--email', ada.email, '--data', ref.dataDir])
  assert.is(approved.code, 0, approved.stderr)

  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
  const device = readCredentials(join(box.home, 'cloud_login.json'))
  assert.is(device.mode, 0o600)
  assert.is(device.json.auth_method, 'device')

  const other = sandbox()
  const password = await runCli(['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin'], {
    cwd: other.workspace,
    env: other.env,
    input: `${ada.password}\n`,
    timeoutMs: 20_000,
  })
  assert.is(password.code, 0, password.stderr)
  const viaPassword = readCredentials(join(other.home, 'cloud_login.json'))
  const keys = (json: Record<string, any>) => [...Object.keys(json), ...Object.keys(json.user).map((k) => `user.${k}`)].sort()
  assert.equal(keys(device.json), keys(viaPassword.json), 'a paired login writes the fields a password login writes')
  assert.is(viaPassword.json.auth_method, 'password')
  for (const field of ['user_token', 'process_token', 'process_id', 'logged_in_at']) assert.type(device.json[field], 'string', field)
  assert.is(device.json.user.cloud_base, viaPassword.json.user.cloud_base)
  const outputs = [result.stdout, result.stderr, approved.stdout, approved.stderr, password.stdout, password.stderr]
  assert.is(findSecret(outputs, [...secretsOf(device.json), ...secretsOf(viaPassword.json), ada.password]), null)
})

test('already logged in: says as whom, exit 0, no request to the server; --force pairs again', async () => {
  const box = sandbox()
  const first = cliLogin(box, '--name', 'first')
  const { code } = await readPairing(first)
  assert.is((await serverBin(['approve', code, '--email', ada.email, '--data', ref.dataDir])).code, 0)
  assert.is((await finished(first)).code, 0)
  const before = readCredentials(join(box.home, 'cloud_login.json')).text

  const seen = ref.server.requests.length
  const again = await runCli(['cli', 'login', '--server', ref.server.url], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })
  assert.is(again.code, 0, again.stderr)
  assert.match(again.stdout, `Already logged in as ${ada.email} (process "first") on ${ref.server.url}.`)
  assert.match(again.stdout, `Use omicos cli login --server ${ref.server.url} --force to log in again.`)
  assert.not.match(again.stdout + again.stderr, 'pairing code')
  const asked = ref.server.requests.slice(seen).map((r) => `${r.method} ${r.path}`)
  assert.equal(
    asked.filter((r) => !r.includes('/.well-known/')),
    ['GET /omicos/account'],
    'only the account check: no pairing, nothing rotated',
  )
  assert.is(readCredentials(join(box.home, 'cloud_login.json')).text, before)

  const forced = cliLogin(box, '--force', '--name', 'second')
  const { code: second } = await readPairing(forced)
  assert.is.not(second, code)
  assert.is((await serverBin(['approve', second, '--email', ada.email, '--data', ref.dataDir])).code, 0)
  const result = await finished(forced)
  assert.is(result.code, 0, result.stderr)
  const after = readCredentials(join(box.home, 'cloud_login.json'))
  assert.is(after.json.process_name, 'second')
  assert.is(after.json.auth_method, 'device')
})

test('the name and host name reach the approver through decidePairing too', async () => {
  const { decidePairing } = await import('../../server/index.js')
  const box = sandbox()
  const cli = cliLogin(box, '--name', 'notebook (gpu)')
  const { code } = await readPairing(cli)
  const asked = await timeout(decidePairing(ref.dataDir, code, { approve: true, email: ada.email }), 15_000, 'decidePairing')
  assert.equal(asked, { processName: 'notebook (gpu)', hostname: hostname() })
  const result = await finished(cli)
  assert.is(result.code, 0, result.stderr)
})

test('no device code was polled sooner than the interval (1 s), and none was told to slow down', () => {
  const polls = assertPolite(ref.server, 1_000)
  assert.ok(polls >= 4, `the logins above polled (${polls} token requests)`)
})

test.run()
