// Runs the machines with scripted effects on the test kit's clock and driver
// (omicos-auth/testing): no network, no files, no real time. Shared by the scenario specs, the
// path-coverage spec and the snapshot files.
import {
  type Actor,
  createActor,
  fromPromise,
  type PromiseActorLogic,
  toPromise,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type AnyStateNode,
  type AnyTransitionDefinition,
} from 'xstate'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { failure, type Failure, type FailureKind } from '../../machines/failure.js'
import { drive, scriptEffects, TestClock, within as withTimeout, type Answer as KitAnswer } from '../../testing/index.js'
import { describeFailure } from '../../cli/failure-words.js'
import { deviceGrantMachine, loginMachine, passwordGrantMachine, type LoginInput } from '../../machines/index.js'

// --- waiting ------------------------------------------------------------------------------

/** uvu has no per-test timeout: every await on an actor goes through this (the test kit's `within`). */
export { within as withTimeout, settle, stateName, TestClock } from '../../testing/index.js'

// --- effect errors ------------------------------------------------------------------------

/** The line a person reads for a failure (cli/failure-words.ts), to assert on the words. */
export const line = (failure: Failure): string => describeFailure(failure, { again: 'omicos login' })

/**
 * What effects reject with: an Error carrying a failure kind and the line a Node effect worded;
 * with `reached`, a connection failure (reason `network`) that did or did not come after the
 * request may have reached the server.
 */
export class StubEffectError extends Error {
  readonly reason?: 'network'
  readonly details?: Failure['details']
  constructor(
    readonly kind: FailureKind,
    message: string,
    reached?: { mayHaveReachedServer: boolean },
  ) {
    super(message)
    if (reached) {
      this.reason = 'network'
      this.details = { host: 'auth.omicos.cn', code: null, status: null, ...reached }
    }
  }
}

export const unreachable = (message = 'could not reach the server (connection refused): check --server and the network') =>
  new StubEffectError('unreachable', message)

// --- scripted effects ---------------------------------------------------------------------

type AnyEffect = PromiseActorLogic<unknown, unknown>

/** One scripted answer of an effect: a value, a rejection, never answering, or one computed from the call (`({ now, input }) => …`). */
export type Answer = KitAnswer<unknown, unknown>

export interface Scripted {
  actors: Record<string, AnyEffect>
  /** every input each effect was invoked with, in order */
  calls: Record<string, unknown[]>
  /** the simulated time of every invocation, per effect */
  times: Record<string, number[]>
  /** effects invoked with no scripted answer left */
  unexpected: string[]
}

/**
 * The test kit's scripted effects (omicos-auth/testing), only those the script names: an
 * effect left out stays the machine's own placeholder, which names itself as not provided.
 */
export const scripted = (script: Record<string, Answer[]>, clock: { now(): number }): Scripted => {
  const kit = scriptEffects<Record<string, AnyEffect>>(clock, script)
  const actors = Object.fromEntries(Object.keys(script).map((name) => [name, kit.effects[name]!]))
  return { actors, calls: kit.calls, times: kit.times, unexpected: kit.unexpected as string[] }
}

// --- running ------------------------------------------------------------------------------

export interface Run {
  actor: Actor<AnyStateMachine>
  /** the test kit's clock: names each pending timer by the delayed event it delivers */
  clock: TestClock
  /** the state after every snapshot the actor emitted, first to last */
  states: string[]
  /** errors the actor reported (a bug in a machine: they should never happen) */
  errors: unknown[]
  /** moves the simulated clock on, timer by timer, letting the effects it triggers answer */
  advance: (ms: number) => Promise<void>
  /** the final output, or a rejection after the time limit */
  done: () => Promise<unknown>
  snapshot: () => AnyMachineSnapshot
}

export interface RunOptions {
  input?: unknown
  /** a persisted snapshot to restore */
  snapshot?: unknown
  clock?: TestClock
  /** called for every inspection event (used for coverage) */
  inspect?: (event: { type: string; snapshot?: unknown; _transitions?: AnyTransitionDefinition[] }) => void
}

/**
 * Starts `machine` with `actors` provided, on the test kit's clock and driver, recording every
 * state. The clock can be made first (to script effects that read it) and passed in.
 */
export const run = (machine: AnyStateMachine, actors: Record<string, unknown>, options: RunOptions = {}): Run => {
  const clock = options.clock ?? new TestClock()
  const provided = machine.provide({ actors } as never) as AnyStateMachine
  const actor = createActor(provided, {
    input: options.input,
    clock,
    ...(options.snapshot ? { snapshot: options.snapshot as never } : {}),
    ...(options.inspect ? { inspect: options.inspect as never } : {}),
  })
  const driver = drive(actor, clock)
  const outcome = toPromise(actor)
  outcome.catch(() => {}) // reported through `errors` and `done()`
  // Started at once, not through the driver: a spec reads the first states before any effect answers.
  actor.start()
  return {
    actor,
    clock,
    states: driver.states,
    errors: driver.errors,
    advance: driver.advance,
    done: () => withTimeout(outcome, 2_000, 'the machine'),
    snapshot: () => actor.getSnapshot(),
  }
}

/** The login machine with scripted actors, the grants' handed to their child machines. */
export const loginWith = (actors: Record<string, unknown>): AnyStateMachine => {
  const { reachServer, promptCredentials, authenticate, requestCode, pollToken, ...own } = actors
  const grant = (machine: AnyStateMachine, given: Record<string, unknown>) =>
    machine.provide({ actors: Object.fromEntries(Object.entries(given).filter(([, actor]) => actor !== undefined)) } as never)
  return loginMachine.provide({
    actors: {
      ...own,
      // As provideLogin: without a scripted reachServer, the server counts as reached at once.
      passwordGrant: grant(passwordGrantMachine, { reachServer: reachServer ?? fromPromise(async () => {}), promptCredentials, authenticate }),
      deviceGrant: grant(deviceGrantMachine, { requestCode, pollToken }),
    },
  } as never) as AnyStateMachine
}

/** A real epoch time to start simulated clocks at: a wait computed from 0 instead of `now` shows. */
export const EPOCH = Date.UTC(2026, 11, 2, 9, 0, 0)

// --- the shape of a machine ---------------------------------------------------------------

/** Every state node below the root. */
export const allStateNodes = (machine: AnyStateMachine): AnyStateNode[] => {
  const out: AnyStateNode[] = []
  const walk = (node: AnyStateNode) => {
    for (const child of Object.values(node.states) as AnyStateNode[]) {
      out.push(child)
      walk(child)
    }
  }
  walk(machine.root)
  return out
}

/** Every transition the definition declares: `on`, invoke onDone/onError, `after`, `always`. */
export const allTransitions = (machine: AnyStateMachine): AnyTransitionDefinition[] => {
  const out: AnyTransitionDefinition[] = []
  for (const node of [machine.root, ...allStateNodes(machine)]) {
    for (const list of node.transitions.values()) out.push(...list)
    out.push(...(node.always ?? []))
  }
  return out
}

/**
 * The same key for a transition of a machine and of its `.provide()`d copy (which has state
 * nodes of its own): source state, event, and place among that event's guarded branches.
 */
export const transitionKey = (t: AnyTransitionDefinition): string => {
  const source = t.source as AnyStateNode
  const list: AnyTransitionDefinition[] = t.eventType === '' ? (source.always ?? []) : (source.transitions.get(t.eventType) ?? [])
  return `${source.id}|${t.eventType}|${list.indexOf(t)}`
}

/** A readable name for a transition: `authenticating --xstate.done.actor.authenticate [isGranted]--> registeringProcess`. */
export const transitionName = (t: AnyTransitionDefinition): string => {
  const guard = t.guard ? ` [${typeof t.guard === 'string' ? t.guard : ((t.guard as { type?: string }).type ?? 'guard')}]` : ''
  const targets = t.target?.map((n: AnyStateNode) => n.path.join('.')).join(',') ?? '(stay)'
  return `${t.source.path.join('.') || '(root)'} --${t.eventType}${guard}--> ${targets}`
}

// --- secrets ------------------------------------------------------------------------------

/** A copy with every secret-bearing field replaced by "[redacted]" (the same rule as traces). */
import { redact } from '../../machines/redact.js'
export { redact }

export type { AnyMachineSnapshot }

// --- snapshot files -----------------------------------------------------------------------

export const snapshotDir = () => join(process.cwd(), 'spec', 'snapshots')

export const snapshotFile = (scenario: string) =>
  join(
    snapshotDir(),
    `${scenario
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')}.json`,
  )

/**
 * Compares a scenario's recorded states and final context (secrets redacted) with
 * spec/snapshots/<scenario>.json; `UPDATE_SNAPSHOTS=1` rewrites the file instead. Returns the
 * problem as text, or null when they match.
 */
export const checkSnapshot = (scenario: string, recorded: { states: string[]; context: unknown; output?: unknown }) => {
  const file = snapshotFile(scenario)
  const text = `${JSON.stringify({ scenario, ...(redact(recorded) as object) }, null, 2)}\n`
  // A missing file fails in every run: a snapshot written by the run that checks it proves nothing.
  if (process.env.UPDATE_SNAPSHOTS !== '1' && !existsSync(file)) return `${file} is missing: run with UPDATE_SNAPSHOTS=1`
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, text)
    return null
  }
  const stored = readFileSync(file, 'utf8')
  return stored === text ? null : `${file} differs from this run (UPDATE_SNAPSHOTS=1 rewrites it):\n--- stored\n${stored}--- now\n${text}`
}

// --- fixtures -----------------------------------------------------------------------------
// Every secret below is a distinct string so a test can prove none of them leaks into a
// snapshot file, a failure message or an output.

export const secrets = {
  password: 'correct-horse-battery-staple',
  wrongPassword: 'hunter2-wrong',
  userToken: 'user-token-7f3a9c',
  refreshToken: 'refresh-token-1b2c3d',
  processToken: 'process-token-5e6f70',
  deviceCode: 'device-code-GmRhmhcxhwAzkoEqiMEg',
} as const

export const account = { accountId: 'acct_42', email: 'you@example.com', tier: 'pro' }

export const session = {
  userToken: secrets.userToken,
  userTokenExpiresAt: 1_700_000_000_000 + 30 * 86_400_000,
  refreshToken: secrets.refreshToken,
  account,
}

export const registration = (at = 0) => ({
  processId: 'local-ws1',
  processToken: secrets.processToken,
  processTokenExpiresAt: at + 3_600_000,
  at,
})

export const existingLogin = {
  email: 'earlier@example.com',
  accountId: 'acct_7',
  server: 'https://auth.omicos.cn',
  processName: 'omics',
  authMethod: 'password' as const,
  path: '/home/you/.omicos/cloud_login.json',
}

export const files = ['/home/you/.omicos/cloud_login.json', '/work/ws1/.omicos/cloud_login.json']

/** An existing login as checkExisting reports it: you@example.com (cased as typed once) on the default server, 30 days left. */
export const storedLogin = (overrides: Record<string, unknown> = {}) => ({
  email: 'You@Example.com',
  accountId: 'acct_42',
  server: 'https://auth.omicos.cn',
  processName: 'omics',
  authMethod: 'password',
  userTokenExpiresAt: EPOCH + 30 * 86_400_000,
  hasRefreshToken: true,
  path: files[0],
  ...overrides,
})

/** checkExisting's answer: `login` found (or none), at the time it is asked. */
export const foundExisting =
  (login: Record<string, unknown> | null): Answer =>
  ({ now }) => ({ ok: { existing: login, at: now } })

/** A verification the server answered with a rejection of the user token. */
export const rejectedVerdict: Answer = ({ now }) => ({
  ok: { kind: 'invalid', failure: failure('loginRejected', { host: 'auth.omicos.cn', status: 401 }), at: now },
})

export const deviceAuthorization = (receivedAt = 0, overrides: Record<string, unknown> = {}) => ({
  deviceCode: secrets.deviceCode,
  userCode: 'BCDF-GHJK',
  verificationUri: 'https://auth.omicos.cn/device',
  verificationUriComplete: 'https://auth.omicos.cn/device?user_code=BCDFGHJK',
  expiresIn: 600,
  interval: 5,
  receivedAt,
  ...overrides,
})

/** A password login's input: you@example.com with the right password, no prompt, no --force. */
export const passwordLoginInput = (overrides: Partial<LoginInput> = {}): LoginInput => ({
  server: 'https://auth.omicos.cn',
  method: 'password',
  email: 'you@example.com',
  password: secrets.password,
  name: 'omics',
  processId: 'local-ws1',
  force: false,
  canPrompt: false,
  ...overrides,
})

/** A device login's input: process "omics" on hpc-login-1, no --force. */
export const deviceLoginInput = (overrides: Partial<LoginInput> = {}): LoginInput => ({
  server: 'https://auth.omicos.cn',
  method: 'device',
  email: null,
  name: 'omics',
  hostname: 'hpc-login-1',
  processId: 'local-ws1',
  force: false,
  ...overrides,
})

// --- the login machine, scripted -----------------------------------------------------------

/** The tokens a grant answers with at `at`: 30 days of user token, a refresh token. */
const loginTokens = (at: number) => ({
  userToken: secrets.userToken,
  refreshToken: secrets.refreshToken,
  userTokenExpiresAt: at + 30 * 86_400_000,
  receivedAt: at,
})

/**
 * The login machine, grants included, on a clock started at EPOCH, with effects that answer a
 * login that goes well unless `script` says otherwise (verifyExisting, renewLogin, revokeTokens
 * and the prompt answer only when scripted).
 */
const startLogin = (input: LoginInput, script: Record<string, Answer[]>) => {
  const clock = new TestClock(EPOCH)
  const fx = scripted(
    {
      checkExisting: [({ now }) => ({ ok: { existing: null, at: now } })],
      promptCredentials: [],
      authenticate: [({ now }) => ({ ok: { kind: 'granted', tokens: loginTokens(now) } })],
      requestCode: [({ now }) => ({ ok: deviceAuthorization(now) })],
      pollToken: [],
      identify: [{ ok: account }],
      lockCredentials: [{ ok: undefined }],
      registerProcess: [({ now }) => ({ ok: registration(now) })],
      markProcessReplaced: [{ ok: { marked: [] } }],
      persist: [{ ok: { written: files, kept: [], replaced: [] } }],
      revokeTokens: [],
      verifyExisting: [],
      renewLogin: [],
      ...script,
    },
    clock,
  )
  return { ...run(loginWith(fx.actors), {}, { input, clock }), fx }
}

export const loginScenario = { tokens: loginTokens, start: startLogin }
