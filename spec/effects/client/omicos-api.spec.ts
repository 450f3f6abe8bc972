// The effects against the reference server (spec/support/server.ts): password grant, account,
// process registration and rotation, revocation, the resolver's process-token refresh, and
// the machines run end to end on the Node actors.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { createActor, toPromise, type AnyActorLogic } from 'xstate'
import { decidePairing } from '../../../server/index.js'
import { logoutMachine, provideLogin, statusMachine } from '../../../machines/index.js'
import { parseCredentialFile } from '../../../effects/store/credential-file.js'
import { persistCredentials } from '../../../effects/store/index.js'
import type { EngineError } from '../../../effects/client/engine-error.js'
import { createNodeActors } from '../../../effects/node/node-actors.js'
import { checkProcessToken, fetchAccount, getAccount, registerProcess, revokeTokens } from '../../../effects/client/omicos-api.js'
import { authenticateWithPassword, passwordGrant } from '../../../effects/client/password-grant.js'
import { refreshProcessToken, resolveCredentials } from '../../../effects/node/resolver.js'
import { buildCredentialFile } from '../../../effects/store/credential-file.js'
import { resolveWorkspace } from '../../../effects/store/workspace.js'
import { withReferenceServer, type ReferenceServer } from '../../support/server.js'
import { tempDir } from '../../support/effects.js'
import { timeout } from '../../support/wait.js'

const CLIENT = { clientId: 'omicos-cli', scope: 'openid email offline_access' }
let ref: ReferenceServer
let url = ''
const ada = () => ref.users[0]

test.before(async () => {
  ref = await withReferenceServer({
    interval: 1,
    users: [
      { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' },
      { email: 'bob@example.com', password: 'hunter22 hunter22', tier: 'free' },
    ],
  })
  url = ref.server.url
})

test.after(async () => {
  await ref.stop()
})

/** A password grant, and whose its tokens are: what a login holds before it registers. */
const login = async (email = ada().email, password = ada().password) => {
  const result = await timeout(authenticateWithPassword({}, { server: url, ...CLIENT, email, password }), 10_000, 'password login')
  if (result.kind !== 'granted') return result
  const account = await timeout(fetchAccount({}, url, result.tokens.userToken), 10_000, 'account')
  const { userToken, refreshToken, userTokenExpiresAt } = result.tokens
  return { kind: 'granted' as const, session: { userToken, refreshToken, userTokenExpiresAt, account } }
}

const run = <T>(logic: AnyActorLogic, input: unknown, onSnapshot?: (s: any) => void): Promise<T> => {
  const actor = createActor(logic, { input } as any)
  actor.subscribe({ next: (s) => onSnapshot?.(s), error: () => {} })
  actor.start()
  return timeout(toPromise(actor) as Promise<T>, 20_000, 'machine')
}

test('password grant: granted, and the account of its token; wrong password is invalid', async () => {
  const result = await login()
  assert.is(result.kind, 'granted')
  if (result.kind !== 'granted') return
  assert.equal(result.session.account, { accountId: ada().accountId, email: 'ada@example.com', tier: 'pro' })
  assert.type(result.session.userToken, 'string')
  assert.type(result.session.refreshToken, 'string')
  assert.ok(result.session.userTokenExpiresAt! > Date.now())
  const wrong = await login(ada().email, 'nope')
  assert.equal(wrong, { kind: 'invalid', serverText: 'wrong email or password' })
})

test('password grant: too many failures for one email is rateLimited with a Retry-After', async () => {
  let last: Awaited<ReturnType<typeof passwordGrant>> | undefined
  for (let i = 0; i < 7; i++) {
    last = await timeout(passwordGrant({}, { server: url, ...CLIENT, email: 'bob@example.com', password: `wrong-${i}` }), 10_000, 'grant')
  }
  assert.is(last!.kind, 'rateLimited')
  if (last!.kind === 'rateLimited') assert.ok(last!.retryAfterMs > 0 && last!.retryAfterMs <= 60_000, String(last!.retryAfterMs))
})

test('process registration rotates the token; the old one stops working', async () => {
  const result = await login()
  if (result.kind !== 'granted') return assert.unreachable()
  const input = { server: url, userToken: result.session.userToken, processId: 'local-00112233aabbccdd', name: 'base' }
  const first = await timeout(registerProcess({}, input), 10_000, 'register')
  const second = await timeout(registerProcess({}, input), 10_000, 'register')
  assert.is(first.processId, input.processId)
  assert.is.not(first.processToken, second.processToken)
  assert.ok(second.processTokenExpiresAt > Date.now())
  assert.equal(await checkProcessToken({}, url, first.processToken), { kind: 'invalid' })
  const current = await checkProcessToken({}, url, second.processToken)
  assert.is(current.kind, 'valid')
  if (current.kind === 'valid') assert.is(current.accountId, ada().accountId)
  try {
    await registerProcess({}, { ...input, userToken: 'not-a-token' })
    assert.unreachable()
  } catch (error) {
    assert.is((error as EngineError).kind, 'refused')
  }
})

test('revocation: user, refresh and process tokens stop working', async () => {
  const result = await login()
  if (result.kind !== 'granted') return assert.unreachable()
  const proc = await registerProcess({}, { server: url, userToken: result.session.userToken, processId: 'local-revoke', name: 'x' })
  const tokens = [result.session.refreshToken!, result.session.userToken, proc.processToken]
  assert.is(await timeout(revokeTokens({ ...CLIENT }, url, tokens), 10_000, 'revoke'), true)
  assert.is((await getAccount({}, url, result.session.userToken)).kind, 'invalid')
  assert.equal(await checkProcessToken({}, url, proc.processToken), { kind: 'invalid' })
  assert.is(await revokeTokens({ ...CLIENT }, 'http://127.0.0.1:1', tokens), false)
})

test('resolver: workspace first; refreshProcessToken re-registers and rewrites the file and its identical twin', async () => {
  const base = tempDir()
  const home = join(base, 'home', '.omicos')
  const ws = join(base, 'proj')
  mkdirSync(join(ws, '.git'), { recursive: true })
  const loc = { home, cwd: ws, env: {} }
  const { processId } = await resolveWorkspace({ cwd: ws, env: {}, home })
  const result = await login()
  if (result.kind !== 'granted') return assert.unreachable()
  const proc = await registerProcess({}, { server: url, userToken: result.session.userToken, processId, name: 'proj' })
  const file = buildCredentialFile({
    ...result.session,
    ...proc,
    processName: 'proj',
    authMethod: 'password',
    server: url,
    accountId: result.session.account.accountId,
    email: result.session.account.email,
    tier: result.session.account.tier,
    loggedInAt: Date.now(),
  })
  await persistCredentials({ ...loc, workspaceOnly: true }, file)
  await persistCredentials({ ...loc, workspaceOnly: false }, file)
  const active = await resolveCredentials(loc)
  assert.is(active?.source, 'workspace')

  const fresh = await timeout(refreshProcessToken({ ...loc, minValidityMs: 60_000 }), 10_000, 'refresh')
  assert.is(fresh?.refreshed, false)
  const refreshed = await timeout(refreshProcessToken({ ...loc, minValidityMs: 24 * 3600_000 }), 10_000, 'refresh')
  assert.is(refreshed?.refreshed, true)
  assert.equal(refreshed?.written, [join(ws, '.omicos', 'cloud_login.json'), join(home, 'cloud_login.json')])
  const wsText = readFileSync(join(ws, '.omicos', 'cloud_login.json'), 'utf8')
  assert.is(readFileSync(join(home, 'cloud_login.json'), 'utf8'), wsText)
  const now = parseCredentialFile(wsText, 'x')
  assert.is.not(now.process_token, proc.processToken)
  assert.is((await checkProcessToken({}, url, now.process_token)).kind, 'valid')
  assert.equal(await checkProcessToken({}, url, proc.processToken), { kind: 'invalid' })
  assert.is(statSync(join(ws, '.omicos', 'cloud_login.json')).mode & 0o777, 0o600)
})

test('machines on the Node actors: password login, status, logout', async () => {
  const base = tempDir()
  const home = join(base, '.omicos-home')
  const ws = join(base, 'proj')
  mkdirSync(ws)
  const actors = createNodeActors({ home, cwd: ws, env: {} })
  const { processId } = await resolveWorkspace({ cwd: ws, env: {}, home })
  const input = { server: url, email: ada().email, password: ada().password, name: 'proj', processId, force: false, canPrompt: false }
  const out: any = await run(provideLogin(actors), { ...input, method: 'password' })
  assert.equal(out, {
    kind: 'loggedIn',
    email: ada().email,
    accountId: ada().accountId,
    processName: 'proj',
    server: url,
    authMethod: 'password',
    paths: [join(home, 'cloud_login.json')],
    kept: [],
    replaced: null,
    replacedRevoked: null,
  })
  const saved = parseCredentialFile(readFileSync(join(home, 'cloud_login.json'), 'utf8'), 'x')
  assert.is(saved.process_id, processId)
  assert.is(saved.user.cloud_base, new URL(url).host)
  assert.is(saved.auth_method, 'password')

  const again: any = await run(provideLogin(actors), { ...input, method: 'password' })
  assert.is(again.kind, 'alreadyLoggedIn')

  const reported: any = await run(statusMachine.provide({ actors }), { online: true })
  assert.is(reported.kind, 'reported')
  assert.is(reported.report.configPath, join(home, 'cloud_login.json'))
  assert.is(reported.report.activeSource, 'global')
  assert.is(reported.verified.kind, 'valid')

  const out2: any = await run(logoutMachine.provide({ actors }), {})
  assert.equal(out2, { kind: 'loggedOut', email: ada().email, server: url, removed: [join(home, 'cloud_login.json')], revoked: true })
  assert.is((await getAccount({}, url, saved.user_token)).kind, 'invalid')
})

test('machines on the Node actors: device login approved through the reference server', async () => {
  const base = tempDir()
  const home = join(base, '.omicos-home')
  const ws = join(base, 'proj')
  mkdirSync(ws)
  const actors = createNodeActors({ home, cwd: ws, env: {}, workspaceOnly: true })
  const { processId } = await resolveWorkspace({ cwd: ws, env: {}, home })
  let approving: Promise<unknown> | null = null
  const out: any = await run(
    provideLogin(actors),
    { server: url, method: 'device', email: null, name: 'proj', hostname: 'lab-box', processId, force: false },
    (snapshot) => {
      const code = snapshot.context?.pairing?.userCode
      if (code && !approving) approving = decidePairing(ref.dataDir, code, { approve: true, email: ada().email })
    },
  )
  await timeout(Promise.resolve(approving), 10_000, 'approving')
  assert.is(out.kind, 'loggedIn', JSON.stringify(out))
  assert.equal(out.paths, [join(ws, '.omicos', 'cloud_login.json')])
  const saved = parseCredentialFile(readFileSync(out.paths[0], 'utf8'), 'x')
  assert.is(saved.auth_method, 'device')
  assert.is(saved.user.email, ada().email)
  assert.is(JSON.parse(readFileSync(join(ws, '.omicos', 'workspace.json'), 'utf8')).workspace_id, processId.slice('local-'.length))
})

test.run()
