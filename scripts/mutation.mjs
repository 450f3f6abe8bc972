#!/usr/bin/env node
// Mutation testing (StrykerJS): does a green machine suite go red on a real bug? Stryker puts
// every mutant of machines/*.ts and effects/client/device-grant.ts into a copy of the project,
// transpiles it once, then runs the fast machine and grant specs once per mutant with that
// mutant switched on. A mutant the specs let through is an assertion nobody wrote.
//
//   npm run mutation                         # by hand: minutes, not part of npm test or CI
//   npm run mutation -- --mutate machines/device-grant.machine.ts --concurrency 1
//
// `node scripts/mutation.mjs --specs` is the command Stryker runs per mutant: the built spec
// files one after another, stopping at the first that fails (a killed mutant needs no more).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

// Fastest and most telling first: most mutants die in the first file or two.
const SPECS = [
  'dist/spec/machines/device-grant.spec.js',
  'dist/spec/machines/password-grant.spec.js',
  'dist/spec/effects/client/device-grant-loop.spec.js',
  'dist/spec/machines/login.spec.js',
  'dist/spec/machines/logout.spec.js',
  'dist/spec/machines/status.spec.js',
  'dist/spec/machines/redact.spec.js',
  // the slowest (generated paths): only mutants that got past all the others reach it
  'dist/spec/machines/paths.spec.js',
]

if (process.argv.includes('--specs')) {
  for (const file of SPECS) {
    if (!existsSync(file)) {
      console.error(`${file} is missing: build first (node scripts/build.mjs)`)
      process.exit(2)
    }
    const run = spawnSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 60_000 })
    if (run.status !== 0) {
      // Stryker shows this for a failing initial run; for a killed mutant it is expected.
      console.log(`${file} failed (exit ${run.status}):\n${run.stdout.slice(-3_000)}${run.stderr.slice(-2_000)}`)
      process.exit(1)
    }
  }
  process.exit(0)
}

const arg = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at > 0 ? process.argv[at + 1] : fallback
}

const { Stryker } = await import('@stryker-mutator/core')
const stryker = new Stryker({
  testRunner: 'command',
  commandRunner: { command: 'node scripts/mutation.mjs --specs' },
  // Transpiled once, after the mutants are placed: each run then only switches one on.
  buildCommand: 'node scripts/build.mjs',
  coverageAnalysis: 'off',
  mutate: arg('--mutate', 'machines/*.ts,effects/client/device-grant.ts').split(','),
  ignorePatterns: ['dist', 'node_modules', 'reports', '.stryker-tmp', 'server-data'],
  // The machine is shared: two runs at a time at most.
  concurrency: Number(arg('--concurrency', '2')),
  timeoutMS: 20_000,
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
