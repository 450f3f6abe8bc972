// The login machine with both grants as children, on a simulated clock that starts at a real
// epoch time: the order of effects (nothing online before the files are checked, the lock before
// the registration), what each effect is given, compensation, and what the outcome says.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  account,
  checkSnapshot,
  deviceAuthorization,
  deviceLoginInput,
  EPOCH,
  files,
  loginWith,
  passwordLoginInput,
  registration,
  run,
  scripted,
  secrets,
  settle,
  StubEffectError,
  TestClock,
  unreachable,
  type Answer,
  loginScenario,
} from '../support/machine-harness.js'
import { failure, loginDefaults, provideLogin, type Failure, type ExistingLogin, type LoginEffects, type LoginInput } from '../../machines/index.js'

const { tokens, start } = loginScenario

const loggedIn = (authMethod: 'password' | 'device') => ({
  kind: 'loggedIn',
  email: 'you@example.com',
  accountId: 'acct_42',
  processName: 'omics',
  server: 'https://auth.omicos.cn',
  authMethod,
  paths: files,
  kept: [],
  replaced: null,
  replacedRevoked: null,
})

test('password: files checked, grant, account, lock, registration, files; the effects get what the login is', async () => {
  const login = start(passwordLoginInput(), {})
  assert.equal(await login.done(), loggedIn('password'))
  assert.equal(login.states, ['checkingExisting', 'passwordGrant', 'identifying', 'locking', 'registeringProcess', 'persisting', 'loggedIn'])
  assert.equal(login.fx.calls.checkExisting, [{ server: 'https://auth.omicos.cn', method: 'password' }])
  assert.equal(login.fx.calls.authenticate, [{ server: 'https://auth.omicos.cn', email: 'you@example.com', password: secrets.password }])
  assert.equal(login.fx.calls.registerProcess, [{ server: 'https://auth.omicos.cn', userToken: secrets.userToken, processId: 'local-ws1', name: 'omics' }])
  const persisted = login.fx.calls.persist[0] as { loggedInAt: number; process: { name: string; processToken: string }; session: { refreshToken: string } }
  assert.is(persisted.loggedInAt, EPOCH, 'stamped with the time the registration answered')
  assert.is(persisted.process.name, 'omics')
  assert.is(persisted.session.refreshToken, secrets.refreshToken)
  const context = login.snapshot().context
  assert.is(context.tokens, null, 'no token stays in context')
  assert.is(context.process, null)
  assert.is(context.password, null)
  assert.is(checkSnapshot('login: password ok', { states: login.states, context }), null)
})

test('device: the pairing reaches the login context; approved after slow_down; the wait grows by 5 s', async () => {
  const login = start(deviceLoginInput(), {
    pollToken: [
      ({ now }) => ({ ok: { kind: 'pending', at: now } }),
      ({ now }) => ({ ok: { kind: 'slowDown', at: now } }),
      ({ now }) => ({ ok: { kind: 'granted', tokens: tokens(now), at: now } }),
    ],
  })
  await settle()
  assert.equal(login.snapshot().context.pairing, {
    userCode: 'BCDF-GHJK',
    verificationUri: 'https://auth.omicos.cn/device',
    verificationUriComplete: 'https://auth.omicos.cn/device?user_code=BCDFGHJK',
    deadline: EPOCH + 600_000,
    intervalMs: 5_000,
    waitMs: 5_000,
    retrying: null,
    polls: 0,
  })
  await login.advance(5_000 + 5_000)
  assert.is(login.snapshot().context.pairing.intervalMs, 10_000, 'the interval shown grows with slow_down')
  await login.advance(10_000)
  assert.equal(await login.done(), loggedIn('device'))
  assert.equal(login.fx.times.pollToken, [EPOCH + 5_000, EPOCH + 10_000, EPOCH + 20_000])
  // The pairing arriving, and each answer after it (polls so far, the interval growing), are snapshots of their own, in the same state.
  assert.equal(login.states, [
    'checkingExisting',
    'deviceGrant',
    'deviceGrant',
    'deviceGrant',
    'deviceGrant',
    'identifying',
    'locking',
    'registeringProcess',
    'persisting',
    'loggedIn',
  ])
  assert.is(login.snapshot().context.pairing, null)
  assert.is(checkSnapshot('login: device slow down approved', { states: login.states, context: login.snapshot().context }), null)
})

test('device: a poll that cannot reach the server reaches the pairing (retrying, the wait), and the next answer clears it', async () => {
  const login = start(deviceLoginInput(), {
    pollToken: [
      { fail: unreachable() },
      { fail: unreachable() },
      ({ now }) => ({ ok: { kind: 'pending', at: now } }),
      ({ now }) => ({ ok: { kind: 'granted', tokens: tokens(now), at: now } }),
    ],
  })
  await settle()
  await login.advance(5_000)
  assert.equal([login.snapshot().context.pairing.retrying, login.snapshot().context.pairing.waitMs], ['unreachable', 10_000])
  await login.advance(10_000)
  assert.equal([login.snapshot().context.pairing.retrying, login.snapshot().context.pairing.waitMs], ['unreachable', 15_000])
  await login.advance(15_000)
  assert.equal([login.snapshot().context.pairing.retrying, login.snapshot().context.pairing.waitMs], [null, 5_000])
  await login.advance(5_000)
  assert.equal(await login.done(), loggedIn('device'))
})

test('device: cancelled while waiting for approval: failed, resumable until the code dies, no poll after', async () => {
  const login = start(deviceLoginInput(), { pollToken: [({ now }) => ({ ok: { kind: 'pending', at: now } })] })
  await login.advance(5_000)
  login.actor.send({ type: 'user.cancel' })
  const output = (await login.done()) as { kind: string; failure: { kind: string }; resumableUntil: number | null }
  assert.is(output.failure.kind, 'cancelled')
  assert.is(output.resumableUntil, EPOCH + 600_000)
  await login.advance(60_000)
  assert.is(login.fx.calls.pollToken.length, 1)
  assert.is(checkSnapshot('login: device cancelled while waiting', { states: login.states, context: login.snapshot().context }), null)
})

test('the lock is held elsewhere after the grant: the issued tokens are revoked, nothing registered', async () => {
  const problem = new StubEffectError('local_files', 'cloud_login.json is locked by process 4242')
  const login = start(passwordLoginInput(), { lockCredentials: [{ fail: problem }], revokeTokens: [{ ok: undefined }] })
  const output = (await login.done()) as { kind: string; failure: { kind: string }; issuedRevoked: boolean | null }
  assert.is(output.failure.kind, 'local_files')
  assert.is(output.issuedRevoked, true)
  assert.equal(login.fx.calls.registerProcess, [])
  assert.equal(login.fx.calls.revokeTokens, [{ batches: [{ server: 'https://auth.omicos.cn', tokens: [secrets.refreshToken, secrets.userToken] }] }])
  assert.equal(login.states, ['checkingExisting', 'passwordGrant', 'identifying', 'locking', 'revokingIssued', 'failed'])
})

test('a file it cannot write fails the login before anything goes online', async () => {
  const problem = new StubEffectError('local_files', '/home/you/.omicos is read-only')
  const login = start(passwordLoginInput(), { checkExisting: [{ fail: problem }] })
  const output = (await login.done()) as { failure: { kind: string }; issuedRevoked: boolean | null }
  assert.is(output.failure.kind, 'local_files')
  assert.is(output.issuedRevoked, null)
  assert.equal(login.fx.calls.authenticate, [])
  assert.equal(login.states, ['checkingExisting', 'failed'])
})

// --- every ending -----------------------------------------------------------------------------

type Login = ReturnType<typeof start>
type Failed = { kind: 'failed'; failure: Failure; resumableUntil: number | null; issuedRevoked: boolean | null }
const failedOf = async (login: Login) => (await login.done()) as Failed
const pending: Answer = ({ now }) => ({ ok: { kind: 'pending', at: now } })
const approved: Answer = ({ now }) => ({ ok: { kind: 'granted', tokens: tokens(now), at: now } })
const issued = [{ server: 'https://auth.omicos.cn', tokens: [secrets.refreshToken, secrets.userToken] }]
const issuedWithProcess = [{ server: 'https://auth.omicos.cn', tokens: [secrets.refreshToken, secrets.userToken, secrets.processToken] }]

/** No password, token or device code anywhere in the login's context, once it has ended. */
const noSecretLeft = (login: Login) => {
  assert.is.not(login.snapshot().status, 'active')
  const text = JSON.stringify(login.snapshot().context)
  for (const secret of Object.values(secrets)) assert.not.ok(text.includes(secret), `a secret stays in context after ${login.states.at(-1)}`)
}

const mine = (overrides: Partial<ExistingLogin> = {}): ExistingLogin => ({
  email: 'you@example.com',
  accountId: 'acct_42',
  server: 'https://auth.omicos.cn',
  processName: 'omics',
  authMethod: 'password',
  userTokenExpiresAt: EPOCH + 2 * 86_400_000,
  hasRefreshToken: true,
  path: files[0],
  ...overrides,
})
const found =
  (existing: ExistingLogin): Answer =>
  ({ now }) => ({ ok: { existing, at: now } })

test('already logged in: only the same server, the same email (any case) and an unexpired token', async () => {
  const cases: [string, Partial<LoginInput>, ExistingLogin, boolean][] = [
    ['same everything', {}, mine(), true],
    ['the email in another case', { email: 'You@Example.COM' }, mine(), true],
    ['the file in another case', {}, mine({ email: 'YOU@example.com' }), true],
    ['a token with no expiry', {}, mine({ userTokenExpiresAt: null }), true],
    ['no email asked for (whoever logs in)', { email: null, password: null, canPrompt: false }, mine(), true],
    ['another server', {}, mine({ server: 'http://127.0.0.1:4000' }), false],
    ['another email', {}, mine({ email: 'someone@example.com' }), false],
    ['a token that expires right now', {}, mine({ userTokenExpiresAt: EPOCH }), false],
    ['a token that expired', {}, mine({ userTokenExpiresAt: EPOCH - 1 }), false],
    ['--force', { force: true }, mine(), false],
  ]
  // The same login is asked about online first (login-existing.spec.ts has the rest of that story).
  const works: Answer = ({ now }) => ({ ok: { kind: 'valid', account, at: now } })
  for (const [what, overrides, existing, already] of cases) {
    const login = start(passwordLoginInput(overrides), { checkExisting: [found(existing)], verifyExisting: [works] })
    const output = (await login.done()) as { kind: string; existing?: ExistingLogin; failure?: { reason?: string }; replaced?: ExistingLogin | null }
    if (already) {
      assert.equal(output, { kind: 'alreadyLoggedIn', existing, confirmed: true, renewed: false }, what)
      assert.equal(login.fx.calls.authenticate, [], `${what}: nothing sent`)
      assert.equal(login.states, ['checkingExisting', 'verifyingExisting', 'alreadyLoggedIn'], what)
      noSecretLeft(login)
    } else {
      assert.is(output.kind, 'loggedIn', what)
      assert.equal(output.replaced, existing, `${what}: the outcome names the login it replaced`)
    }
  }
  const device = start(deviceLoginInput(), { checkExisting: [found(mine({ authMethod: 'device' }))], verifyExisting: [works] })
  assert.is(((await device.done()) as { kind: string }).kind, 'alreadyLoggedIn')
  assert.equal(device.fx.calls.requestCode, [])
})

test('device: the effects get what this login is (method, process name, process id, host)', async () => {
  const login = start(deviceLoginInput({ name: 'rna-seq', processId: 'local-abc' }), { pollToken: [approved] })
  await login.advance(5_000)
  await login.done()
  assert.equal(login.fx.calls.checkExisting, [{ server: 'https://auth.omicos.cn', method: 'device' }])
  assert.equal(login.fx.calls.requestCode, [{ server: 'https://auth.omicos.cn', name: 'rna-seq', hostname: 'hpc-login-1' }])
  assert.equal(login.fx.calls.identify, [{ server: 'https://auth.omicos.cn', userToken: secrets.userToken }])
  assert.equal(login.fx.calls.lockCredentials, [{ server: 'https://auth.omicos.cn' }])
  assert.equal(login.fx.calls.registerProcess, [{ server: 'https://auth.omicos.cn', userToken: secrets.userToken, processId: 'local-abc', name: 'rna-seq' }])
  assert.equal(login.fx.calls.persist, [
    {
      server: 'https://auth.omicos.cn',
      authMethod: 'device',
      session: { userToken: secrets.userToken, userTokenExpiresAt: EPOCH + 5_000 + 30 * 86_400_000, refreshToken: secrets.refreshToken, account },
      process: { ...registration(EPOCH + 5_000), name: 'rna-seq' },
      loggedInAt: EPOCH + 5_000,
    },
  ])
  assert.equal(login.fx.calls.revokeTokens, [])
  const output = (await login.done()) as { processName: string; authMethod: string }
  assert.equal([output.processName, output.authMethod], ['rna-seq', 'device'])
  noSecretLeft(login)
  const noHost = start(deviceLoginInput({ hostname: undefined }), {})
  await settle()
  assert.equal(noHost.fx.calls.requestCode, [{ server: 'https://auth.omicos.cn', name: 'omics', hostname: '' }])
})

test('password: the grant options reach the child; canPrompt defaults to false', async () => {
  const login = start(passwordLoginInput({ password: null, canPrompt: undefined }), {})
  const output = await failedOf(login)
  assert.equal([output.failure.kind, output.failure.reason, output.issuedRevoked, output.resumableUntil], ['usage', 'needsTerminal', null, null])
  const limited = start(passwordLoginInput({ canPrompt: true, passwordGrant: { maxAttempts: 1 } }), {
    authenticate: [{ ok: { kind: 'invalid', serverText: null } }],
  })
  assert.is((await failedOf(limited)).failure.reason, 'wrongCredentials')
  assert.equal(limited.fx.calls.promptCredentials, [], 'one try allowed: not asked again')
  noSecretLeft(limited)
  const prompted = start(passwordLoginInput({ email: null, password: null, canPrompt: true }), {
    promptCredentials: [{ ok: { email: 'you@example.com', password: secrets.password } }],
  })
  assert.is(((await prompted.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(prompted.fx.calls.promptCredentials, [{ email: null, attempt: 1, lastError: null }])
})

test('the grant fails: failed with its failure, nothing issued so nothing revoked', async () => {
  const refused = start(passwordLoginInput(), { authenticate: [{ ok: { kind: 'invalid', serverText: null } }] })
  const output = await failedOf(refused)
  assert.equal(output, {
    kind: 'failed',
    failure: failure('wrongCredentials', { serverText: null, attempts: 1 }),
    resumableUntil: null,
    issuedRevoked: null,
    markedReplaced: [],
  })
  assert.equal(refused.states, ['checkingExisting', 'passwordGrant', 'failed'])
  assert.equal(refused.fx.calls.identify, [])
  noSecretLeft(refused)
  const denied = start(deviceLoginInput(), { pollToken: [({ now }) => ({ ok: { kind: 'denied', at: now } })] })
  await denied.advance(5_000)
  const deniedOutput = await failedOf(denied)
  assert.equal([deniedOutput.failure.kind, deniedOutput.failure.reason, deniedOutput.resumableUntil], ['refused', 'pairingDenied', null])
  noSecretLeft(denied)
  const noCode = start(deviceLoginInput(), { requestCode: [{ fail: unreachable() }] })
  assert.equal([(await failedOf(noCode)).failure.kind, (await failedOf(noCode)).resumableUntil], ['unreachable', null])
})

for (const [step, script, batches] of [
  ['identify', { identify: [{ fail: new StubEffectError('bad_response', 'the account endpoint sent HTML') }] }, issued],
  ['lockCredentials', { lockCredentials: [{ fail: new StubEffectError('local_files', 'locked by process 4242') }] }, issued],
  ['registerProcess', { registerProcess: [{ fail: unreachable() }] }, issued],
  ['persist', { persist: [{ fail: new StubEffectError('local_files', 'disk full') }] }, issuedWithProcess],
] as [string, Record<string, Answer[]>, unknown][]) {
  test(`${step} fails after the grant: the issued tokens are revoked (done, failed, or timed out), then failed`, async () => {
    const revoked = start(passwordLoginInput(), { ...script, revokeTokens: [{ ok: undefined }] })
    const output = await failedOf(revoked)
    assert.equal(output.issuedRevoked, true)
    assert.equal(output.resumableUntil, null)
    assert.equal(revoked.fx.calls.revokeTokens, [{ batches }])
    assert.equal(revoked.states.slice(-2), ['revokingIssued', 'failed'])
    assert.not.ok(revoked.states.includes('loggedIn'))
    noSecretLeft(revoked)
    const refusedRevoke = start(passwordLoginInput(), { ...script, revokeTokens: [{ fail: unreachable() }] })
    const refusedOutput = await failedOf(refusedRevoke)
    assert.equal(refusedOutput.issuedRevoked, false)
    assert.equal(refusedOutput.failure, output.failure, "the failure is the step's, not the revocation's")
    const hung = start(passwordLoginInput(), { ...script, revokeTokens: ['hang'] })
    await hung.advance(0)
    const enteredAt = hung.fx.times.revokeTokens[0]
    await hung.advance(loginDefaults.revokeTimeoutMs - 1)
    assert.is(hung.snapshot().status, 'active', 'not a millisecond sooner than the revocation timeout')
    await hung.advance(1)
    assert.is((await failedOf(hung)).issuedRevoked, false)
    assert.is(hung.clock.now() - enteredAt, 3_000)
    noSecretLeft(hung)
  })
}

test('a refused registration answer that may have rotated the process token: marked, then it and the stray token revoked', async () => {
  const refusal = {
    kind: 'refused',
    failure: failure('unusableField', { host: 'auth.omicos.cn', field: 'process_token', problem: 'controlChars' }),
    strayProcessToken: secrets.processToken,
    mayHaveRotated: true,
  }
  const login = start(passwordLoginInput({ force: true }), {
    checkExisting: [found(mine())],
    registerProcess: [{ ok: refusal }],
    markProcessReplaced: [{ ok: { marked: [files[0]] } }],
    revokeTokens: [{ ok: undefined }],
  })
  const output = await failedOf(login)
  assert.equal(login.states.slice(-4), ['registeringProcess', 'markingReplaced', 'revokingIssued', 'failed'])
  assert.equal(login.fx.calls.markProcessReplaced, [{ server: 'https://auth.omicos.cn', accountId: 'acct_42', processId: 'local-ws1' }])
  assert.equal(login.fx.calls.revokeTokens, [{ batches: issuedWithProcess }], 'the stray process token is revoked with the issued ones')
  assert.equal(output.failure, refusal.failure)
  assert.equal((output as { markedReplaced?: string[] }).markedReplaced, [files[0]])
  noSecretLeft(login)

  // A refusal that says nothing was done (4xx) marks nothing; the stray token is still revoked.
  const plain = start(passwordLoginInput(), { registerProcess: [{ ok: { ...refusal, mayHaveRotated: false } }], revokeTokens: [{ ok: undefined }] })
  await failedOf(plain)
  assert.equal(plain.fx.calls.markProcessReplaced, [])
  assert.equal(plain.fx.calls.revokeTokens, [{ batches: issuedWithProcess }])

  // An error after the request may have reached the server (a cut answer) marks too; one before it does not.
  const cut = start(passwordLoginInput(), {
    registerProcess: [{ fail: new StubEffectError('unreachable', 'connection reset', { mayHaveReachedServer: true }) }],
    markProcessReplaced: [{ fail: new StubEffectError('local_files', 'read-only') }],
    revokeTokens: [{ ok: undefined }],
  })
  const cutOutput = await failedOf(cut)
  assert.equal(cut.states.slice(-3), ['markingReplaced', 'revokingIssued', 'failed'], 'a mark that fails still revokes')
  assert.is(cutOutput.failure.kind, 'unreachable')
  assert.equal(cut.fx.calls.revokeTokens, [{ batches: issued }])
  const refusedConnection = start(passwordLoginInput(), { registerProcess: [{ fail: unreachable() }], revokeTokens: [{ ok: undefined }] })
  await failedOf(refusedConnection)
  assert.equal(refusedConnection.fx.calls.markProcessReplaced, [])
})

test('a stored login whose process token was marked replaced is logged in again, not reported as already logged in', async () => {
  const login = start(passwordLoginInput(), { checkExisting: [found(mine({ processTokenReplaced: true }))] })
  assert.is(((await login.done()) as { kind: string }).kind, 'loggedIn')
  assert.equal(login.fx.calls.verifyExisting, [])
  assert.equal(login.fx.calls.registerProcess.length, 1)
})

test('the account is another than the one asked (--email): refused with both emails, the issued tokens revoked', async () => {
  const login = start(passwordLoginInput(), { identify: [{ ok: { ...account, email: 'eve@example.com' } }], revokeTokens: [{ ok: undefined }] })
  const output = await failedOf(login)
  assert.equal(output.failure, {
    kind: 'bad_response',
    reason: 'accountMismatch',
    details: { askedEmail: 'you@example.com', answeredEmail: 'eve@example.com' },
  })
  assert.equal(login.states.slice(-3), ['identifying', 'revokingIssued', 'failed'])
  assert.equal(login.fx.calls.lockCredentials, [], 'nothing is locked, registered or written')
  assert.equal(login.fx.calls.revokeTokens, [{ batches: issued }])
  // The same account in another case is the same account.
  const cased = start(passwordLoginInput(), { identify: [{ ok: { ...account, email: 'YOU@Example.com' } }] })
  assert.is(((await cased.done()) as { kind: string }).kind, 'loggedIn')
})

test('the revocation timeout is revokeTimeoutMs when given', async () => {
  const login = start(passwordLoginInput({ revokeTimeoutMs: 500 }), { identify: [{ fail: unreachable() }], revokeTokens: ['hang'] })
  await login.advance(499)
  assert.is(login.snapshot().status, 'active')
  await login.advance(1)
  assert.is((await failedOf(login)).issuedRevoked, false)
})

test('persist replaced older tokens: revoked once the new files are safe (done, failed, timed out)', async () => {
  const replaced = [{ server: 'http://127.0.0.1:4000', tokens: ['old-user-token-aa', 'old-process-token-bb'] }]
  const persisted = { ok: { written: files, kept: [files[1]], replaced } }
  const done = start(passwordLoginInput({ force: true }), { checkExisting: [found(mine())], persist: [persisted], revokeTokens: [{ ok: undefined }] })
  const output = (await done.done()) as { kind: string; replacedRevoked: boolean | null; kept: string[]; paths: string[]; replaced: unknown }
  assert.equal([output.kind, output.replacedRevoked, output.kept, output.paths, output.replaced], ['loggedIn', true, [files[1]], files, mine()])
  assert.equal(done.fx.calls.revokeTokens, [{ batches: replaced }])
  assert.equal(done.states.slice(-3), ['persisting', 'revokingReplaced', 'loggedIn'])
  assert.equal(done.snapshot().context.replaced, [], 'the replaced tokens are forgotten')
  assert.not.ok(JSON.stringify(done.snapshot().context).includes('old-user-token-aa'))
  noSecretLeft(done)
  const failed = start(passwordLoginInput(), { persist: [persisted], revokeTokens: [{ fail: unreachable() }] })
  assert.equal(((await failed.done()) as { kind: string; replacedRevoked: boolean }).replacedRevoked, false)
  assert.is(((await failed.done()) as { kind: string }).kind, 'loggedIn')
  const hung = start(passwordLoginInput({ revokeTimeoutMs: 1_000 }), { persist: [persisted], revokeTokens: ['hang'] })
  await hung.advance(999)
  assert.is(hung.snapshot().status, 'active')
  await hung.advance(1)
  assert.equal(((await hung.done()) as { kind: string; replacedRevoked: boolean }).replacedRevoked, false)
  assert.is(((await hung.done()) as { kind: string }).kind, 'loggedIn')
  const empty = start(passwordLoginInput(), { persist: [{ ok: { written: files, kept: [], replaced: [{ server: 'https://auth.omicos.cn', tokens: [] }] } }] })
  assert.equal(((await empty.done()) as { replacedRevoked: boolean | null }).replacedRevoked, null, 'nothing to revoke: not asked')
  assert.equal(empty.fx.calls.revokeTokens, [])
})

// A cancel in each state of the login: how it ends, and whether the outcome says it can be
// resumed (only a pairing that waits for approval can: its code is still alive).
const cancelCases: [string, LoginInput, Record<string, Answer[]>, number, { states: string[]; resumable: boolean; revoked: boolean | null }][] = [
  ['checkingExisting', passwordLoginInput(), { checkExisting: ['hang'] }, 0, { states: ['checkingExisting', 'failed'], resumable: false, revoked: null }],
  [
    'passwordGrant',
    passwordLoginInput(),
    { authenticate: ['hang'] },
    0,
    { states: ['checkingExisting', 'passwordGrant', 'failed'], resumable: false, revoked: null },
  ],
  [
    'deviceGrant: requesting the code',
    deviceLoginInput(),
    { requestCode: ['hang'] },
    0,
    { states: ['checkingExisting', 'deviceGrant', 'failed'], resumable: false, revoked: null },
  ],
  // The grant tells the login its pairing again after every answer (the polls so far).
  [
    'deviceGrant: waiting',
    deviceLoginInput(),
    { pollToken: [pending] },
    7_000,
    { states: ['checkingExisting', 'deviceGrant', 'deviceGrant', 'deviceGrant', 'failed'], resumable: true, revoked: null },
  ],
  [
    'deviceGrant: polling',
    deviceLoginInput(),
    { pollToken: ['hang'] },
    5_000,
    { states: ['checkingExisting', 'deviceGrant', 'deviceGrant', 'failed'], resumable: true, revoked: null },
  ],
  [
    'identifying',
    deviceLoginInput(),
    { pollToken: [approved], identify: ['hang'], revokeTokens: [{ ok: undefined }] },
    5_000,
    { states: ['checkingExisting', 'deviceGrant', 'deviceGrant', 'identifying', 'revokingIssued', 'failed'], resumable: false, revoked: true },
  ],
  [
    'locking',
    passwordLoginInput(),
    { lockCredentials: ['hang'], revokeTokens: [{ ok: undefined }] },
    0,
    { states: ['checkingExisting', 'passwordGrant', 'identifying', 'locking', 'revokingIssued', 'failed'], resumable: false, revoked: true },
  ],
  // The registration may have reached the server: the stored process token is marked as replaced first.
  [
    'registeringProcess',
    deviceLoginInput(),
    { pollToken: [approved], registerProcess: ['hang'], markProcessReplaced: [{ ok: { marked: [] } }], revokeTokens: [{ fail: unreachable() }] },
    5_000,
    {
      states: ['checkingExisting', 'deviceGrant', 'deviceGrant', 'identifying', 'locking', 'registeringProcess', 'markingReplaced', 'revokingIssued', 'failed'],
      resumable: false,
      revoked: false,
    },
  ],
]
for (const [where, input, script, after, expected] of cancelCases) {
  test(`user.cancel in ${where}: cancelled, resumable ${expected.resumable}, issued tokens revoked ${expected.revoked}`, async () => {
    const login = start(input, script)
    await login.advance(after)
    assert.is(login.snapshot().status, 'active')
    login.actor.send({ type: 'user.cancel' })
    const output = await failedOf(login)
    assert.equal(output.failure, failure('cancelled', { flow: 'login' }))
    assert.is(output.resumableUntil, expected.resumable ? EPOCH + 600_000 : null)
    assert.is(output.issuedRevoked, expected.revoked)
    assert.equal(login.states, expected.states)
    assert.equal(login.clock.timers(), [], 'no timer left')
    const polls = login.fx.calls.pollToken.length
    await login.advance(600_000)
    assert.is(login.fx.calls.pollToken.length, polls, 'nothing polled after the cancel')
    noSecretLeft(login)
  })
}

for (const [where, script] of [
  ['persisting', { persist: ['hang'] }],
  [
    'revokingReplaced',
    { persist: [{ ok: { written: files, kept: [], replaced: [{ server: 'https://auth.omicos.cn', tokens: ['old-token-1'] }] } }], revokeTokens: ['hang'] },
  ],
  ['revokingIssued', { identify: [{ fail: unreachable() }], revokeTokens: ['hang'] }],
] as [string, Record<string, Answer[]>][]) {
  test(`user.cancel in ${where} is ignored: the step finishes`, async () => {
    const login = start(passwordLoginInput(), script)
    await login.advance(0)
    assert.is(login.states.at(-1), where)
    login.actor.send({ type: 'user.cancel' })
    await settle()
    assert.is(login.states.at(-1), where)
    assert.is(login.snapshot().status, 'active')
    assert.is(login.snapshot().context.error?.kind === 'cancelled', false)
  })
}

/** A device login run to its first pending answer, persisted through JSON (as the CLI keeps it). */
const persistedDeviceLogin = async () => {
  const first = start(deviceLoginInput(), { pollToken: [pending] })
  await first.advance(5_000)
  const persisted = JSON.parse(JSON.stringify(first.actor.getPersistedSnapshot()))
  first.actor.stop()
  return persisted
}

const resumeAt = (persisted: unknown, at: number, script: Record<string, Answer[]>) => {
  const clock = new TestClock(at)
  const fx = scripted(
    {
      checkExisting: [],
      promptCredentials: [],
      authenticate: [],
      requestCode: [],
      pollToken: [],
      identify: [{ ok: account }],
      lockCredentials: [{ ok: undefined }],
      registerProcess: [({ now }) => ({ ok: registration(now) })],
      persist: [{ ok: { written: files, kept: [], replaced: [] } }],
      revokeTokens: [],
      ...script,
    },
    clock,
  )
  return { ...run(loginWith(fx.actors), {}, { input: deviceLoginInput(), clock, snapshot: persisted }), fx }
}

test('resume a persisted device login before the deadline: the same code, polled at once (its poll was due long ago), logged in', async () => {
  const persisted = await persistedDeviceLogin()
  const login = resumeAt(persisted, EPOCH + 120_000, { pollToken: [approved] })
  await settle()
  login.actor.send({ type: 'app.resume', now: EPOCH + 120_000 })
  await login.advance(0)
  assert.equal(login.fx.times.pollToken, [EPOCH + 120_000])
  assert.equal(login.fx.calls.pollToken, [{ server: 'https://auth.omicos.cn', deviceCode: secrets.deviceCode }])
  assert.equal(await login.done(), loggedIn('device'))
  assert.equal(login.fx.calls.checkExisting, [])
  assert.equal(login.fx.calls.requestCode, [])
  assert.is((login.fx.calls.persist[0] as { loggedInAt: number }).loggedInAt, EPOCH + 120_000)
  noSecretLeft(login)
})

test('resume a persisted device login after the deadline: failed (expired), nothing polled', async () => {
  const persisted = await persistedDeviceLogin()
  const login = resumeAt(persisted, EPOCH + 700_000, {})
  await settle()
  login.actor.send({ type: 'app.resume', now: EPOCH + 700_000 })
  const output = await failedOf(login)
  assert.equal([output.failure.kind, output.failure.reason, output.resumableUntil], ['expired', 'pairingExpired', null])
  assert.equal(login.fx.calls.pollToken, [])
  noSecretLeft(login)
})

test('app.resume outside the device grant changes nothing', async () => {
  const login = start(passwordLoginInput(), { identify: ['hang'] })
  await settle()
  login.actor.send({ type: 'app.resume', now: EPOCH + 1 })
  await settle()
  assert.is(login.states.at(-1), 'identifying')
})

test('emails that differ by more than case are other accounts (ß is not ss)', async () => {
  const login = start(passwordLoginInput({ email: 'strasse@example.com' }), {
    checkExisting: [found(mine({ email: 'STRAßE@example.com' }))],
    identify: [{ ok: { ...account, email: 'strasse@example.com' } }],
  })
  assert.is(((await login.done()) as { kind: string }).kind, 'loggedIn')
})

test('only tokens the server issued are revoked: no refresh token, none sent', async () => {
  for (const refreshToken of [null, '']) {
    const login = start(passwordLoginInput(), {
      authenticate: [({ now }) => ({ ok: { kind: 'granted', tokens: { ...tokens(now), refreshToken } } })],
      identify: [{ fail: unreachable() }],
      revokeTokens: [{ ok: undefined }],
    })
    await login.done()
    assert.equal(login.fx.calls.revokeTokens, [{ batches: [{ server: 'https://auth.omicos.cn', tokens: [secrets.userToken] }] }])
  }
})

test('replaced tokens in any batch are revoked, every batch as persist gave it', async () => {
  const replaced = [
    { server: 'https://auth.omicos.cn', tokens: [] },
    { server: 'http://127.0.0.1:4000', tokens: ['old-token-1'] },
  ]
  const login = start(passwordLoginInput(), { persist: [{ ok: { written: files, kept: [], replaced } }], revokeTokens: [{ ok: undefined }] })
  assert.is(((await login.done()) as { replacedRevoked: boolean }).replacedRevoked, true)
  assert.equal(login.fx.calls.revokeTokens, [{ batches: replaced }])
})

test('provideLogin hands each grant its own effects', async () => {
  const clock = new TestClock(EPOCH)
  const fx = scripted(
    {
      checkExisting: [({ now }) => ({ ok: { existing: null, at: now } })],
      promptCredentials: [{ ok: { email: 'you@example.com', password: secrets.password } }],
      authenticate: [({ now }) => ({ ok: { kind: 'granted', tokens: tokens(now) } })],
      requestCode: [],
      pollToken: [],
      identify: [{ ok: account }],
      lockCredentials: [{ ok: undefined }],
      registerProcess: [({ now }) => ({ ok: registration(now) })],
      persist: [{ ok: { written: files, kept: [], replaced: [] } }],
      revokeTokens: [],
    },
    clock,
  )
  const login = run(provideLogin(fx.actors as unknown as LoginEffects), {}, { input: passwordLoginInput({ password: null, canPrompt: true }), clock })
  assert.equal(await login.done(), loggedIn('password'))
  assert.is(fx.calls.promptCredentials.length, 1)
  const device = scripted(
    {
      checkExisting: [({ now }) => ({ ok: { existing: null, at: now } })],
      promptCredentials: [],
      authenticate: [],
      requestCode: [({ now }) => ({ ok: deviceAuthorization(now) })],
      pollToken: [({ now }) => ({ ok: { kind: 'granted', tokens: tokens(now), at: now } })],
      identify: [{ ok: account }],
      lockCredentials: [{ ok: undefined }],
      registerProcess: [({ now }) => ({ ok: registration(now) })],
      persist: [{ ok: { written: files, kept: [], replaced: [] } }],
      revokeTokens: [],
    },
    clock,
  )
  const paired = run(provideLogin(device.actors as unknown as LoginEffects), {}, { input: deviceLoginInput(), clock })
  await paired.advance(5_000)
  assert.equal(await paired.done(), loggedIn('device'))
})

test.run()
