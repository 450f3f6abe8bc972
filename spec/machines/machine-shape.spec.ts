// What front ends read of the machines besides their outputs: the machine ids (the words that
// describe the states are the docs', in machines/*.descriptions.ts), the id each invoked effect
// has in `snapshot.children` while it runs, the context a machine starts with, the name an effect
// that was not provided is reported by, and that an effect which rejects ends the flow with its
// own failure. Other teams drive and inspect these machines by exactly these names.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fromPromise, type AnyStateMachine } from 'xstate'
import {
  described,
  deviceGrantMachine,
  loginMachine,
  logoutMachine,
  passwordGrantMachine,
  statusMachine,
  type Failure,
  type StatusReport,
} from '../../machines/index.js'
import {
  account,
  allStateNodes,
  deviceAuthorization,
  deviceLoginInput,
  EPOCH,
  files,
  loginScenario,
  loginWith,
  passwordLoginInput,
  run,
  scripted,
  secrets,
  settle,
  StubEffectError,
  TestClock,
  type Answer,
  storedLogin,
  foundExisting,
  rejectedVerdict,
} from '../support/machine-harness.js'

const MACHINES: Array<[string, AnyStateMachine]> = [
  ['login', loginMachine],
  ['passwordGrant', passwordGrantMachine],
  ['deviceGrant', deviceGrantMachine],
  ['logout', logoutMachine],
  ['status', statusMachine],
]

const existing = storedLogin
const found = foundExisting
const rejected = rejectedVerdict

const report: StatusReport = {
  loggedIn: true,
  configPath: files[0],
  activePath: files[0],
  activeSource: 'global',
  email: 'you@example.com',
  accountId: 'acct_42',
  processName: 'omics',
  processId: 'local-ws1',
  server: 'https://auth.omicos.cn',
  authMethod: 'password',
  loggedInAt: '2026-12-01T09:00:00.000Z',
  userTokenExpiresAt: new Date(EPOCH + 30 * 86_400_000).toISOString(),
  logins: [],
  sweptTemps: [],
  twinsDiffer: false,
}
const current = { accountId: 'acct_42', email: 'you@example.com', server: 'https://auth.omicos.cn', tokens: [secrets.userToken, secrets.refreshToken] }

const startStatus = (script: Record<string, Answer[]>, online = true) => {
  const clock = new TestClock(EPOCH)
  const fx = scripted({ readStatus: [{ ok: report }], verifyOnline: [], renewLogin: [], ...script }, clock)
  return { ...run(statusMachine, fx.actors, { input: { online }, clock }), fx }
}
const startLogout = (script: Record<string, Answer[]>) => {
  const clock = new TestClock(EPOCH)
  const fx = scripted({ resolveAccount: [{ ok: current }], revokeTokens: [{ ok: undefined }], deleteFiles: [{ ok: { removed: files } }], ...script }, clock)
  return { ...run(logoutMachine, fx.actors, { input: {}, clock }), fx }
}

const children = (snapshot: { children: Record<string, unknown> }) => Object.keys(snapshot.children)

// --- names, and no descriptions -------------------------------------------------------------

test('each machine has its id, and carries no description: the docs modules hold them, a bundle does not', () => {
  for (const [id, machine] of MACHINES) {
    assert.is(machine.id, id)
    assert.is(machine.root.description, undefined, `${id} carries its description`)
    for (const node of allStateNodes(machine)) assert.is(node.description, undefined, `${id}: state ${node.path.join('.')} carries its description`)
  }
})

test('the context each machine starts with: nothing taken yet, nothing written, nothing revoked', async () => {
  const loginRun = loginScenario.start(passwordLoginInput(), { checkExisting: ['hang'] })
  await settle()
  const { password, ...rest } = loginRun.snapshot().context
  assert.is(password, secrets.password)
  assert.equal(rest, {
    input: (({ password: _, ...input }) => input)(passwordLoginInput()),
    existing: null,
    existingConfirmed: false,
    existingRenewed: false,
    pairing: null,
    tokens: null,
    account: null,
    process: null,
    strayProcessToken: null,
    markedReplaced: [],
    loggedInAt: null,
    written: [],
    kept: [],
    replaced: [],
    replacedRevoked: null,
    issuedRevoked: null,
    resumableUntil: null,
    error: null,
  })
  const logoutRun = startLogout({ resolveAccount: ['hang'] })
  await settle()
  assert.equal(logoutRun.snapshot().context, {
    expectedServer: null,
    revokeTimeoutMs: 3_000,
    account: null,
    revoked: false,
    revokeProblem: null,
    removed: [],
    error: null,
  })
  const statusRun = startStatus({ readStatus: ['hang'] }, false)
  await settle()
  assert.equal(statusRun.snapshot().context, { online: false, expectedServer: null, report: null, verified: null, renewed: false, error: null })
})

// --- the effects as children ---------------------------------------------------------------

test('login: while each effect runs, it is the one child, by its id', async () => {
  const seen = async (input: ReturnType<typeof passwordLoginInput>, script: Record<string, Answer[]>, state: string, child: string) => {
    const login = loginScenario.start(input, script)
    await settle()
    assert.is(login.states.at(-1), state)
    assert.equal(children(login.snapshot()), [child], state)
  }
  const replacing = ({ now }: { now: number }) => ({ ok: { written: files, kept: [], replaced: [{ server: 'https://auth.omicos.cn', tokens: ['old'] }], at: now } })
  await seen(passwordLoginInput(), { checkExisting: ['hang'] }, 'checkingExisting', 'checkExisting')
  await seen(passwordLoginInput(), { checkExisting: [found(existing())], verifyExisting: ['hang'] }, 'verifyingExisting', 'verifyExisting')
  await seen(passwordLoginInput(), { checkExisting: [found(existing())], verifyExisting: [rejected], renewLogin: ['hang'] }, 'renewingExisting', 'renewLogin')
  await seen(passwordLoginInput(), { authenticate: ['hang'] }, 'passwordGrant', 'grant')
  await seen(deviceLoginInput(), { requestCode: ['hang'] }, 'deviceGrant', 'grant')
  await seen(passwordLoginInput(), { identify: ['hang'] }, 'identifying', 'identify')
  await seen(passwordLoginInput(), { lockCredentials: ['hang'] }, 'locking', 'lockCredentials')
  await seen(passwordLoginInput(), { registerProcess: ['hang'] }, 'registeringProcess', 'registerProcess')
  await seen(passwordLoginInput(), { persist: ['hang'] }, 'persisting', 'persist')
  await seen(passwordLoginInput(), { persist: [replacing], revokeTokens: ['hang'] }, 'revokingReplaced', 'revokeReplaced')
  await seen(
    passwordLoginInput(),
    { persist: [{ fail: new StubEffectError('local_files', 'disk full') }], revokeTokens: ['hang'] },
    'revokingIssued',
    'revokeIssued',
  )
})

test('logout and status: while each effect runs, it is the one child, by its id', async () => {
  for (const [script, state, child] of [
    [{ resolveAccount: ['hang'] }, 'resolving', 'resolveAccount'],
    [{ revokeTokens: ['hang'] }, 'revoking', 'revokeTokens'],
    [{ deleteFiles: ['hang'] }, 'deleting', 'deleteFiles'],
  ] as Array<[Record<string, Answer[]>, string, string]>) {
    const run = startLogout(script)
    await settle()
    assert.is(run.states.at(-1), state)
    assert.equal(children(run.snapshot()), [child], state)
  }
  for (const [script, state, child] of [
    [{ readStatus: ['hang'] }, 'reading', 'readStatus'],
    [{ verifyOnline: ['hang'] }, 'verifying', 'verifyOnline'],
    [{ verifyOnline: [rejected], renewLogin: ['hang'] }, 'renewing', 'renewLogin'],
  ] as Array<[Record<string, Answer[]>, string, string]>) {
    const run = startStatus(script)
    await settle()
    assert.is(run.states.at(-1), state)
    assert.equal(children(run.snapshot()), [child], state)
  }
})

// --- effects not provided --------------------------------------------------------------------

/** The messages of the actor errors a run saw (inspection events), to find the one not provided. */
const actorErrors = (machine: AnyStateMachine, actors: Record<string, unknown>, input: unknown) => {
  const messages: string[] = []
  const clock = new TestClock(EPOCH)
  const started = run(machine, actors, {
    input,
    clock,
    inspect: (event) => {
      const error = (event as { event?: { type?: string; error?: unknown } }).event
      if (error?.type?.startsWith('xstate.error.actor') && error.error instanceof Error) messages.push(error.error.message)
    },
  })
  return { started, messages }
}

test('an effect the front end did not provide is named in the failure (login, logout, status, the grants)', async () => {
  const loginEffects = (script: Record<string, Answer[]>) => {
    const clock = new TestClock(EPOCH)
    return scripted(
      {
        checkExisting: [({ now }) => ({ ok: { existing: null, at: now } })],
        authenticate: [({ now }) => ({ ok: { kind: 'granted', tokens: loginScenario.tokens(now) } })],
        identify: [{ ok: account }],
        lockCredentials: [{ ok: undefined }],
        registerProcess: [({ now }) => ({ ok: { processId: 'local-ws1', processToken: secrets.processToken, expiresAt: now + 3_600_000, receivedAt: now } })],
        persist: [{ fail: new StubEffectError('local_files', 'disk full') }],
        ...script,
      },
      clock,
    ).actors
  }
  const cases: Array<[string, Record<string, Answer[]>]> = [
    ['checkExisting', {}],
    ['verifyExisting', { checkExisting: [found(existing())] }],
    ['renewLogin', { checkExisting: [found(existing())], verifyExisting: [rejected] }],
    ['identify', {}],
    ['lockCredentials', {}],
    ['registerProcess', {}],
    ['persist', {}],
    ['revokeTokens', {}],
  ]
  for (const [missing, script] of cases) {
    const actors = loginEffects(script)
    delete actors[missing]
    const { started, messages } = actorErrors(loginWith(actors), {}, passwordLoginInput())
    await started.done()
    assert.ok(
      messages.some((message) => message.includes(`"${missing}" effect was not provided`)),
      `${missing}: ${messages.join(' | ')}`,
    )
  }
  for (const [machine, script, missing, input] of [
    [logoutMachine, { resolveAccount: [{ ok: current }], deleteFiles: [{ ok: { removed: files } }] }, 'revokeTokens', {}],
    [logoutMachine, { resolveAccount: [{ ok: current }], revokeTokens: [{ ok: undefined }] }, 'deleteFiles', {}],
    [logoutMachine, {}, 'resolveAccount', {}],
    [statusMachine, {}, 'readStatus', { online: true }],
    [statusMachine, { readStatus: [{ ok: report }] }, 'verifyOnline', { online: true }],
    [statusMachine, { readStatus: [{ ok: report }], verifyOnline: [rejected] }, 'renewLogin', { online: true }],
    // The grants' own placeholders, for a front end that provides a grant's effects itself.
    [passwordGrantMachine, { promptCredentials: [] }, 'reachServer', { server: 'https://auth.omicos.cn', email: null, password: null, canPrompt: true }],
    [
      passwordGrantMachine,
      { reachServer: [{ ok: undefined }] },
      'promptCredentials',
      { server: 'https://auth.omicos.cn', email: null, password: null, canPrompt: true },
    ],
    [
      passwordGrantMachine,
      { reachServer: [{ ok: undefined }] },
      'authenticate',
      { server: 'https://auth.omicos.cn', email: 'you@example.com', password: 'pw', canPrompt: false },
    ],
    [deviceGrantMachine, {}, 'requestCode', { server: 'https://auth.omicos.cn', name: 'omics', hostname: 'lab-1' }],
    [
      deviceGrantMachine,
      { requestCode: [({ now }) => ({ ok: deviceAuthorization(now) })] },
      'pollToken',
      { server: 'https://auth.omicos.cn', name: 'omics', hostname: 'lab-1' },
    ],
  ] as Array<[AnyStateMachine, Record<string, Answer[]>, string, unknown]>) {
    const clock = new TestClock()
    const { started, messages } = actorErrors(machine, scripted(script, clock).actors, input)
    // A grant may wait before it tries again: let its timers pass.
    await started.advance(3_600_000)
    await started.done()
    assert.ok(
      messages.some((message) => message.includes(`"${missing}" effect was not provided`)),
      `${machine.id} ${missing}: ${messages.join(' | ')}`,
    )
  }
})

// --- an effect that rejects ends the flow with its failure ---------------------------------

test('login: a renewal or a grant that rejects ends the login failed, with that failure', async () => {
  const renewal = loginScenario.start(passwordLoginInput(), {
    checkExisting: [found(existing())],
    verifyExisting: [rejected],
    renewLogin: [{ fail: new StubEffectError('local_files', 'the credential file is locked') }],
  })
  const renewed = (await renewal.done()) as { kind: string; failure: Failure }
  assert.equal([renewed.kind, renewed.failure], ['failed', described('local_files', 'the credential file is locked')])
  assert.equal(renewal.states, ['checkingExisting', 'verifyingExisting', 'renewingExisting', 'failed'])
  for (const [input, grant] of [
    [passwordLoginInput(), 'passwordGrant'],
    [deviceLoginInput(), 'deviceGrant'],
  ] as const) {
    const clock = new TestClock(EPOCH)
    const fx = scripted({ checkExisting: [({ now }) => ({ ok: { existing: null, at: now } })] }, clock)
    const broken = fromPromise<never>(() => Promise.reject(new StubEffectError('bad_response', `${grant} broke`)))
    const machine = loginMachine.provide({ actors: { ...fx.actors, [grant]: broken } } as never) as AnyStateMachine
    const failed = run(machine, {}, { input, clock })
    const output = (await failed.done()) as { kind: string; failure: Failure }
    assert.equal([output.kind, output.failure], ['failed', described('bad_response', `${grant} broke`)], grant)
    assert.equal(failed.states, ['checkingExisting', grant, 'failed'])
  }
})

test('status: a renewal that rejects ends the status failed, with that failure', async () => {
  const check = startStatus({ verifyOnline: [rejected], renewLogin: [{ fail: new StubEffectError('unreachable', 'the server went away') }] })
  const output = (await check.done()) as { kind: string; failure: Failure }
  assert.equal([output.kind, output.failure], ['failed', described('unreachable', 'the server went away')])
  assert.equal(check.states, ['reading', 'verifying', 'renewing', 'failed'])
})

test.run()
