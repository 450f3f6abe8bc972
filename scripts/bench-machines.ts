// The pure machines on a simulated clock with scripted effects (no network, no files, no real
// waiting): how many state changes per second XState gets through for a device login
// (pending × N, then approved) and a password login that succeeds, and the heap each live
// device-login actor holds while it waits for approval.
//
//   node scripts/build.mjs && node dist/scripts/bench-machines.js [--actors 1000] [--pending 20]
//        [--reps 5] [--max-seconds 120] [--json]
//
// Each repetition starts --actors actors on one shared clock and moves the clock from timer to
// timer until every actor is done; the effects answer at once. "State changes" are the
// snapshots the login actors emit (one per event handled that changed something; the grant's
// own steps run in its child actor and are not counted). Device and password repetitions
// alternate, and the report gives medians. Bounded: --reps repetitions of each, stopping early
// after --max-seconds, and a cap on clock steps per repetition.
// TypeScript, built with the rest: the machines' contracts check the scripted effects below.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { cpus } from 'node:os'
import { createActor, fromPromise, type Actor } from 'xstate'
import { provideDeviceLogin, provideLogin, type DeviceLoginEffects, type LoginEffects, type LoginInput, type TokenSet } from '../machines/index.js'
import { TestClock, type InputOfEffect, type OutputOfEffect } from '../testing/index.js'
import { account, deviceAuthorization, deviceLoginInput, files, passwordLoginInput, registration, secrets } from '../spec/support/machine-harness.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback
}
const ACTORS = Math.max(1, Math.min(100_000, option('--actors', 1000)))
const PENDING = Math.max(0, Math.min(100, option('--pending', 20))) // 100 × 5 s stays inside the code's 600 s
const REPS = Math.max(1, Math.min(100, option('--reps', 5)))
const MAX_SECONDS = Math.max(5, Math.min(1800, option('--max-seconds', 120)))
const MAX_CLOCK_STEPS = 10_000
const asJson = args.includes('--json')

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const heapUsed = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Lets every resolved promise, and the transitions it triggers, run. */
const settle = () => new Promise<void>((done) => setImmediate(done))

// --- scripted effects -----------------------------------------------------------------------
// One provided machine per scenario, shared by every actor, as a long-running front end would
// keep it: `machine.provide()` is costly (measured on its own below). Each actor's effects
// find its poll count through the actor system, which is one per actor started.
let clock = new TestClock()
const pollsBySystem = new WeakMap<object, number>()
const tokens = (at: number): TokenSet => ({
  userToken: secrets.userToken,
  refreshToken: secrets.refreshToken,
  userTokenExpiresAt: at + 30 * 86_400_000,
  receivedAt: at,
})
/** The effect `name` answering with `run`, its types those of the login's contract. */
const answer = <K extends keyof LoginEffects>(_name: K, run: (args: { system: object }) => Promise<OutputOfEffect<LoginEffects[K]>>) =>
  fromPromise<OutputOfEffect<LoginEffects[K]>, InputOfEffect<LoginEffects[K]>>(run) as unknown as LoginEffects[K]
const notScripted = <K extends keyof LoginEffects>(name: K) =>
  answer(name, async () => {
    throw new Error(`${name} is not scripted: a login that goes well does not call it`)
  })
const deviceEffects: DeviceLoginEffects = {
  checkExisting: answer('checkExisting', async () => ({ existing: null, at: clock.now() })),
  verifyExisting: notScripted('verifyExisting'),
  renewLogin: notScripted('renewLogin'),
  requestCode: answer('requestCode', async () => deviceAuthorization(clock.now())),
  pollToken: answer('pollToken', async ({ system }) => {
    const polls = pollsBySystem.get(system) ?? 0
    pollsBySystem.set(system, polls + 1)
    return polls < PENDING ? { kind: 'pending', at: clock.now() } : { kind: 'granted', tokens: tokens(clock.now()), at: clock.now() }
  }),
  identify: answer('identify', async () => account),
  lockCredentials: answer('lockCredentials', async () => undefined),
  registerProcess: answer('registerProcess', async () => registration(clock.now())),
  markProcessReplaced: answer('markProcessReplaced', async () => ({ marked: [] })),
  persist: answer('persist', async () => ({ written: files, kept: [], replaced: [] })),
  revokeTokens: notScripted('revokeTokens'),
}
const passwordEffects: LoginEffects = {
  ...deviceEffects,
  promptCredentials: notScripted('promptCredentials'),
  authenticate: answer('authenticate', async () => ({ kind: 'granted', tokens: tokens(clock.now()) })),
}
const machines = { device: provideDeviceLogin(deviceEffects), password: provideLogin(passwordEffects) }
type Kind = keyof typeof machines
const inputs: Record<Kind, LoginInput> = { device: deviceLoginInput(), password: passwordLoginInput() }

// --- one repetition ---------------------------------------------------------------------------
interface Counter {
  snapshots: number
  done: number
  loggedIn: number
  errors: number
}

/** Starts `count` actors on the clock; returns them and a counter of their snapshots. */
const startActors = (kind: Kind, count: number) => {
  const counter: Counter = { snapshots: 0, done: 0, loggedIn: 0, errors: 0 }
  const actors: Actor<(typeof machines)[Kind]>[] = []
  for (let i = 0; i < count; i++) {
    const actor = createActor(machines[kind], { input: inputs[kind], clock })
    actor.subscribe({
      next: (snapshot) => {
        counter.snapshots++
        if (snapshot.status === 'done') {
          counter.done++
          if (snapshot.output?.kind === 'loggedIn') counter.loggedIn++
        }
      },
      error: () => counter.errors++,
    })
    actors.push(actor)
  }
  for (const actor of actors) actor.start()
  return { actors, counter }
}

/** Fires every timer due at the earliest due time, then lets the effects answer; false when none is pending. */
const step = async (): Promise<boolean> => {
  const due = clock.nextDue()
  if (due === undefined) return false
  while (clock.fireNext(due));
  await settle()
  return true
}

/** Moves the clock timer by timer until every actor is done (or the step cap is reached). */
const runToEnd = async (counter: Counter, count: number) => {
  await settle()
  for (let steps = 0; steps < MAX_CLOCK_STEPS && counter.done + counter.errors < count; steps++) {
    if (!(await step())) await settle()
  }
}

const repetition = async (kind: Kind) => {
  clock = new TestClock(Date.now())
  const started = process.hrtime.bigint()
  const { counter } = startActors(kind, ACTORS)
  await runToEnd(counter, ACTORS)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (counter.loggedIn !== ACTORS || counter.errors) {
    throw new Error(`${kind}: ${counter.loggedIn} of ${ACTORS} logged in, ${counter.errors} errors`)
  }
  return { seconds, snapshots: counter.snapshots, perActor: counter.snapshots / ACTORS }
}
type Repetition = Awaited<ReturnType<typeof repetition>>

// --- heap per live actor ----------------------------------------------------------------------
// Device actors started and moved into their first wait for approval (code shown, one poll
// answered pending), then held there while the heap is measured.
const liveHeap = async () => {
  clock = new TestClock(Date.now())
  const before = heapUsed()
  const { actors, counter } = startActors('device', ACTORS)
  await settle()
  await settle()
  await step()
  await settle()
  const waiting = actors.filter((a) => {
    const snapshot = a.getSnapshot()
    return snapshot.matches('deviceGrant') && snapshot.context.pairing !== null
  }).length
  const after = heapUsed()
  const result = { waiting, bytesPerActor: (after - before) / ACTORS, snapshotsSoFar: counter.snapshots }
  for (const actor of actors) actor.stop()
  return result
}

// --- machine.provide() ------------------------------------------------------------------------
// What the Node API pays once per login (it provides the Node effects each time).
const PROVIDES = 200
const provideCost = () => {
  const started = process.hrtime.bigint()
  for (let i = 0; i < PROVIDES; i++) {
    provideDeviceLogin(deviceEffects)
    provideLogin(passwordEffects)
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / (2 * PROVIDES)
}

// --- the run ----------------------------------------------------------------------------------
const deadline = Date.now() + MAX_SECONDS * 1000
await repetition('device') // warm-up: JIT, and a check that the script ends in loggedIn
await repetition('password')
const heap = await liveHeap()
const device: Repetition[] = []
const password: Repetition[] = []
const provides: number[] = []
for (let rep = 0; rep < REPS && Date.now() < deadline; rep++) {
  device.push(await repetition('device'))
  password.push(await repetition('password'))
  provides.push(provideCost())
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const summary = (name: string, reps: Repetition[]) => ({
  scenario: name,
  reps: reps.length,
  actorsPerRep: ACTORS,
  stateChangesPerActor: reps[0].perActor,
  medianRepMs: Math.round(median(reps.map((r) => r.seconds)) * 1000),
  stateChangesPerSecond: Math.round(median(reps.map((r) => r.snapshots / r.seconds))),
  loginsPerSecond: Math.round(median(reps.map((r) => ACTORS / r.seconds))),
})
const rows = [summary(`device login: pending × ${PENDING}, then approved`, device), summary('password login: ok', password)]
const meta = { date: new Date().toISOString().slice(0, 10), node: process.version, cpus: cpus().length }

if (asJson) {
  console.log(JSON.stringify({ ...meta, rows, heap: { liveActors: ACTORS, ...heap }, provideMs: median(provides) }, null, 2))
} else {
  console.log(`Machines on a simulated clock, ${ACTORS} actors per repetition, ${meta.date}, Node ${meta.node}, ${meta.cpus} cores`)
  console.log('')
  console.log('| scenario | reps | state changes per login | median ms per rep | state changes / s | logins / s |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |')
  for (const r of rows) {
    console.log(`| ${r.scenario} | ${r.reps} | ${r.stateChangesPerActor} | ${r.medianRepMs} | ${r.stateChangesPerSecond} | ${r.loginsPerSecond} |`)
  }
  console.log('')
  console.log(`heap per live device-login actor (${heap.waiting} of ${ACTORS} waiting for approval): ${(heap.bytesPerActor / 1024).toFixed(1)} KiB`)
  console.log(`machine.provide() (once per login in the Node API), median: ${median(provides).toFixed(2)} ms per call`)
  console.log(`ratio device / password state changes per second: ${(rows[0].stateChangesPerSecond / rows[1].stateChangesPerSecond).toFixed(2)}`)
  if (device.length < REPS) console.log(`\nstopped after ${device.length} of ${REPS} repetitions: --max-seconds ${MAX_SECONDS} reached`)
}
