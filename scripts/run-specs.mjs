#!/usr/bin/env node
// Runs the type check, the layering rules (.dependency-cruiser.cjs) and Biome (lint and
// format, biome.json), then every built spec
// file in its own process (two at a time: the machine has two cores), and closes with one line
// `N passed, N failed`.
// Each file gets a time limit because uvu has none: a promise that never settles would
// otherwise end a file silently or hang the run. A file that crashes, times out or prints
// no uvu summary counts as one failure.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const FILE_LIMIT_MS = Number(process.env.SPEC_FILE_LIMIT_MS ?? 300_000)
// --fast (npm run test:fast): the machine and runtime-neutral client specs that start no
// server, browser or other process, the subset worth running after every change. A new spec
// in those folders is fast unless it is named here.
const fast = process.argv.includes('--fast')
const FAST_FOLDERS = ['dist/spec/machines/', 'dist/spec/effects/client/']
const NOT_FAST = ['diagrams-render.spec.js', 'device-grant-interop.spec.js', 'http.spec.js', 'omicos-api.spec.js']
const only = process.argv.slice(2).filter((arg) => arg !== '--fast')

// The type check, one project at a time per core. Incremental: tsc keeps what it learnt in
// node_modules/.cache/tsc and checks again only what changed since (about a third of the time
// of a full check), so a run after a small change mostly pays for the specs.
const PROJECTS = ['tsconfig.json', 'machines/tsconfig.json', 'effects/client/tsconfig.json', 'testing/tsconfig.json', 'scripts/tsconfig.json']
/** @param {string} project @returns {Promise<number | null>} */
const check = (project) =>
  new Promise((resolve) => {
    const info = join('node_modules', '.cache', 'tsc', `${project.replace(/[\\/]/g, '-')}.tsbuildinfo`)
    const tsc = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', project, '--noEmit', '--incremental', '--tsBuildInfoFile', info], {
      stdio: 'inherit',
    })
    tsc.on('close', (code) => resolve(code))
  })
const checks = [...PROJECTS]
/** @type {(number | null)[]} */
const checked = []
const checker = async () => {
  for (let project = checks.shift(); project !== undefined; project = checks.shift()) checked.push(await check(project))
}
await Promise.all([checker(), checker()])
const layering = spawnSync('npm', ['run', '--silent', 'deps'], { stdio: 'inherit' })
const lint = spawnSync(process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'check', '--max-diagnostics=20', '.'], { stdio: 'inherit' })
let passed = 0
let failed = 0
let skipped = 0
if (checked.some((code) => code !== 0)) {
  console.log('typecheck: failed')
  failed++
}
if (layering.status !== 0) {
  console.log('layering (npm run deps): failed')
  failed++
}
if (lint.status !== 0) {
  console.log('lint and format (npm run lint; npx biome check --write . fixes the format): failed')
  failed++
}

/** @type {string[]} */
const specs = []
/** @param {string} dir */
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    // Only a spec whose source is still there: a build leaves the copies of moved or removed ones.
    else if (path.endsWith('.spec.js') && existsSync(path.replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts'))) specs.push(path)
  }
}
walk('dist/spec')
const isFast = (/** @type {string} */ s) => FAST_FOLDERS.some((folder) => s.startsWith(folder)) && !NOT_FAST.some((name) => s.endsWith(`/${name}`))
const chosen = (fast ? specs.filter(isFast) : specs).filter((s) => only.length === 0 || only.some((o) => s.includes(o)))

/** @param {string} s */
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '')
/**
 * @typedef {{ file: string, text: string, ms: number, passed: number, failed: number, skipped?: number, note: string }} FileResult
 * @param {string} file
 * @returns {Promise<FileResult>}
 */
const runOne = (file) =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
      detached: true,
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL')
      } catch {}
    }, FILE_LIMIT_MS)
    child.on('close', (code) => {
      clearTimeout(timer)
      const text = strip(out)
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN)
      const ok = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN)
      const skip = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0)
      let result
      if (timedOut) result = { passed: 0, failed: 1, note: `timed out after ${FILE_LIMIT_MS} ms` }
      else if (Number.isNaN(total) || Number.isNaN(ok)) result = { passed: 0, failed: 1, note: `no uvu summary (exit ${code})` }
      else {
        const bad = total - ok - skip
        result = { passed: ok, failed: bad > 0 || code === 0 ? bad : 1, skipped: skip, note: code === 0 ? '' : `exit ${code}` }
      }
      resolve({ file, text, ms: Date.now() - started, ...result })
    })
  })

const queue = [...chosen]
/** @type {FileResult[]} */
const results = []
const worker = async () => {
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const r = await runOne(file)
    process.stdout.write(`\n=== ${r.file} (${(r.ms / 1000).toFixed(1)} s) ${r.note ?? ''}\n${r.text.trimEnd()}\n`)
    results.push(r)
  }
}
await Promise.all([worker(), worker()])
for (const r of results) {
  passed += r.passed
  failed += r.failed
  skipped += r.skipped ?? 0
}
if (chosen.length === 0) failed++
console.log(
  `\nfiles: ${results.length}, failing files: ${
    results
      .filter((r) => r.failed)
      .map((r) => r.file)
      .join(', ') || 'none'
  }`,
)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed ? 1 : 0)
