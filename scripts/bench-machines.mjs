#!/usr/bin/env node
// The pure machines on a simulated clock with scripted effects (no network, no files, no real
// waiting): how many state changes per second XState gets through for a device login
// (pending × N, then approved) and a password login that succeeds, and the heap each live
// device-login actor holds while it waits for approval.
//
//   node scripts/build.mjs && node scripts/bench-machines.mjs [--actors 1000] [--pending 20]
//        [--reps 5] [--max-seconds 120] [--json]
//
// Each repetition starts --actors actors on one shared clock and moves the clock from timer to
// timer until every actor is done; the effects answer at once. "State changes" are the
// snapshots the actors emit (one per event handled that changed something). Device and
// password repetitions alternate, and the report gives medians. Bounded: --reps repetitions
// of each, stopping early after --max-seconds, and a cap on clock steps per repetition.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createActor, fromPromise, SimulatedClock } from 'xstate'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback
}
const ACTORS = Math.max(1, Math.min(100_000, option('--actors', 1000)))
const PENDING = Math.max(0, Math.min(100, option('--pending', 20))) // 100 × 5 s stays inside the code's 600 s
const REPS = Math.max(1, Math.min(100, option('--reps', 5)))
const MAX_SECONDS = Math.max(5, Math.min(1800, option('--max-seconds', 120)))
const MAX_CLOCK_STEPS = 10_000
const asJson = args.includes('--json')

const load = (path) => import(pathToFileURL(resolve(path)).href)
const { deviceLogin, passwordLogin } = await load('dist/machines/index.js')
const fixtures = await load('dist/spec/support/machine-harness.js')

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')
const heapUsed = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Lets every resolved promise, and the transitions it triggers, run. */
const settle = () => new Promise((done) => setImmediate(done))

// --- scripted effects -----------------------------------------------------------------------
// One provided machine per scenario, shared by every actor, as a long-running front end would
// keep it: `machine.provide()` is costly (measured on its own below). Each actor's effects
// find its poll count through the actor system, which is one per actor started.
let clock = new SimulatedClock()
const pollsBySystem = new WeakMap()
const deviceEffects = {
  checkExisting: fromPromise(async () => null),
  requestCode: fromPromise(async () => fixtures.deviceAuthorization(clock.now())),
  pollToken: fromPromise(async ({ system }) => {
    const polls = pollsBySystem.get(system) ?? 0
    pollsBySystem.set(system, polls + 1)
    return polls < PENDING ? { kind: 'pending', at: clock.now() } : { kind: 'granted', session: fixtures.session, at: clock.now() }
  }),
  registerProcess: fromPromise(async () => fixtures.registration(clock.now())),
  persist: fromPromise(async () => ({ paths: fixtures.files })),
}
const passwordEffects = {
  checkExisting: fromPromise(async () => null),
  promptCredentials: fromPromise(async () => {
    throw new Error('not scripted: the email and password are given')
  }),
  authenticate: fromPromise(async () => ({ kind: 'granted', session: fixtures.session })),
  registerProcess: fromPromise(async () => fixtures.registration(clock.now())),
  persist: fromPromise(async () => ({ paths: fixtures.files })),
}
const machines = {
  device: deviceLogin.provide({ actors: deviceEffects }),
  password: passwordLogin.provide({ actors: passwordEffects }),
}

const deviceInput = { server: 'https://auth.omicos.cn', name: 'omics', hostname: 'hpc-login-1', processId: 'local-ws1', force: false }
const passwordInput = {
  server: 'https://auth.omicos.cn',
  email: 'you@example.com',
  password: fixtures.secrets.password,
  name: 'omics',
  processId: 'local-ws1',
  force: false,
  canPrompt: false,
}

// --- one repetition ---------------------------------------------------------------------------
/** Starts `count` actors on the clock; returns them and a counter of their snapshots. */
const startActors = (kind, count) => {
  const counter = { snapshots: 0, done: 0, loggedIn: 0, errors: 0 }
  const actors = []
  for (let i = 0; i < count; i++) {
    const actor = createActor(machines[kind], { input: kind === 'device' ? deviceInput : passwordInput, clock })
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

/** Moves the clock timer by timer until every actor is done (or the step cap is reached). */
const runToEnd = async (counter, count) => {
  // SimulatedClock keeps its pending timeouts in `timeouts` (start, timeout).
  const timeouts = clock.timeouts
  await settle()
  for (let step = 0; step < MAX_CLOCK_STEPS && counter.done + counter.errors < count; step++) {
    let due = Infinity
    for (const t of timeouts.values()) due = Math.min(due, t.start + t.timeout)
    if (due === Infinity) {
      await settle()
      continue
    }
    clock.set(Math.max(due, clock.now()))
    await settle()
  }
}

const repetition = async (kind) => {
  clock = new SimulatedClock()
  const started = process.hrtime.bigint()
  const { counter } = startActors(kind, ACTORS)
  await runToEnd(counter, ACTORS)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (counter.loggedIn !== ACTORS || counter.errors) {
    throw new Error(`${kind}: ${counter.loggedIn} of ${ACTORS} logged in, ${counter.errors} errors`)
  }
  return { seconds, snapshots: counter.snapshots, perActor: counter.snapshots / ACTORS }
}

// --- heap per live actor ----------------------------------------------------------------------
// Device actors started and moved into their first wait for approval (code shown, one poll
// answered pending), then held there while the heap is measured.
const liveHeap = async () => {
  clock = new SimulatedClock()
  const before = heapUsed()
  const { actors, counter } = startActors('device', ACTORS)
  await settle()
  await settle()
  let due = Infinity
  for (const t of clock.timeouts.values()) due = Math.min(due, t.start + t.timeout)
  if (due !== Infinity) clock.set(due)
  await settle()
  await settle()
  const waiting = actors.filter((a) => a.getSnapshot().matches({ awaitingApproval: 'waiting' })).length
  const after = heapUsed()
  const result = { waiting, bytesPerActor: (after - before) / ACTORS, snapshotsSoFar: counter.snapshots }
  for (const actor of actors) actor.stop()
  return result
}

// --- machine.provide() ------------------------------------------------------------------------
// What the Node API pays once per login (effects/api.ts provides the Node effects each time).
const PROVIDES = 200
const provideCost = () => {
  const started = process.hrtime.bigint()
  for (let i = 0; i < PROVIDES; i++) {
    deviceLogin.provide({ actors: deviceEffects })
    passwordLogin.provide({ actors: passwordEffects })
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / (2 * PROVIDES)
}

// --- the run ----------------------------------------------------------------------------------
const deadline = Date.now() + MAX_SECONDS * 1000
await repetition('device') // warm-up: JIT, and a check that the script ends in loggedIn
await repetition('password')
const heap = await liveHeap()
const device = []
const password = []
const provides = []
for (let rep = 0; rep < REPS && Date.now() < deadline; rep++) {
  device.push(await repetition('device'))
  password.push(await repetition('password'))
  provides.push(provideCost())
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const summary = (name, reps) => ({
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
  console.log(
    `heap per live device-login actor (${heap.waiting} of ${ACTORS} waiting for approval): ${(heap.bytesPerActor / 1024).toFixed(1)} KiB`,
  )
  console.log(`machine.provide() (once per login in the Node API), median: ${median(provides).toFixed(2)} ms per call`)
  console.log(`ratio device / password state changes per second: ${(rows[0].stateChangesPerSecond / rows[1].stateChangesPerSecond).toFixed(2)}`)
  if (device.length < REPS) console.log(`\nstopped after ${device.length} of ${REPS} repetitions: --max-seconds ${MAX_SECONDS} reached`)
}
