// A server whose certificate the CLI cannot trust (self-signed, on 127.0.0.1): the login ends
// with exit 3 and one line naming the host, the reason and the way out (the CA options), and,
// since retrying cannot fix a certificate, after one connection only.
//
// The "one connection" test depends on the login machines not retrying an `unreachable` whose
// reason is `tls`: it is marked "(machine)".
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { makeSandbox, runCli, type CliSandbox } from '../support/cli.js'
import { assertOneLineError } from '../support/cli-login.js'
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../support/hostile-server.js'
import { timeout } from '../support/wait.js'

let server: Server
let url = ''
let connections = 0
let box: CliSandbox

test.before(async () => {
  server = createServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (_req, res) => res.end('{}'))
  server.on('connection', () => connections++)
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'starting the https server')
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
  box = makeSandbox()
})
test.after(async () => {
  box?.cleanup()
  server.closeAllConnections()
  await timeout(new Promise<void>((resolve) => server.close(() => resolve())), 5_000, 'stopping the https server')
})

const PASSWORD = 'correct horse battery'

for (const [what, args, input] of [
  ['omicos login', ['login', '--email', 'ada@example.com', '--password-stdin'], PASSWORD],
  ['omicos cli login', ['cli', 'login'], undefined],
] as Array<[string, string[], string | undefined]>) {
  test(`${what} against an untrusted certificate: exit 3, the host, the reason and the CA options on one line`, async () => {
    const result = await runCli([...args, '--server', url], { cwd: box.workspace, env: box.env, input, timeoutMs: 30_000 })
    assertOneLineError(result, 3, /cannot reach 127\.0\.0\.1:\d+: TLS error: self-signed certificate; .*OMICOS_CA_BUNDLE, SSL_CERT_FILE or NODE_EXTRA_CA_CERTS/)
    assert.not.ok((result.stdout + result.stderr).includes(PASSWORD))
  })

  test(`(machine) ${what} against an untrusted certificate: one connection, no retry`, async () => {
    connections = 0
    const result = await runCli([...args, '--server', url], { cwd: box.workspace, env: box.env, input, timeoutMs: 30_000 })
    assert.is(result.code, 3, result.stderr)
    assert.is(connections, 1, `${connections} connections`)
  })
}

test.run()
