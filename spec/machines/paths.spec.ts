// Every state and every transition of every machine, reached by paths that xstate/graph
// generates and replayed on real actors (see spec/support/machine-paths.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { AnyMachineSnapshot } from 'xstate'
import { deviceLogin, logout, passwordLogin, status, type PasswordLoginInput, type StatusReport } from '../../machines/index.js'
import {
  account,
  deviceAuthorization,
  deviceLoginInput,
  existingLogin,
  files,
  passwordLoginInput,
  registration,
  secrets,
  session,
  StubEffectError,
  unreachable,
} from '../support/machine-harness.js'
import { cover, type Model } from '../support/machine-paths.js'

const localFiles = new StubEffectError('local_files', 'cloud_login.json is a symlink: remove it and try again')
const badResponse = new StubEffectError('bad_response', 'the server answered with HTML')
const cancelled = new StubEffectError('cancelled', 'login cancelled')
const cancel = () => [{ type: 'user.cancel' }]

const passwordInput = (overrides: Partial<PasswordLoginInput>) => passwordLoginInput({ canPrompt: true, ...overrides })

const password: Model = {
  name: 'password-login',
  machine: passwordLogin,
  inputs: [
    passwordInput({}),
    passwordInput({ email: null, password: null }),
    passwordInput({ canPrompt: false }),
    passwordInput({ canPrompt: false, password: null }),
    passwordInput({ canPrompt: false, force: true }),
  ],
  outputs: {
    checkExisting: () => [null, existingLogin],
    promptCredentials: () => [{ email: 'you@example.com', password: secrets.password }],
    authenticate: () => [
      { kind: 'granted', session },
      { kind: 'invalid', message: 'wrong email or password' },
      { kind: 'rateLimited', retryAfterMs: 2_000, message: 'too many failed logins' },
      { kind: 'rateLimited', retryAfterMs: 60_000, message: 'too many failed logins' },
    ],
    registerProcess: () => [registration(0)],
    persist: () => [{ paths: files }],
  },
  errors: {
    checkExisting: () => [localFiles],
    promptCredentials: () => [cancelled],
    authenticate: () => [unreachable(), badResponse],
    registerProcess: () => [badResponse],
    persist: () => [localFiles],
  },
  userEvents: cancel,
  project: ({ context }) => ({ attempts: context.attempts, retries: context.retries, error: context.error?.kind }),
}

const pollAnswers = ({ context }: AnyMachineSnapshot) => {
  const at = context.now + context.waitMs
  return [
    { kind: 'pending', at },
    // slow_down grows the interval for good: two of them are enough to show it
    ...(context.intervalMs < 15_000 ? [{ kind: 'slowDown', at }] : []),
    { kind: 'denied', at },
    { kind: 'expired', at },
    { kind: 'granted', session, at },
    { kind: 'pending', at: context.deadline },
  ]
}

const device: Model = {
  name: 'device-login',
  machine: deviceLogin,
  inputs: [
    deviceLoginInput(),
    deviceLoginInput({ force: true }),
  ],
  outputs: {
    checkExisting: () => [null, existingLogin],
    requestCode: () => [deviceAuthorization(1_000)],
    pollToken: pollAnswers,
    registerProcess: ({ context }) => [registration(context.now)],
    persist: () => [{ paths: files }],
  },
  errors: {
    checkExisting: () => [localFiles],
    requestCode: () => [unreachable()],
    // connection failures back off; two in a row are enough to show the growth
    pollToken: ({ context }) => [...(context.failures < 2 ? [unreachable()] : []), badResponse],
    registerProcess: () => [unreachable()],
    persist: () => [localFiles],
  },
  userEvents: (snapshot) => [
    ...cancel(),
    ...(snapshot.matches('awaitingApproval')
      ? [
          { type: 'app.resume', now: snapshot.context.now + 1_000 },
          { type: 'app.resume', now: snapshot.context.deadline },
        ]
      : []),
  ],
  project: ({ context }) => ({ intervalMs: context.intervalMs, failures: context.failures, error: context.error?.kind }),
}

const current = { accountId: 'acct_42', email: 'you@example.com', server: 'https://auth.omicos.cn', tokens: [secrets.userToken] }

const logoutModel: Model = {
  name: 'logout',
  machine: logout,
  inputs: [{}],
  outputs: {
    resolveAccount: () => [null, current],
    revokeTokens: () => [undefined],
    deleteFiles: () => [{ removed: files }],
  },
  errors: {
    resolveAccount: () => [localFiles],
    revokeTokens: () => [unreachable()],
    deleteFiles: () => [localFiles],
  },
  userEvents: () => [],
  project: ({ context }) => ({ revoked: context.revoked, error: context.error?.kind }),
}

const report: StatusReport = {
  loggedIn: true,
  configPath: '/home/you/.omicos/cloud_login.json',
  activePath: '/home/you/.omicos/cloud_login.json',
  activeSource: 'global',
  email: 'you@example.com',
  server: 'https://auth.omicos.cn',
}

const statusModel: Model = {
  name: 'status',
  machine: status,
  inputs: [{ online: false }, { online: true }],
  outputs: {
    readStatus: () => [report, { ...report, loggedIn: false, activePath: null, activeSource: null }],
    verifyOnline: () => [{ kind: 'valid', account }, { kind: 'invalid', message: 'the login was revoked' }],
  },
  errors: {
    readStatus: () => [localFiles],
    verifyOnline: () => [unreachable()],
  },
  userEvents: () => [],
  project: ({ context }) => ({ online: context.online, error: context.error?.kind }),
}

for (const model of [password, device, logoutModel, statusModel]) {
  test(`${model.name}: generated paths reach every state and take every transition`, async () => {
    const result = await cover(model)
    console.log(result.line)
    assert.equal(result.failures.slice(0, 3), [], `${result.failures.length} replays went astray`)
    assert.equal(result.missingStates, [], 'states never reached')
    assert.equal(result.missingTransitions, [], 'transitions never taken')
    assert.ok(result.paths > 0)
  })
}

test.run()
