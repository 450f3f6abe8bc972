// The credential files `omicos login` leaves behind, end to end: which files, their modes
// (checked with stat(1), also under umask 000), workspace logins, and files it must refuse.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_BIN, type CliResult, type CliSandbox } from '../support/cli.js'
import { assertOneLineError, bytesOf, CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'
import { timeout } from '../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery' }
const BOB = { email: 'bob@example.com', password: 'bob keeps a workspace 9' }

const leaks = watchForLeaks()
const spec = loginSpec(test, leaks, [ADA, BOB])
const { ref } = spec

const sandbox = () => {
  const box = spec.sandbox()
  return {
    box,
    globalFile: join(box.home, CREDENTIAL_FILE),
    workspaceDir: join(box.workspace, '.omicos'),
    workspaceFile: join(box.workspace, '.omicos', CREDENTIAL_FILE),
  }
}

const login = (box: CliSandbox, user: typeof ADA, extra: string[] = []) =>
  leaks.run(['login', '--server', ref.server.url, '--email', user.email, '--password-stdin', ...extra], {
    cwd: box.workspace,
    env: box.env,
    input: user.password,
    timeoutMs: 20_000,
  })

/** Mode bits as stat(1) prints them: `600`. */
const statMode = (path: string): string => {
  const result = spawnSync('stat', ['-c', '%a', path], { encoding: 'utf8', timeout: 5_000 })
  assert.is(result.status, 0, `stat ${path}: ${result.stderr}`)
  return result.stdout.trim()
}

/** `omicos login ...` started from a shell that first runs `umask 000`. */
function loginUnderUmask000(box: CliSandbox, user: typeof ADA, extra: string[] = []): Promise<CliResult> {
  const args = ['login', '--server', ref.server.url, '--email', user.email, '--password-stdin', ...extra]
  const child = spawn('sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, CLI_BIN, ...args], {
    cwd: box.workspace,
    env: box.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  child.stdin.end(user.password)
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return timeout(done, 20_000, 'omicos login under umask 000')
    .then((result) => {
      leaks.keep(result.stdout)
      leaks.keep(result.stderr)
      return result
    })
    .catch((error) => {
      child.kill('SIGKILL')
      throw error
    })
}

// --- modes ------------------------------------------------------------------------------------

test('files are 0600 and directories 0700, also under umask 000', async () => {
  const { box, globalFile, workspaceDir, workspaceFile } = sandbox()
  const umaskCheck = spawnSync('sh', ['-c', 'umask 000; umask'], { encoding: 'utf8', timeout: 5_000 })
  assert.match(umaskCheck.stdout, /^0*$|^0000/m)
  const result = await loginUnderUmask000(box, ADA, ['--workspace'])
  assert.is(result.code, 0, result.stderr)
  assert.is(statMode(workspaceDir), '700')
  assert.is(statMode(workspaceFile), '600')
  assert.is(statMode(join(workspaceDir, 'workspace.json')), '600')
  const plain = await loginUnderUmask000(box, ADA)
  assert.is(plain.code, 0, plain.stderr)
  assert.is(statMode(box.home), '700')
  assert.is(statMode(globalFile), '600')
  assert.is(statMode(workspaceFile), '600', 'the twin was rewritten 0600 too')
  leaks.readCredentials(globalFile)
})

test('an existing omicOS home that is group readable is narrowed to 0700', async () => {
  const { box, globalFile } = sandbox()
  mkdirSync(box.home, { mode: 0o755 })
  chmodSync(box.home, 0o755)
  assert.is((await login(box, ADA)).code, 0)
  assert.is(statMode(box.home), '700')
  assert.is(statMode(globalFile), '600')
})

// --- global and workspace files ---------------------------------------------------------------

test('a plain login writes only the global file', async () => {
  const { box, globalFile, workspaceDir } = sandbox()
  const result = await login(box, ADA)
  assert.is(result.code, 0, result.stderr)
  assert.ok(existsSync(globalFile))
  assert.not.ok(existsSync(workspaceDir), 'no workspace folder is made')
  leaks.readCredentials(globalFile)
})

test('--workspace writes only <workspace>/.omicos/cloud_login.json; a global login of another account stays byte for byte', async () => {
  const { box, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, ADA)).code, 0)
  const globalBefore = bytesOf(globalFile)
  const result = await login(box, BOB, ['--workspace'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Logged in as ${BOB.email}`)
  assert.match(result.stdout, `Credentials written to ${workspaceFile}`)
  assert.not.match(result.stdout, `Credentials written to ${globalFile}`)
  assert.equal(bytesOf(globalFile), globalBefore)
  const a = leaks.readCredentials(globalFile)
  const b = leaks.readCredentials(workspaceFile)
  assert.is(a.user.email, ADA.email)
  assert.is(b.user.email, BOB.email)
  assert.is(b.process_id, a.process_id, 'one workspace, one process id')
})

test('--workspace with no global login leaves the global file absent', async () => {
  const { box, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, BOB, ['--workspace'])).code, 0)
  assert.ok(existsSync(workspaceFile))
  assert.not.ok(existsSync(globalFile))
  leaks.readCredentials(workspaceFile)
})

test('a plain login inside a workspace whose file is the same account rewrites both files, identical', async () => {
  const { box, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, ADA, ['--workspace'])).code, 0)
  const workspaceBefore = bytesOf(workspaceFile)
  const result = await login(box, ADA)
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, `Credentials written to ${globalFile}`)
  assert.match(result.stdout, `Credentials written to ${workspaceFile}`)
  assert.equal(bytesOf(globalFile), bytesOf(workspaceFile))
  assert.not.equal(bytesOf(workspaceFile), workspaceBefore, 'the workspace file holds the new login')
  leaks.readCredentials(globalFile)
})

test('a plain login inside a workspace whose file is another account leaves that file byte for byte', async () => {
  const { box, globalFile, workspaceFile } = sandbox()
  assert.is((await login(box, BOB, ['--workspace'])).code, 0)
  const workspaceBefore = bytesOf(workspaceFile)
  const result = await login(box, ADA)
  assert.is(result.code, 0, result.stderr)
  assert.not.match(result.stdout, workspaceFile)
  assert.equal(bytesOf(workspaceFile), workspaceBefore)
  assert.is(leaks.readCredentials(globalFile).user.email, ADA.email)
})

// --- files omicos must not touch --------------------------------------------------------------

const refusals: Array<{ what: string; pattern: RegExp; make(file: string, elsewhere: string): void }> = [
  {
    what: 'a symlink',
    pattern: /symbolic link/,
    make(file, elsewhere) {
      writeFileSync(elsewhere, '{"not":"ours"}\n', { mode: 0o600 })
      symlinkSync(elsewhere, file)
    },
  },
  {
    what: 'a file with mode 0644',
    pattern: /permissions 0644.*chmod 600/,
    make(file) {
      writeFileSync(file, '{"version":1}\n')
      chmodSync(file, 0o644)
    },
  },
  {
    what: 'a file that does not parse',
    pattern: /not a valid omicOS credential file/,
    make(file) {
      writeFileSync(file, '{ this is not json\n', { mode: 0o600 })
      chmodSync(file, 0o600)
    },
  },
]

for (const refusal of refusals) {
  test(`a global credential file that is ${refusal.what}: exit 7, one line, the file untouched`, async () => {
    const { box, globalFile } = sandbox()
    mkdirSync(box.home, { mode: 0o700 })
    const elsewhere = join(box.home, '..', 'elsewhere.json')
    refusal.make(globalFile, elsewhere)
    const before = { bytes: bytesOf(globalFile), mode: lstatSync(globalFile).mode, link: lstatSync(globalFile).isSymbolicLink() }
    const targetBefore = bytesOf(elsewhere)
    const requests = ref.server.requests.length
    for (const extra of [[], ['--force']]) {
      const result = await login(box, ADA, extra)
      assertOneLineError(result, 7, refusal.pattern)
      assert.match(result.stderr, globalFile, 'names the file')
    }
    assert.is(ref.server.requests.length, requests, 'refused before any request')
    assert.equal(bytesOf(globalFile), before.bytes)
    assert.is(lstatSync(globalFile).mode, before.mode)
    assert.is(lstatSync(globalFile).isSymbolicLink(), before.link)
    if (before.link) assert.is(readlinkSync(globalFile), elsewhere)
    assert.equal(bytesOf(elsewhere), targetBefore)
    // --status and --logout refuse it the same way.
    for (const args of [
      ['login', '--status'],
      ['login', '--logout'],
    ]) {
      const other = await leaks.run(args, { cwd: box.workspace, env: box.env, timeoutMs: 20_000 })
      assertOneLineError(other, 7, refusal.pattern)
    }
    assert.equal(bytesOf(globalFile), before.bytes)
  })
}

test('a workspace credential file that is a symlink: a --workspace login exits 7 and leaves it', async () => {
  const { box, workspaceDir, workspaceFile } = sandbox()
  mkdirSync(workspaceDir, { mode: 0o700 })
  const elsewhere = join(box.home, '..', 'elsewhere.json')
  writeFileSync(elsewhere, '{}\n', { mode: 0o600 })
  symlinkSync(elsewhere, workspaceFile)
  const result = await login(box, BOB, ['--workspace', '--force'])
  assertOneLineError(result, 7, /symbolic link/)
  assert.ok(lstatSync(workspaceFile).isSymbolicLink())
  assert.equal(bytesOf(elsewhere), Buffer.from('{}\n'))
})

test('--workspace in the home folder is refused (exit 2, one line naming it), by both logins, and nothing is written', async () => {
  const { box } = sandbox()
  // A home of its own, its ~/.omicos the default global home (no OMICOS_HOME), holding a global login.
  const userHome = join(box.workspace, 'user-home')
  mkdirSync(join(userHome, '.omicos'), { recursive: true, mode: 0o700 })
  const env: NodeJS.ProcessEnv = { ...box.env, HOME: userHome }
  delete env.OMICOS_HOME
  const first = await leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
    cwd: userHome,
    env,
    input: ADA.password,
    timeoutMs: 20_000,
  })
  assert.is(first.code, 0, first.stderr)
  const globalFile = join(userHome, '.omicos', CREDENTIAL_FILE)
  const before = bytesOf(globalFile)
  const listing = () => [...readdirSync(userHome), ...readdirSync(join(userHome, '.omicos'))].sort()
  const files = listing()
  for (const args of [
    ['login', '--server', ref.server.url, '--email', BOB.email, '--password-stdin', '--workspace'],
    ['cli', 'login', '--server', ref.server.url, '--workspace', '--no-qr'],
  ]) {
    const result = await leaks.run(args, { cwd: userHome, env, input: BOB.password, timeoutMs: 20_000 })
    assertOneLineError(result, 2, /is your home folder, whose \.omicos holds the global login: .*run it there, or leave out --workspace$/)
    assert.ok(result.stderr.includes(userHome), result.stderr)
    assert.equal(bytesOf(globalFile), before, 'the global login is left byte for byte')
    assert.equal(listing(), files, 'no file made: no workspace file, no pending pairing, no lock')
  }
  const json = await leaks.run(['login', '--json', '--server', ref.server.url, '--email', BOB.email, '--password-stdin', '--workspace'], {
    cwd: userHome,
    env,
    input: BOB.password,
    timeoutMs: 20_000,
  })
  assert.is(json.code, 2)
  assert.is(JSON.parse(json.stdout).error.kind, 'usage')

  // A folder whose .omicos is the global home named by OMICOS_HOME is that home's folder too.
  const named = await leaks.run(['login', '--server', ref.server.url, '--email', BOB.email, '--password-stdin', '--workspace'], {
    cwd: userHome,
    env: { ...env, OMICOS_HOME: join(userHome, '.omicos'), HOME: box.workspace },
    input: BOB.password,
    timeoutMs: 20_000,
  })
  assertOneLineError(named, 2, /is your home folder/)

  // A project folder under the home is a workspace: --workspace works there.
  const project = join(userHome, 'project')
  mkdirSync(project)
  const inProject = await leaks.run(['login', '--server', ref.server.url, '--email', BOB.email, '--password-stdin', '--workspace'], {
    cwd: project,
    env,
    input: BOB.password,
    timeoutMs: 20_000,
  })
  assert.is(inProject.code, 0, inProject.stderr)
  assert.ok(existsSync(join(project, '.omicos', CREDENTIAL_FILE)))
  assert.equal(bytesOf(globalFile), before)
})

test('no output and no file but the credential files holds a password or a token', () => {
  spec.cleanUp()
  leaks.assertNoLeak()
})

test.run()
