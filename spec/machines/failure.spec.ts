// How an effect's rejection becomes a machine's failure, and what a missing effect says.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createActor, toPromise, type AnyActorLogic } from 'xstate'
import {
  described,
  deviceGrantMachine,
  effectFailure,
  failure,
  FAILURE_REASONS,
  isFailureReason,
  loginMachine,
  logoutMachine,
  mayHaveReachedServer,
  notProvided,
  passwordGrantMachine,
  REASON_KIND,
  statusMachine,
  toFailure,
  type FailureKind,
  type FailureReason,
} from '../../machines/index.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { NODE_REASON_KIND } from '../../machines/node-reasons.js'
import { NODE_REASON_KIND as BROWSER_NODE_REASON_KIND } from '../../machines/node-reasons.browser.js'
import { withTimeout } from '../support/machine-harness.js'

test('failure(): the kind comes from the reason, the details as given', () => {
  assert.equal(failure('pairingDenied', {}), { kind: 'refused', reason: 'pairingDenied', details: {} })
  assert.equal(failure('tls', { host: 'a.example', code: 'CERT_HAS_EXPIRED', plainHttp: false, mayHaveReachedServer: false }), {
    kind: 'unreachable',
    reason: 'tls',
    details: { host: 'a.example', code: 'CERT_HAS_EXPIRED', plainHttp: false, mayHaveReachedServer: false },
  })
  assert.equal(failure('pairingExpired', {}).kind, 'expired')
  assert.equal(failure('cancelled', { flow: 'login' }).kind, 'cancelled')
  assert.equal(described('local_files', 'locked by 42'), { kind: 'local_files', reason: 'described', details: { text: 'locked by 42' } })
})

// The kind of a reason is its exit code in the CLI and what a front end switches on: a reason
// that moves to another kind is a change every front end sees, so each is written here.
test('the kind of every reason, grouped as the exit codes are', () => {
  const byKind: Record<FailureKind, FailureReason[]> = {
    usage: ['needsTerminal', 'wrongServer', 'unusableAddress', 'noEndpoints', 'unusableProcessId'],
    unreachable: ['network', 'timeout', 'revocationTimeout'],
    refused: [
      'wrongCredentials',
      'rateLimited',
      'pairingDenied',
      'pairingCodeUnusable',
      'pairingRequestsLimited',
      'renewRejected',
      'loginRejected',
      'registrationUnauthorized',
    ],
    expired: ['pairingExpired'],
    bad_response: [
      'serverRefused',
      'registrationServerError',
      'registrationRefused',
      'registrationNotJson',
      'registrationField',
      'registrationProcessId',
      'processTokenExpired',
      'tokenTypeNotBearer',
      'tokenTooLong',
      'renewAnswerRefused',
      'renewAnswerRefusedSpent',
      'redirect',
      'tooLarge',
      'notJson',
      'notObject',
      'retryAfterTooLong',
      'unusableField',
      'unusableTokenResponse',
      'unusableExpiry',
      'issuerMismatch',
      'endpointOffOrigin',
      'noMetadata',
      'metadataNotObject',
      'notAdvertised',
      'noDeviceAuthorization',
      'noPasswordLogin',
      'accountMismatch',
      'accountEmailUnusable',
      'tokenRejectedAtOnce',
      'noTokenResponse',
    ],
    local_files: ['storedLoginGone', 'storageRefused'],
    internal: ['effectException'],
    cancelled: ['cancelled'],
  }
  // What Node's connection codes say (effects/client/connection-codes.ts), and a proxy.
  const connection: Record<string, string[]> = {
    unreachable: ['dns', 'connectionRefused', 'tls', 'proxy'],
    bad_response: ['malformedHttp', 'answerCutShort'],
  }
  // What the Node effects found (effects/node/): the environment, --password-stdin, the login files.
  const node: Record<string, string[]> = {
    usage: ['unusableProxy', 'unusableCaBundle', 'passwordStdin'],
    refused: ['renewalLost'],
    unreachable: ['revocationsKept'],
    local_files: ['fileGone', 'removedWhileUsed', 'renewalInFlight'],
  }
  // What the credential store found (effects/store/): its home and workspace, its files and locks.
  const store: Record<string, string[]> = {
    usage: ['fileNoHome', 'workspaceUnusable'],
    local_files: ['fileUnsafe', 'fileIo', 'fileInvalid', 'lockHeld', 'lockLost', 'lockPairing'],
  }
  const listed = [...Object.entries(byKind), ...Object.entries(connection), ...Object.entries(node), ...Object.entries(store)].flatMap(([kind, reasons]) =>
    reasons.map((reason) => [reason, kind]),
  )
  assert.equal(Object.fromEntries(listed), REASON_KIND)
  for (const [reason, kind] of listed) assert.is(failure(reason as Exclude<FailureReason, 'described'>, {} as never).kind, kind, reason)
  assert.equal(FAILURE_REASONS, [...Object.keys(REASON_KIND), 'described'])
  // Node's connection codes', the Node effects' and the store's reasons, and only those, are the table a browser bundle leaves out.
  const nodeOnly = [...Object.values(connection), ...Object.values(node), ...Object.values(store)].flat()
  assert.equal(Object.keys(NODE_REASON_KIND).sort(), nodeOnly.sort())
  assert.equal(BROWSER_NODE_REASON_KIND, {})
})

test('no machine and no runtime-neutral effect a browser bundle takes gives a reason of Node: it has no kind for it', () => {
  // connection-codes.ts is the Node half of a pair a browser bundle swaps (package.json `browser`).
  const swapped = ['failure.ts', 'node-reasons.ts', 'node-reasons.browser.ts', 'connection-codes.ts']
  const sources = ['machines', join('effects', 'client')].flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.ts') && !swapped.includes(name))
      .map((name) => [join(dir, name), readFileSync(join(dir, name), 'utf8')] as const),
  )
  for (const reason of Object.keys(NODE_REASON_KIND)) {
    // Given: failure('fileIo', …), engineError('tls', …), or a reason written as a value.
    const gives = new RegExp(`(failure|engineError)\\(\\s*['"\`]${reason}['"\`]|reason: ['"\`]${reason}['"\`]`)
    for (const [file, text] of sources) assert.not.ok(gives.test(text), `${file} gives ${reason}`)
  }
})

test('isFailureReason() and mayHaveReachedServer(): reasons of the table, and requests that may have landed', () => {
  for (const reason of FAILURE_REASONS) assert.ok(isFailureReason(reason), reason)
  for (const other of ['ownCode', '', 'toString', 42, null, undefined]) assert.not.ok(isFailureReason(other), String(other))
  const reset = (reached: boolean) => failure('network', { host: 'a.example', code: 'ECONNRESET', status: null, mayHaveReachedServer: reached })
  assert.ok(mayHaveReachedServer(reset(true)))
  assert.not.ok(mayHaveReachedServer(reset(false)))
  assert.not.ok(mayHaveReachedServer(failure('pairingDenied', {})))
})

test('toFailure(): an error with a reason and details keeps them; one with a kind only is a line as worded; anything else is a bad response', () => {
  const engine = new EngineError(failure('tls', { host: 'a.example', code: 'EPROTO', plainHttp: false, mayHaveReachedServer: false }))
  assert.equal(toFailure(engine), {
    kind: 'unreachable',
    reason: 'tls',
    details: { host: 'a.example', code: 'EPROTO', plainHttp: false, mayHaveReachedServer: false },
  })
  assert.is(engine.message, 'tls')
  const worded = new EngineError('local_files', 'locked by 42')
  assert.equal(toFailure(worded), described('local_files', 'locked by 42'))
  assert.is(worded.message, 'locked by 42')
  const typed = Object.assign(new Error('locked by 42'), { kind: 'local_files' })
  assert.equal(toFailure(typed), described('local_files', 'locked by 42'))
  // A reason without its details is a code the raiser gave its own line.
  assert.equal(toFailure(Object.assign(new Error('x'), { kind: 'unreachable', reason: 'tls' })), described('unreachable', 'x', 'tls'))
  assert.equal(toFailure(Object.assign(new Error('x'), { kind: 'local_files', reason: 'ownCode', details: {} })), described('local_files', 'x', 'ownCode'))
  assert.equal(toFailure(new EngineError('local_files', 'in flight', { reason: 'ownCode' })), described('local_files', 'in flight', 'ownCode'))
  assert.equal(toFailure({ kind: 'usage', message: 42 }), described('usage', '42'))
  assert.equal(toFailure({ kind: 'usage' }), described('usage', 'undefined'))
  // A reason whose details are missing or not an object, or a `described` without its text, is a line as worded.
  assert.equal(toFailure(Object.assign(new Error('m'), { kind: 'unreachable', reason: 'tls', details: 'x' })), described('unreachable', 'm', 'tls'))
  assert.equal(toFailure({ kind: 'local_files', reason: 'described', details: { text: 'kept as it was' } }), described('local_files', 'kept as it was'))
  assert.equal(toFailure({ kind: 'local_files', reason: 'described', details: { code: 'x' }, message: 'm' }), described('local_files', 'm', 'described'))
  assert.equal(toFailure({ kind: 'local_files', reason: 'described', details: null, message: 'm' }), described('local_files', 'm', 'described'))
  assert.equal(toFailure({ kind: 'usage', reason: 7, message: 'm' }), described('usage', 'm'))
  assert.equal(toFailure({ kind: 'usage', reason: 'toString', details: {}, message: 'm' }), described('usage', 'm', 'toString'))
  // Anything else is the effect's own bug, not a server's answer: kind internal (exit 70).
  const bug = (message: string, effect: string | null = null) => failure('effectException', { effect, message })
  assert.equal(toFailure(new Error('boom')), bug('boom'))
  assert.equal(toFailure(new Error('stop'), 'pollToken'), bug('stop', 'pollToken'))
  assert.is(toFailure(new TypeError('x is not a function')).kind, 'internal')
  assert.equal(toFailure('a string'), bug('a string'))
  assert.equal(toFailure({ message: 'no kind' }), bug('[object Object]'))
  assert.equal(toFailure(null), bug('null'))
  assert.equal(toFailure(undefined), bug('undefined'))
  // The id of the invocation that rejected is read from its error event; another event names none.
  assert.equal(effectFailure({ type: 'xstate.error.actor.persist', error: new Error('disk') }), bug('disk', 'persist'))
  assert.equal(effectFailure({ type: 'other', error: new Error('disk') }), bug('disk'))
})

test('notProvided(): names the effect and how to provide it', async () => {
  const error = await notProvided('persist')().catch((e: unknown) => e)
  assert.instance(error, Error)
  assert.is((error as Error).message, 'the "persist" effect was not provided: pass it with machine.provide({ actors })')
})

// Every effect placeholder of every machine names itself when it runs unprovided.
for (const machine of [loginMachine, passwordGrantMachine, deviceGrantMachine, logoutMachine, statusMachine]) {
  test(`${machine.id}: every unprovided effect names itself`, async () => {
    const actors = (machine.implementations as { actors: Record<string, AnyActorLogic> }).actors
    for (const [name, logic] of Object.entries(actors)) {
      if ('config' in (logic as object)) continue // a child machine, not an effect
      const actor = createActor(logic, { input: {} })
      actor.subscribe({ error: () => {} })
      actor.start()
      const error = await withTimeout(
        toPromise(actor).then(
          () => null,
          (e: unknown) => e,
        ),
        1_000,
        name,
      )
      assert.match(String((error as Error)?.message), `the "${name}" effect was not provided`)
    }
  })
}

test.run()
