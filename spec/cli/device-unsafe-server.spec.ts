// `omicos cli login` against a tiny RFC 8628 server of the test's own (node:http on loopback)
// that sends what a terminal must not print: a user_code with an escape sequence, a
// verification_uri that is `javascript:` or plain http off loopback, an absurd interval.
// Each ends with exit 6, a clear line, and nothing of the bad value on the screen.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { makeSandbox, PAIRING_CODE, runCli, startCli, type CliSandbox } from '../support/cli.js'
import { timeout } from '../support/wait.js'

interface Fake {
  url: string
  /** what the next device authorization answers, on top of a valid response */
  answer: Record<string, unknown>
  /** forms the device authorization endpoint received */
  authorizations: Array<Record<string, string>>
  tokenRequests: number
  close(): Promise<void>
}

const readForm = (req: IncomingMessage): Promise<Record<string, string>> =>
  new Promise((resolve, reject) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))))
    req.on('error', reject)
  })

async function startFake(): Promise<Fake> {
  const fake = { answer: {}, authorizations: [], tokenRequests: 0 } as unknown as Fake
  const server: Server = createServer(async (req, res) => {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      res.end(JSON.stringify(body))
    }
    if (req.method === 'GET' && req.url === '/.well-known/oauth-authorization-server') {
      return json(200, {
        issuer: fake.url,
        token_endpoint: `${fake.url}/token`,
        device_authorization_endpoint: `${fake.url}/device/auth`,
        grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code'],
      })
    }
    if (req.method === 'POST' && req.url === '/device/auth') {
      fake.authorizations.push(await readForm(req))
      return json(200, {
        device_code: 'fake-device-code-not-for-printing',
        user_code: 'BCDF-GHJK',
        verification_uri: `${fake.url}/device`,
        verification_uri_complete: `${fake.url}/device?user_code=BCDF-GHJK`,
        expires_in: 600,
        interval: 1,
        ...fake.answer,
      })
    }
    if (req.method === 'POST' && req.url === '/token') {
      fake.tokenRequests++
      // A server of pairings only: no email and password.
      if ((await readForm(req)).grant_type === 'password') return json(400, { error: 'unsupported_grant_type' })
      return json(400, { error: 'authorization_pending' })
    }
    json(404, { error: 'not_found' })
  })
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'starting the fake server')
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  fake.close = () =>
    timeout(
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
      5_000,
      'stopping the fake server',
    )
  return fake
}

let fake: Fake
let box: CliSandbox

test.before(async () => {
  fake = await startFake()
  box = makeSandbox()
})

test.after(async () => {
  await fake?.close()
  box?.cleanup()
})

test.before.each(() => {
  fake.answer = {}
  fake.authorizations.length = 0
  fake.tokenRequests = 0
})

const cliLogin = (...extra: string[]) => runCli(['cli', 'login', '--server', fake.url, ...extra], { cwd: box.workspace, env: box.env, timeoutMs: 15_000 })

const cases: Array<{ what: string; answer: Record<string, unknown>; message: RegExp; never: string[] }> = [
  {
    what: 'a user_code with an escape sequence',
    answer: { user_code: '\x1b[2J\x1b[31mPAY-ME\x1b]0;owned\x07' },
    message: /^error: the server sent a user_code containing control characters$/m,
    never: ['\x1b', 'PAY-ME', 'owned'],
  },
  {
    what: 'a user_code with a bidirectional override',
    answer: { user_code: 'BCDF-\u202eKJHG' },
    message: /^error: the server sent a user_code containing control characters$/m,
    never: ['\u202e', 'KJHG'],
  },
  {
    what: 'a javascript: verification_uri',
    answer: { verification_uri: 'javascript:alert(document.cookie)' },
    message: /^error: the server sent an unsafe verification_uri: the scheme must be https \(or http on loopback\), not javascript$/m,
    never: ['alert(', 'document.cookie'],
  },
  {
    what: 'a plain http verification_uri off loopback',
    answer: { verification_uri: 'http://pairing.attacker.example/device' },
    message: /^error: the server sent an unsafe verification_uri: plain http is only allowed for 127\.0\.0\.1, localhost or \[::1\]; use https$/m,
    never: ['attacker.example'],
  },
  {
    what: 'a verification_uri_complete with an escape sequence',
    answer: { verification_uri_complete: `http://127.0.0.1/device?user_code=\x1b[8m` },
    message: /^error: the server sent an unsafe verification_uri_complete: it contains control characters$/m,
    never: ['\x1b', 'user_code='],
  },
  {
    what: 'an interval of 100000 s',
    answer: { interval: 100000 },
    message: /^error: the server sent interval 100000, outside 1\.\.300 seconds$/m,
    never: [],
  },
  {
    what: 'an interval that is not a number',
    answer: { interval: '5\x1b[31m' },
    message: /^error: the server sent no usable interval$/m,
    never: ['\x1b'],
  },
]

for (const c of cases) {
  test(`${c.what}: exit 6, one clear line, nothing of the value printed, no poll`, async () => {
    fake.answer = c.answer
    const result = await cliLogin()
    assert.is(result.code, 6, `${result.stdout}\n${result.stderr}`)
    assert.match(result.stderr, c.message)
    const printed = result.stdout + result.stderr
    for (const piece of [...c.never, 'fake-device-code-not-for-printing']) assert.not.ok(printed.includes(piece), `printed ${JSON.stringify(piece)}`)
    assert.not.match(printed, 'enter the pairing code', 'no pairing screen for a refused response')
    assert.is(fake.tokenRequests, 0, 'nothing is polled with a response that was refused')
    assert.is(fake.authorizations.length, 1)
  })
}

test('the device authorization request carries the process name and the host name', async () => {
  fake.answer = { interval: 100000 }
  await cliLogin('--name', 'rna-seq pipeline')
  assert.is(fake.authorizations.length, 1)
  const form = fake.authorizations[0]!
  assert.is(form.client_id, 'omicos-cli')
  assert.is(form.process_name, 'rna-seq pipeline')
  assert.is(form.hostname, hostname())
})

test('a server of pairings only, asked for a password login: the hint names the pairing with that server, and run as printed it pairs there', async () => {
  const login = await runCli(['login', '--server', fake.url, '--email', 'ada@example.com', '--password-stdin'], {
    cwd: box.workspace,
    env: box.env,
    input: 'a password',
    timeoutMs: 15_000,
  })
  assert.is(login.code, 6, login.stderr)
  const hint = /does not offer email\/password login: pair instead with (omicos cli login --server \S+)$/m.exec(login.stderr)?.[1]
  assert.is(hint, `omicos cli login --server ${fake.url}`, login.stderr)
  const pairing = startCli(hint!.split(' ').slice(1), { cwd: box.workspace, env: box.env })
  try {
    assert.is((await pairing.waitFor(PAIRING_CODE))[1], 'BCDF-GHJK')
    assert.is(fake.authorizations.length, 1, 'the pairing asked this server')
  } finally {
    pairing.child.kill('SIGKILL')
  }
})

test.run()
