// A name server that never answers (spec/support/silent-dns.ts): the look-up of the server's
// name never returns, and the command gives up on it by its own time limit. The process must
// then end with its error line, not stay alive for the look-up (libuv's getaddrinfo cannot be
// cancelled, and Node waits for it even in process.exit). The resolver here would wait 150 s;
// each run is given 45 s, a bound on a hang, not a measure of speed
// (scripts/exit-time.ts measures the time from the last line to the exit).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI_BIN } from '../support/cli.js'
import { canBindResolvConf, processesNaming, runNoting, startSilentDns, type SilentDns } from '../support/silent-dns.js'
import { sleep } from '../support/wait.js'

const usable = canBindResolvConf()
if (!usable) console.log('note: mount namespaces cannot be made here (unshare --mount needs root): the silent name server specs are skipped')

let dns: SilentDns | null = null
const base = mkdtempSync(join(tmpdir(), 'omicos-silent-dns-'))
const env: NodeJS.ProcessEnv = {}
for (const [key, value] of Object.entries(process.env)) if (!/^(OMICOS_|CONDA_)|^(https?|all|no)_proxy$/i.test(key)) env[key] = value
env.OMICOS_HOME = join(base, 'home')
const cwd = join(base, 'workspace')
mkdirSync(cwd, { recursive: true })

const omicos = (args: string[], input = '') => runNoting(dns!.wrap([process.execPath, CLI_BIN, ...args]), { env, cwd, input, limitMs: 45_000 })

/** The look-ups the run started are gone with it: no child left asking the silent server. */
const nothingLeft = async (host: string) => {
  // A killed child is reaped a moment after the exit.
  for (let i = 0; i < 20 && processesNaming(host).length > 0; i++) await sleep(50)
  assert.equal(processesNaming(host), [], `nothing left running that names ${host}`)
}

test.before(async () => {
  if (usable) dns = await startSilentDns()
})

test.after(async () => {
  await dns?.close()
  rmSync(base, { recursive: true, force: true })
})

test('omicos login: the error line (exit 3), then the process ends; the look-up was pending at the silent server', async () => {
  if (!dns) return
  const run = await omicos(['login', '--server', `https://${dns.host}`, '--email', 'ada@example.com', '--password-stdin'], 'a password')
  assert.is(run.code, 3, run.stderr)
  const lines = run.stderr.split('\n').filter(Boolean)
  assert.match(lines.at(-1)!, new RegExp(`^error: cannot reach ${dns.host.replaceAll('.', '\\.')}: `))
  // The last try gets what is left of the login's time: no "timed out after 0.4 s" for it.
  assert.not.match(lines.at(-1)!, /after \d/)
  assert.match(lines.at(-1)!, /(no answer in the time allowed\)|no answer from the name server \(DNS\)): check the network/)
  assert.is(run.stdout, '')
  assert.ok(dns.queries() > 0, 'the name was asked of the silent server')
  await nothingLeft(dns.host)
})

test('omicos cli login --json: one JSON object (unreachable, exit 3), then the process ends', async () => {
  if (!dns) return
  const run = await omicos(['cli', 'login', '--json', '--no-qr', '--server', `https://${dns.host}`])
  assert.is(run.code, 3, run.stderr)
  const object = JSON.parse(run.stdout)
  assert.is(object.exit_code, 3)
  assert.is(object.error.kind, 'unreachable')
  // A name server that never answers is said as DNS, not as a connection that timed out.
  assert.is(object.error.reason, 'dns')
  assert.match(object.error.message, /: no answer from the name server \(DNS\): check the network and the name server it uses/)
  await nothingLeft(dns.host)
})

test('an address needs no look-up: a login to 127.0.0.1 in the same namespace asks the silent server nothing', async () => {
  if (!dns) return
  const before = dns.queries()
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const run = await omicos(['login', '--server', 'http://127.0.0.1:9', '--email', 'ada@example.com', '--password-stdin'], 'a password')
  assert.is(run.code, 3, run.stderr)
  assert.match(run.stderr, /connection refused/)
  assert.is(dns.queries(), before)
})

test.run()
