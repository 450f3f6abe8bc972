#!/usr/bin/env node
// Mutation testing (StrykerJS): does a green machine suite go red on a real bug? Stryker puts
// every mutant of machines/*.ts, the device grant client (DEVICE_GRANT below) and
// effects/client/email.ts into a copy of the project, transpiles it once, then runs the fast
// machine and grant specs once per mutant with that mutant switched on. A mutant the specs let
// through is an assertion nobody wrote.
//
//   npm run mutation                         # by hand: minutes, not part of npm test or CI
//   npm run mutation -- --mutate machines/device-grant.machine.ts --concurrency 1
//   OMICOS_TEST_POSTGRES=postgres://USER@HOST:PORT npm run mutation -- --server
//
// --server mutates the server's device pacing and statement batcher instead, against their
// own specs; with OMICOS_TEST_POSTGRES set those specs run on PostgreSQL, whose batched
// statements SQLite never reaches.
//
// `node scripts/mutation.mjs --specs` is the command Stryker runs per mutant: the built spec
// files one after another in one process, stopping at the first that fails (a killed mutant
// needs no more).
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

// The device grant client: its two requests, the token response it shares, the whole grant, and
// what they stand on (effects/client/device-grant.ts only re-exports them).
const DEVICE_GRANT =
  'effects/client/device-authorization.ts,effects/client/device-token-poll.ts,effects/client/token-response.ts,effects/client/run-device-grant.ts,effects/client/grant-endpoints.ts,effects/client/answer-fields.ts'

// Fastest and most telling first: most mutants die in the first file or two. The path spec
// (spec/machines/paths.spec.ts) is left out: it replays ~700 generated paths (about 15 s), too
// slow to run once per mutant; npm test runs it.
const SPECS = [
  'dist/spec/machines/device-grant.spec.js',
  'dist/spec/machines/resume.spec.js',
  'dist/spec/machines/password-grant.spec.js',
  'dist/spec/effects/client/device-grant-loop.spec.js',
  'dist/spec/effects/client/device-grant-answers.spec.js',
  'dist/spec/machines/login.spec.js',
  'dist/spec/machines/login-existing.spec.js',
  'dist/spec/machines/logout.spec.js',
  'dist/spec/machines/status.spec.js',
  'dist/spec/machines/machine-shape.spec.js',
  'dist/spec/machines/failure.spec.js',
  'dist/spec/machines/login-input.spec.js',
  'dist/spec/machines/redact.spec.js',
  'dist/spec/machines/inspection-copy.spec.js',
  'dist/spec/machines/inspection.spec.js',
  'dist/spec/effects/client/email.spec.js',
]

// The server's pacing and batcher, for --server.
const SERVER_SPECS = ['dist/spec/server/statement-batch.spec.js', 'dist/spec/server/device-polls.spec.js', 'dist/spec/server/pacing-store.spec.js']
const SERVER_MUTATE = 'server/oauth/device-pacing.ts,server/storage/statement-batch.ts'
const server = process.argv.includes('--server')

if (process.argv.includes('--specs')) {
  // One process for all files (a node start costs more than most of them): uvu's own CLI way,
  // its queue deferred, one group per file, stopping at the first file that fails.
  const uvuGlobals = /** @type {{ UVU_DEFER?: number, UVU_QUEUE: string[][], UVU_INDEX?: number }} */ (/** @type {unknown} */ (globalThis))
  uvuGlobals.UVU_DEFER = 1
  uvuGlobals.UVU_QUEUE = []
  for (const [index, file] of (server ? SERVER_SPECS : SPECS).entries()) {
    if (!existsSync(file)) {
      console.error(`${file} is missing: build first (node scripts/build.mjs)`)
      process.exit(2)
    }
    uvuGlobals.UVU_QUEUE.push([file])
    uvuGlobals.UVU_INDEX = index
    await import(pathToFileURL(resolve(file)).href)
  }
  const { exec } = await import('uvu')
  await exec(true)
  process.exit(process.exitCode ?? 0)
}

/** @param {string} name @param {string} fallback */
const arg = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at > 0 ? process.argv[at + 1] : fallback
}

const { Stryker } = await import('@stryker-mutator/core')
const stryker = new Stryker({
  testRunner: 'command',
  commandRunner: { command: `node scripts/mutation.mjs --specs${server ? ' --server' : ''}` },
  // Transpiled once, after the mutants are placed: each run then only switches one on.
  buildCommand: 'node scripts/build.mjs',
  coverageAnalysis: 'off',
  // The descriptions are the docs' words (spec/machines/diagrams.spec.ts checks them), not logic.
  mutate: arg('--mutate', server ? SERVER_MUTATE : `machines/*.ts,!machines/*.descriptions.ts,${DEVICE_GRANT},effects/client/email.ts`).split(','),
  ignorePatterns: ['dist', 'node_modules', 'reports', '.stryker-tmp', 'server-data'],
  // The machine is shared: two runs at a time at most.
  concurrency: Number(arg('--concurrency', '2')),
  // The specs take about a second; a mutant that makes a machine loop is stopped after about 9 s.
  timeoutMS: 8_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
})
const results = await stryker.runMutationTest()

// Per file and in all: killed and timed out count as detected; errors and ignored ones don't count.
const rows = new Map()
for (const mutant of results) {
  const row = rows.get(mutant.fileName) ?? { detected: 0, survived: 0, noCoverage: 0 }
  if (mutant.status === 'Killed' || mutant.status === 'Timeout') row.detected++
  else if (mutant.status === 'Survived') row.survived++
  else if (mutant.status === 'NoCoverage') row.noCoverage++
  rows.set(mutant.fileName, row)
}
/** @param {{ detected: number, survived: number, noCoverage: number }} row */
const score = ({ detected, survived, noCoverage }) => {
  const valid = detected + survived + noCoverage
  return valid ? ((100 * detected) / valid).toFixed(2) : 'n/a'
}
const total = { detected: 0, survived: 0, noCoverage: 0 }
console.log('\nmutation score (killed + timed out) / valid mutants:')
for (const [file, row] of [...rows].sort()) {
  total.detected += row.detected
  total.survived += row.survived
  total.noCoverage += row.noCoverage
  console.log(`  ${file.padEnd(40)} ${String(score(row)).padStart(7)} %  (${row.detected} detected, ${row.survived} survived)`)
}
console.log(`  ${'total'.padEnd(40)} ${String(score(total)).padStart(7)} %  (${total.detected} detected, ${total.survived} survived)`)
