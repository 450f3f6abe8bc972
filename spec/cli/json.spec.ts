// `--json` end to end: every ending of `omicos login`, `login --status`, `login --logout`,
// `cli login` and `cli login --logout` prints exactly one object on stdout that the documented
// schema (docs/cli-json.schema.json) accepts, with the exit code it names, and no secret.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { decidePairing } from '../../server/index.js'
import type { CliResult, CliSandbox } from '../support/cli.js'
import { PAIRING_CODE } from '../support/cli.js'
import { CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { withReferenceServer } from '../support/server.js'
import { timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const BOB = { email: 'bob@example.com', password: 'bob keeps a workspace 9' }

const leaks = watchForLeaks()
const spec = loginSpec(test, leaks, [ADA, BOB])
const { ref } = spec

// --- a checker for the part of JSON Schema 2020-12 the schema uses -------------------------------
// Small on purpose (no validator dependency): it refuses any keyword it does not know, so the
// schema cannot grow a rule this spec silently skips.

type Schema = Record<string, any>
const SCHEMA: Schema = JSON.parse(readFileSync('docs/cli-json.schema.json', 'utf8'))
const KNOWN = new Set([
  '$schema',
  '$id',
  '$ref',
  '$defs',
  'title',
  'description',
  'oneOf',
  'anyOf',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'pattern',
])

const typeOf = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value)

function check(schema: Schema, value: unknown, at: string): string[] {
  for (const key of Object.keys(schema)) if (!KNOWN.has(key)) return [`${at}: the checker does not know the keyword ${key}`]
  const errors: string[] = []
  if (schema.$ref) {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1]
    if (!name || !SCHEMA.$defs[name]) return [`${at}: unknown $ref ${schema.$ref}`]
    errors.push(...check(SCHEMA.$defs[name], value, at))
  }
  if (schema.oneOf) {
    const passing = schema.oneOf.filter((s: Schema) => check(s, value, at).length === 0).length
    if (passing !== 1) errors.push(`${at}: ${passing} of oneOf match`)
  }
  if (schema.anyOf && !schema.anyOf.some((s: Schema) => check(s, value, at).length === 0)) errors.push(`${at}: no anyOf matches ${JSON.stringify(value)}`)
  if (schema.type) {
    const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type]
    const actual = typeOf(value)
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [...errors, `${at}: ${actual}, not ${types.join('|')}`]
  }
  if ('const' in schema && value !== schema.const) errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`)
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`)
  if (schema.pattern && typeof value === 'string' && !new RegExp(schema.pattern).test(value)) errors.push(`${at}: ${value} does not match ${schema.pattern}`)
  if (schema.items && Array.isArray(value)) for (const [i, item] of value.entries()) errors.push(...check(schema.items, item, `${at}[${i}]`))
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>
    for (const key of schema.required ?? []) if (!(key in object)) errors.push(`${at}: ${key} is missing`)
    for (const [key, item] of Object.entries(object)) {
      const sub = schema.properties?.[key]
      if (sub) errors.push(...check(sub, item, `${at}.${key}`))
      else if (schema.additionalProperties === false) errors.push(`${at}: ${key} is not in the schema`)
    }
  }
  return errors
}

/** Parses stdout as exactly one JSON line, checks it against the schema and its exit code. */
function valid(result: CliResult, expected: { action: string; outcome: string; code: number; kind?: string }): Record<string, any> {
  const lines = result.stdout.split('\n').filter(Boolean)
  assert.is(lines.length, 1, `one line on stdout, got: ${result.stdout}\nstderr: ${result.stderr}`)
  const value = JSON.parse(lines[0]!)
  assert.equal(check(SCHEMA, value, '$'), [], lines[0])
  assert.is(value.action, expected.action)
  assert.is(value.outcome, expected.outcome, lines[0])
  assert.is(result.code, expected.code, lines[0])
  assert.is(value.exit_code, expected.code)
  if (expected.kind) assert.is(value.error?.kind, expected.kind)
  else assert.is(value.error, null)
  return value
}

test('the checker bites: a missing field, an extra field, a wrong type, a wrong enum are refused', () => {
  const good = {
    schema_version: 1,
    command: 'login',
    action: 'logout',
    outcome: 'notLoggedIn',
    exit_code: 0,
    error: null,
    email: null,
    server: null,
    removed: [],
    revoked: null,
  }
  assert.equal(check(SCHEMA, good, '$'), [])
  const missing: Record<string, unknown> = { ...good }
  delete missing.removed
  for (const bad of [missing, { ...good, token: 'x' }, { ...good, exit_code: '0' }, { ...good, outcome: 'loggedIn' }, { ...good, command: 'logout' }]) {
    assert.ok(check(SCHEMA, bad, '$').length > 0, JSON.stringify(bad))
  }
  assert.ok(check({ minLength: 1 }, 'x', '$').length > 0, 'an unknown keyword is refused')
})

// --- the endings --------------------------------------------------------------------------------

const run = (box: CliSandbox, args: string[], input?: string) => leaks.run(args, { cwd: box.workspace, env: box.env, input, timeoutMs: 20_000 })
const loginJson = (box: CliSandbox, user: typeof ADA, extra: string[] = [], server = ref.server.url) =>
  run(box, ['login', '--json', '--server', server, '--email', user.email, '--password-stdin', ...extra], user.password)

/** A loopback port nothing listens on. */
const closedPort = async (): Promise<number> => {
  const server = createServer()
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'listening')
  const { port } = server.address() as { port: number }
  await timeout(new Promise((resolve) => server.close(resolve)), 5_000, 'closing')
  return port
}

test('login --json: logged in, already logged in, another account, each one object on stdout', async () => {
  const box = spec.sandbox()
  const first = valid(await loginJson(box, ADA, ['--name', 'atlas']), { action: 'login', outcome: 'loggedIn', code: 0 })
  assert.is(first.command, 'login')
  assert.is(first.email, ADA.email)
  assert.is(first.server, ref.server.url)
  assert.is(first.process_name, 'atlas')
  assert.is(first.auth_method, 'password')
  assert.equal(first.files, [join(box.home, CREDENTIAL_FILE)])
  assert.is(first.replaced, null)
  const again = valid(await loginJson(box, ADA), { action: 'login', outcome: 'alreadyLoggedIn', code: 0 })
  assert.equal(again.files, [join(box.home, CREDENTIAL_FILE)])
  assert.type(again.user_token_expires_at, 'string')
  const bob = valid(await loginJson(box, BOB), { action: 'login', outcome: 'loggedIn', code: 0 })
  assert.is(bob.email, BOB.email)
  assert.is(bob.replaced.email, ADA.email)
  assert.is(bob.replaced.revoked, true)
  leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
})

test('login --json failures: 2 usage (checked and unparsable), 3 unreachable, 4 wrong password, 7 local files', async () => {
  const box = spec.sandbox()
  const port = await closedPort()
  const usage = valid(await run(box, ['login', '--json', '--password-stdin']), { action: 'login', outcome: 'failed', code: 2, kind: 'usage' })
  assert.match(usage.error.message, /--password-stdin needs --email/)
  const unparsed = await run(box, ['login', '--json', '--no-such-flag'])
  valid(unparsed, { action: 'login', outcome: 'failed', code: 2, kind: 'usage' })
  assert.match(unparsed.stderr, /^error: /)
  const unreachable = valid(await loginJson(box, ADA, [], `http://127.0.0.1:${port}`), { action: 'login', outcome: 'failed', code: 3, kind: 'unreachable' })
  assert.is(unreachable.email, null)
  const wrong = valid(await loginJson(box, { ...ADA, password: 'not the password' }), { action: 'login', outcome: 'failed', code: 4, kind: 'refused' })
  assert.is(wrong.error.reason, 'wrongCredentials')
  assert.is(wrong.issued_revoked, null)
  mkdirSync(box.home, { recursive: true })
  symlinkSync(join(box.home, '..', 'elsewhere.json'), join(box.home, CREDENTIAL_FILE))
  valid(await loginJson(box, ADA), { action: 'login', outcome: 'failed', code: 7, kind: 'local_files' })
  valid(await run(box, ['login', '--status', '--json']), { action: 'status', outcome: 'failed', code: 7, kind: 'local_files' })
  valid(await run(box, ['login', '--status', '--logout', '--json']), { action: 'status', outcome: 'failed', code: 2, kind: 'usage' })
})

test('--status --json: not logged in (1), reported with every login here, verified, and a stale temp swept', async () => {
  const box = spec.sandbox()
  const nobody = valid(await run(box, ['login', '--status', '--json']), { action: 'status', outcome: 'notLoggedIn', code: 1 })
  assert.is(nobody.logged_in, false)
  assert.equal(nobody.logins, [])
  assert.is((await run(box, ['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], ADA.password)).code, 0)
  assert.is((await run(box, ['login', '--workspace', '--server', ref.server.url, '--email', BOB.email, '--password-stdin'], BOB.password)).code, 0)
  const globalFile = join(box.home, CREDENTIAL_FILE)
  const workspaceFile = join(box.workspace, '.omicos', CREDENTIAL_FILE)
  leaks.readCredentials(globalFile)
  leaks.readCredentials(workspaceFile)
  const report = valid(await run(box, ['login', '--status', '--json']), { action: 'status', outcome: 'reported', code: 0 })
  assert.is(report.email, BOB.email)
  assert.is(report.user_token_state, 'valid')
  assert.is(report.verified, null)
  assert.equal(
    report.logins.map((l: any) => [l.source, l.email, l.server, l.path, l.used_here]),
    [
      ['global', ADA.email, ref.server.url, globalFile, false],
      ['workspace', BOB.email, ref.server.url, workspaceFile, true],
    ],
  )
  const verified = valid(await run(box, ['login', '--status', '--verify', '--json']), { action: 'status', outcome: 'reported', code: 0 })
  assert.is(verified.verified, true)
  const wrongServer = valid(await run(box, ['login', '--status', '--verify', '--server', 'http://127.0.0.1:9', '--json']), {
    action: 'status',
    outcome: 'failed',
    code: 2,
    kind: 'usage',
  })
  assert.is(wrongServer.error.reason, 'wrongServer')
})

test('--logout --json: logged out, not logged in, wrong server (2), from both commands', async () => {
  const box = spec.sandbox()
  valid(await run(box, ['login', '--logout', '--json']), { action: 'logout', outcome: 'notLoggedIn', code: 0 })
  valid(await run(box, ['cli', 'login', '--logout', '--json']), { action: 'logout', outcome: 'notLoggedIn', code: 0 })
  assert.is((await run(box, ['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], ADA.password)).code, 0)
  leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
  const refused = valid(await run(box, ['cli', 'login', '--logout', '--server', 'http://127.0.0.1:9', '--json']), {
    action: 'logout',
    outcome: 'failed',
    code: 2,
    kind: 'usage',
  })
  assert.is(refused.command, 'cli login')
  const out = valid(await run(box, ['login', '--logout', '--json']), { action: 'logout', outcome: 'loggedOut', code: 0 })
  assert.is(out.email, ADA.email)
  assert.is(out.server, ref.server.url)
  assert.equal(out.removed, [join(box.home, CREDENTIAL_FILE)])
  assert.is(out.revoked, true)
})

test('cli login --json: the pairing screen on stderr, only the object on stdout; usage and unreachable failures', async () => {
  const box = spec.sandbox()
  const paired = await withReferenceServer({ users: [ADA], interval: 1 })
  try {
    const cli = leaks.start(['cli', 'login', '--json', '--server', paired.server.url], { cwd: box.workspace, env: box.env })
    try {
      const code = (await cli.waitFor(PAIRING_CODE, 15_000))[1]!
      assert.not.match(cli.stdout(), code, 'the code is not on stdout')
      assert.match(cli.stderr(), code)
      assert.match(cli.stderr(), /^Open \S+ on a device already logged in to omicOS$/m)
      await timeout(decidePairing(paired.dataDir, code, { approve: true, email: ADA.email }), 10_000, 'approving')
      const result = await timeout(cli.done, 20_000, 'cli login to finish')
      const value = valid(result, { action: 'login', outcome: 'loggedIn', code: 0 })
      assert.is(value.command, 'cli login')
      assert.is(value.auth_method, 'device')
      assert.is(value.email, ADA.email)
      assert.is(value.server, paired.server.url)
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
    }
    leaks.readCredentials(join(box.home, CREDENTIAL_FILE))
  } finally {
    await paired.stop()
  }
  const other = spec.sandbox()
  valid(await run(other, ['cli', 'login', '--json', '--logout', '--force']), { action: 'logout', outcome: 'failed', code: 2, kind: 'usage' })
  const port = await closedPort()
  valid(await run(other, ['cli', 'login', '--json', '--server', `http://127.0.0.1:${port}`]), { action: 'login', outcome: 'failed', code: 3, kind: 'unreachable' })
})

test('no output and no file but the credential files holds a password or a token', () => {
  spec.cleanUp()
  leaks.assertNoLeak()
})

test.run()
