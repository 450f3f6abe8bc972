// Writers killed with SIGKILL at any instant, fsyncs or renames slowed down by strace so that
// kills land inside them: the credential file is always the old or the new one, whole and 0600;
// the next store operation leaves nothing else behind; the tokens of a killed login's temp are
// revoked by the next online operation; and after a kill between the twins' renames the
// workspace copy (the daemon's first choice) holds the live process token.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCredentialFile, serializeCredentialFile } from '../../../effects/store/credential-file.js'
import { persistLogin, readActive, readStoreStatus } from '../../../effects/store/index.js'
import { REVOCATION_FILE } from '../../../effects/store/revocation-queue.js'
import { resolveCredentials } from '../../../effects/node/resolver.js'
import { login, logout } from '../../../effects/node/api.js'
import { buildCredentialFile } from '../../../effects/store/credential-file.js'
import { HOST_TAG } from '../../../effects/store/private-file.js'
import { tempDir } from '../../support/effects.js'
import { passwordLogin, referenceServerFor, request } from '../../support/server.js'
import { hasStrace, leftovers, startStoreChild, storeVersion, temps } from '../../support/store-files.js'
import { sleep, timeout } from '../../support/wait.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }
const ref = referenceServerFor(test, { users: [ADA] })

if (!hasStrace()) console.log('note: strace is not installed: kills are not slowed into fsyncs and renames, and the strace rounds are skipped')

const ROUNDS = 100
const PARALLEL = 4

const mode = (p: string) => statSync(p).mode & 0o777

/** A home and a workspace (with .git) in a fresh temp directory. */
const place = () => {
  const base = tempDir('omicos-crash-')
  const home = join(base, 'home')
  const ws = join(base, 'project')
  mkdirSync(join(ws, '.git'), { recursive: true })
  return { base, home, ws, loc: { home, cwd: ws, env: {} } }
}

/** The version a credential file holds, checking it is one whole version. */
const versionIn = (file: string): number => {
  const text = readFileSync(file, 'utf8')
  const parsed = parseCredentialFile(text, file)
  const version = Number(/^user-token-v(\d+)$/.exec(parsed.user_token)?.[1])
  assert.ok(Number.isInteger(version), `a version of the test login is in ${file}`)
  assert.is(text, serializeCredentialFile(storeVersion(version)), `${file} holds version ${version} whole`)
  assert.is(mode(file), 0o600, `${file} is 0600`)
  return version
}

const queued = (home: string): string => (existsSync(join(home, REVOCATION_FILE)) ? readFileSync(join(home, REVOCATION_FILE), 'utf8') : '')

test(`kill -9 at random instants, ${ROUNDS} rounds against an existing file: old or new whole and 0600, nothing left after the next operation`, async () => {
  const figures = { old: 0, new: 0, withTemp: 0, tempTokensQueued: 0, slowed: 0 }
  const round = async (r: number) => {
    const { home, ws, loc } = place()
    await persistLogin({ ...loc, workspaceOnly: false }, storeVersion(0))
    const file = join(home, 'cloud_login.json')
    // Three rounds in four with every fsync taking 200 ms, so that many kills land inside one.
    const slow = hasStrace() && r % 4 !== 3
    if (slow) figures.slowed++
    const child = startStoreChild('write', { home, cwd: ws, from: 1, to: 40 }, slow ? { slow: { syscall: 'fsync', ms: 200 } } : {})
    await child.pid
    await sleep(Math.random() * (slow ? 1_200 : 120))
    await child.kill()
    const version = versionIn(file)
    if (version === 0) figures.old++
    else figures.new++
    const left = temps(home)
    if (left.length > 0) figures.withTemp++
    const tempText = left.map((name) => readFileSync(join(home, name), 'utf8')).join('')
    await timeout(readActive(loc), 5_000, 'the next store operation')
    assert.equal(leftovers(home), [], `round ${r}: nothing but the credential file is left`)
    assert.is(versionIn(file), version, 'the sweep does not touch the file')
    const tempToken = /"user_token": "(user-token-v\d+)"/.exec(tempText)?.[1]
    if (tempToken && tempToken !== `user-token-v${version}`) {
      assert.ok(queued(home).includes(`"${tempToken}"`), `round ${r}: the killed temp's tokens wait for revocation`)
      assert.is(mode(join(home, REVOCATION_FILE)), 0o600)
      figures.tempTokensQueued++
    }
    assert.not.ok(queued(home).includes(`"user-token-v${version}"`), 'the live token is never queued for revocation')
  }
  for (let start = 0; start < ROUNDS; start += PARALLEL) {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, ROUNDS - start) }, (_, i) => round(start + i)))
  }
  console.log(
    `  ${ROUNDS} kills: ${figures.old} left the old file, ${figures.new} a new one; ${figures.withTemp} left a temp (${figures.tempTokensQueued} with tokens queued for revocation); ${figures.slowed} with fsync slowed`,
  )
  assert.is(figures.old + figures.new, ROUNDS)
})

/** Twins of version 0: a workspace login, then a plain login of the same account from it. */
const twins = async () => {
  const p = place()
  await persistLogin({ ...p.loc, workspaceOnly: true }, storeVersion(0))
  await persistLogin({ ...p.loc, workspaceOnly: false }, storeVersion(0))
  const globalFile = join(p.home, 'cloud_login.json')
  const wsFile = join(p.ws, '.omicos', 'cloud_login.json')
  assert.is(readFileSync(globalFile, 'utf8'), readFileSync(wsFile, 'utf8'))
  return { ...p, globalFile, wsFile, wsDir: join(p.ws, '.omicos') }
}

test('kills at random instants of a twin write: the workspace copy is never older than the global one; a read mends the pair', async () => {
  if (!hasStrace()) return
  let differed = 0
  const round = async (r: number) => {
    const t = await twins()
    const child = startStoreChild('write', { home: t.home, cwd: t.ws, from: 1, to: 20 }, { slow: { syscall: 'fsync', ms: 150 } })
    await child.pid
    await sleep(Math.random() * 1_500)
    await child.kill()
    const w = versionIn(t.wsFile)
    const g = versionIn(t.globalFile)
    assert.ok(w >= g, `round ${r}: workspace v${w}, global v${g}`)
    if (w !== g) differed++
    const active = await timeout(resolveCredentials(t.loc), 5_000, 'resolveCredentials')
    assert.is(active?.path, t.wsFile)
    assert.is(versionIn(t.globalFile), w, 'the global twin is mended from the workspace copy')
    assert.equal([...leftovers(t.home), ...leftovers(t.wsDir)], [], `round ${r}: no temp or lock is left`)
    assert.not.ok(queued(t.home).includes(`"user-token-v${w}"`), 'the tokens the files hold are never queued')
  }
  for (let start = 0; start < 24; start += PARALLEL) await Promise.all(Array.from({ length: PARALLEL }, (_, i) => round(start + i)))
  console.log(`  24 twin kills: ${differed} left the pair different (then mended)`)
})

test("a kill between the twins' renames: status reports it without writing, the workspace copy is the newer, the twin temp is not revoked", async () => {
  if (!hasStrace()) return
  const t = await twins()
  const v0 = readFileSync(t.wsFile, 'utf8')
  // Each rename returns 400 ms late: the workspace file changes well before the global one.
  const child = startStoreChild('write', { home: t.home, cwd: t.ws, from: 1, to: 1 }, { slow: { syscall: 'rename', ms: 400 } })
  const deadline = Date.now() + 20_000
  while (readFileSync(t.wsFile, 'utf8') === v0 && Date.now() < deadline) await sleep(5)
  await child.kill()
  assert.is(versionIn(t.wsFile), 1)
  assert.is(versionIn(t.globalFile), 0)
  const bytes = [readFileSync(t.wsFile), readFileSync(t.globalFile)]
  const mtimes = [statSync(t.wsFile).mtimeMs, statSync(t.globalFile).mtimeMs]
  const status = await timeout(readStoreStatus(t.loc), 5_000, 'status')
  assert.equal(status.twins, { global: t.globalFile, workspace: t.wsFile, newer: 'workspace' })
  assert.is(status.active?.path, t.wsFile)
  assert.ok(
    status.swept.some((p) => p.endsWith('.twin.tmp')),
    'the twin temp left in the home is swept',
  )
  assert.equal([readFileSync(t.wsFile), readFileSync(t.globalFile)], bytes, 'status rewrote no credential file')
  assert.equal([statSync(t.wsFile).mtimeMs, statSync(t.globalFile).mtimeMs], mtimes)
  assert.not.ok(queued(t.home).includes('user-token-v1'), "the twin temp's tokens live on in the workspace file: not revoked")
  await timeout(resolveCredentials(t.loc), 5_000, 'resolveCredentials')
  assert.is(versionIn(t.globalFile), 1)
  assert.is((await readStoreStatus(t.loc)).twins, null)
})

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

test("a login killed inside the fsync of its temp: the temp's tokens are revoked by the next online login, and no temp is left", async () => {
  if (!hasStrace()) return
  const { home, ws } = place()
  const first = await timeout(
    login({ server: ref.server.url, home, cwd: ws, env: {}, email: ADA.email, password: ADA.password, prompts: false }),
    20_000,
    'first login',
  )
  assert.is(first.kind, 'loggedIn')
  const file = join(home, 'cloud_login.json')
  const before = readFileSync(file)
  const child = startStoreChild(
    'login',
    { server: ref.server.url, home, cwd: ws, email: ADA.email, password: ADA.password, force: true },
    { slow: { syscall: 'fsync', ms: 1_500 } },
  )
  // Kill once the temp holds the whole file: its fsync now takes 1.5 s.
  let tempText = ''
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const name = temps(home).find((n) => n.startsWith('.cloud_login.json.'))
    let text = ''
    try {
      text = name ? readFileSync(join(home, name), 'utf8') : ''
    } catch {
      // renamed or removed since it was listed
    }
    if (text.endsWith('}\n')) {
      tempText = text
      break
    }
    await sleep(5)
  }
  await child.kill()
  assert.ok(tempText, `the killed login wrote a temp (${child.lines.join(' | ')})`)
  assert.equal(readFileSync(file), before, 'the credential file is the old one')
  const killed = JSON.parse(tempText) as { user_token: string; refresh_token: string }
  assert.is((await request(ref.server, '/omicos/account', bearer(killed.user_token))).status, 200, 'the temp holds a live user token')

  const next = await timeout(
    login({ server: ref.server.url, home, cwd: ws, env: {}, email: ADA.email, password: ADA.password, force: true, prompts: false }),
    20_000,
    'next login',
  )
  assert.is(next.kind, 'loggedIn')
  assert.equal(leftovers(home), [])
  assert.not.ok(existsSync(join(home, REVOCATION_FILE)), 'the queue was emptied')
  assert.is((await request(ref.server, '/omicos/account', bearer(killed.user_token))).status, 401, "the killed login's user token is revoked")
  const refresh = await request(ref.server, '/token', { form: { grant_type: 'refresh_token', refresh_token: killed.refresh_token, client_id: 'omicos-cli' } })
  assert.is(refresh.status, 400, 'and its refresh token')
  const stored = JSON.parse(readFileSync(file, 'utf8'))
  assert.is((await request(ref.server, '/omicos/account', bearer(stored.user_token))).status, 200, 'the new login works')
})

test("a login killed between the twins' renames: the workspace copy's process token works, and a read mends the global copy", async () => {
  if (!hasStrace()) return
  const { home, ws, loc } = place()
  const base = { server: ref.server.url, home, cwd: ws, env: {}, email: ADA.email, password: ADA.password, prompts: false as const }
  assert.is((await timeout(login({ ...base, workspace: true }), 20_000, 'workspace login')).kind, 'loggedIn')
  assert.is((await timeout(login({ ...base, force: true }), 20_000, 'plain login')).kind, 'loggedIn')
  const globalFile = join(home, 'cloud_login.json')
  const wsFile = join(ws, '.omicos', 'cloud_login.json')
  const old = readFileSync(wsFile, 'utf8')
  assert.is(readFileSync(globalFile, 'utf8'), old, 'twins')
  const child = startStoreChild(
    'login',
    { server: ref.server.url, home, cwd: ws, email: ADA.email, password: ADA.password, force: true },
    { slow: { syscall: 'rename', ms: 1_000 } },
  )
  const deadline = Date.now() + 30_000
  while (readFileSync(wsFile, 'utf8') === old && Date.now() < deadline) await sleep(5)
  await child.kill()
  const wsNow = JSON.parse(readFileSync(wsFile, 'utf8'))
  const globalNow = JSON.parse(readFileSync(globalFile, 'utf8'))
  assert.is.not(wsNow.process_token, globalNow.process_token, 'killed between the renames')
  assert.is((await request(ref.server, '/omicos/processes/current', bearer(wsNow.process_token))).status, 200, "the workspace copy's process token works")
  const active = await timeout(resolveCredentials(loc), 5_000, 'resolveCredentials')
  assert.is(active?.credentials.process_token, wsNow.process_token)
  assert.is(readFileSync(globalFile, 'utf8'), readFileSync(wsFile, 'utf8'), 'the global copy is mended')
  assert.equal([...leftovers(home), ...leftovers(join(ws, '.omicos'))], [])
  assert.is(readdirSync(home).includes(REVOCATION_FILE) ? readFileSync(join(home, REVOCATION_FILE), 'utf8').includes(wsNow.user_token) : false, false)
})

test('logout revokes and removes every temp of the account, even one still being written', async () => {
  const { home, ws } = place()
  const base = { server: ref.server.url, home, cwd: ws, env: {} }
  assert.is((await timeout(login({ ...base, email: ADA.email, password: ADA.password, prompts: false }), 20_000, 'login')).kind, 'loggedIn')
  // Tokens of a login of the same account that no file holds yet: a temp of a live writer (this process).
  const grant = await passwordLogin(ref.server, ADA.email, ADA.password)
  assert.is(grant.status, 200)
  const stored = JSON.parse(readFileSync(join(home, 'cloud_login.json'), 'utf8'))
  const inFlight = buildCredentialFile({
    userToken: grant.body.access_token,
    userTokenExpiresAt: null,
    refreshToken: grant.body.refresh_token ?? null,
    processToken: 'not-yet-registered',
    processTokenExpiresAt: Date.now() + 60_000,
    processId: stored.process_id,
    processName: 'notebook',
    authMethod: 'password',
    server: ref.server.url,
    accountId: stored.user.account_id,
    email: ADA.email,
    tier: 'pro',
    loggedInAt: Date.now(),
  })
  const temp = join(home, `.cloud_login.json.${process.pid}.${HOST_TAG}.0123456789ab.tmp`)
  writeFileSync(temp, serializeCredentialFile(inFlight), { mode: 0o600 })
  assert.is((await request(ref.server, '/omicos/account', bearer(grant.body.access_token))).status, 200)
  const out = await timeout(logout(base), 20_000, 'logout')
  assert.is(out.kind, 'loggedOut')
  assert.not.ok(existsSync(temp), 'the temp is removed')
  assert.equal(leftovers(home), [])
  assert.is((await request(ref.server, '/omicos/account', bearer(grant.body.access_token))).status, 401, 'its user token is revoked')
})

test.run()
