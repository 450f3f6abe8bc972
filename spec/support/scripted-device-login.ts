// A device login scripted with the package's own test kit, for the specs that drive one on a
// simulated clock (the kit's clock, resuming a kept login): everything after the grant answers
// at once, and the token endpoint answers as each spec scripts it.
import type { DeviceLoginEffects, LoginInput, PollResult } from '../../machines/index.js'
import { ok, scriptEffects, type Answer, type Script, type TestClock } from '../../testing/index.js'

export const EPOCH = Date.UTC(2026, 11, 2, 9, 0, 0)
export const DEVICE_CODE = 'device-code-scripted-0123456789'

export const input: LoginInput = {
  server: 'https://auth.example',
  method: 'device',
  name: 'omics',
  hostname: 'lab-1',
  processId: 'local-ws1',
  force: false,
  email: null,
}

export type Poll = Answer<PollResult, unknown>
export const pending: Poll = ({ now }) => ok({ kind: 'pending', at: now })
export const slowDown: Poll = ({ now }) => ok({ kind: 'slowDown', at: now })
export const granted: Poll = ({ now }) =>
  ok({ kind: 'granted', tokens: { userToken: 'user-token-scripted-0123', refreshToken: null, userTokenExpiresAt: null, receivedAt: now }, at: now })

/** The effects of a device login whose token endpoint answers `polls` in turn; `extra` replaces any effect's script. */
export const scriptDeviceLogin = (clock: TestClock, polls: Poll[], extra: Script<DeviceLoginEffects> = {}) =>
  scriptEffects<DeviceLoginEffects>(clock, {
    checkExisting: [({ now }) => ok({ existing: null, at: now })],
    requestCode: [
      ({ now }) =>
        ok({
          deviceCode: DEVICE_CODE,
          userCode: 'BCDF-GHJK',
          verificationUri: 'https://auth.example/device',
          verificationUriComplete: null,
          expiresIn: 600,
          interval: 5,
          receivedAt: now,
        }),
    ],
    pollToken: polls,
    identify: [ok({ accountId: 'acct_1', email: 'you@example.com', tier: 'free' })],
    lockCredentials: [ok(undefined)],
    registerProcess: [
      ({ input: asked, now }) => ok({ processId: asked.processId, processToken: 'process-token-scripted-01', processTokenExpiresAt: now + 3_600_000, at: now }),
    ],
    persist: [ok({ written: ['memory'], kept: [], replaced: [] })],
    ...extra,
  })
