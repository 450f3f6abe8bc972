#!/usr/bin/env node
// CLI start-up: wall time and peak RSS of `omicos --version`, `omicos login --help` and
// `omicos login --status` (a temporary OMICOS_HOME holding a valid credential file, so the
// status path reads and checks a real file), against bare `node -e 0`. The cases run
// interleaved, round after round, so a noisy neighbour slows them all alike; the report gives
// medians and ratios to bare node, which are what to compare between machines and runs.
//
//   node scripts/build.mjs && node scripts/bench-startup.mjs [--runs 20] [--max-seconds 180]
//        [--bin dist/cli/omicos.cjs] [--bin other/dist/cli/omicos.cjs] [--json]
//
// Where the runtime has V8's compile cache (Node >= 22.1) the bin turns it on (cli/start.cts)
// and the warm-up run fills it, so the rounds measure warm starts, as a user's second run is.
// Several --bin run interleaved in the same rounds (e.g. a copy of an earlier build against
// the current one). Peak RSS comes from `/usr/bin/time -f %M` when it exists, else from a
// preloaded module that records process.resourceUsage().maxRSS at exit (applied to every case,
// the baseline included). Bounded: --runs rounds, stopping early after --max-seconds.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
/** @param {string} name @param {string | number} fallback */
const option = (name, fallback) => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback
}
const bins = args.flatMap((arg, i) => (arg === '--bin' && args[i + 1] ? [resolve(args[i + 1])] : []))
if (bins.length === 0) bins.push(resolve('dist/cli/omicos.cjs'))
const runs = Math.max(1, Math.min(500, Number(option('--runs', 20))))
const maxSeconds = Math.max(5, Math.min(3600, Number(option('--max-seconds', 180))))
const asJson = args.includes('--json')
const PER_RUN_TIMEOUT_MS = 30_000

for (const bin of bins) {
  if (!existsSync(bin)) {
    console.error(`${bin} does not exist: run node scripts/build.mjs first`)
    process.exit(2)
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'omicos-bench-startup-'))
const cleanup = () => rmSync(scratch, { recursive: true, force: true })
process.on('exit', cleanup)
process.on('SIGINT', () => process.exit(130))

// --- a logged-in home -------------------------------------------------------------------------
const home = join(scratch, 'home')
const workspace = join(scratch, 'workspace')
mkdirSync(home, { mode: 0o700 })
mkdirSync(workspace)
// The built copy of the module (this script runs without a TypeScript loader), typed by its source.
/** @type {typeof import('../effects/store/credential-file.js')} */
const { buildCredentialFile, serializeCredentialFile } = await import(pathToFileURL(resolve('dist/effects/store/credential-file.js')).href)
const now = Date.now()
const credentials = buildCredentialFile({
  userToken: 'bench-user-token',
  userTokenExpiresAt: now + 30 * 86_400_000,
  refreshToken: 'bench-refresh-token',
  processToken: 'bench-process-token',
  processTokenExpiresAt: now + 3_600_000,
  processId: 'local-benchworkspace01',
  processName: 'bench',
  authMethod: 'password',
  server: 'http://127.0.0.1:4000',
  accountId: 'acct_bench',
  email: 'bench@example.com',
  tier: 'free',
  loggedInAt: now,
})
writeFileSync(join(home, 'cloud_login.json'), serializeCredentialFile(credentials), { mode: 0o600 })

const env = {
  ...process.env,
  OMICOS_HOME: home,
  OMICOS_WORKSPACE: workspace,
  OMICOS_TRACE: '',
  NO_COLOR: '1',
  NODE_OPTIONS: '',
}

// --- measuring one run ------------------------------------------------------------------------
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null
const rssPreload = join(scratch, 'rss-at-exit.cjs')
writeFileSync(rssPreload, "process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)))\n")
const rssFile = join(scratch, 'rss')

/**
 * One run of `node ...nodeArgs`: wall ms (spawn to exit), peak RSS in KiB, exit code, stdout.
 * @param {string[]} nodeArgs
 */
const measure = (nodeArgs) => {
  rmSync(rssFile, { force: true })
  const command = timeBin ? timeBin : process.execPath
  const commandArgs = timeBin ? ['-f', '%M', '-o', rssFile, process.execPath, ...nodeArgs] : ['--require', rssPreload, ...nodeArgs]
  const started = process.hrtime.bigint()
  const child = spawnSync(command, commandArgs, {
    cwd: workspace,
    env: { ...env, BENCH_RSS_FILE: rssFile },
    encoding: 'utf8',
    timeout: PER_RUN_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const ms = Number(process.hrtime.bigint() - started) / 1e6
  let rssKiB = NaN
  try {
    rssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
  } catch {}
  return { ms, rssKiB, code: child.status, stdout: child.stdout ?? '', stderr: child.stderr ?? '' }
}

// With several bins, each is named by the folder holding its dist/ (or its path).
/** @param {string} bin */
const label = (bin) => {
  if (bins.length === 1) return ''
  const at = bin.lastIndexOf('/dist/')
  return `[${at > 0 ? bin.slice(0, at).split('/').pop() : relative(process.cwd(), bin)}] `
}
/**
 * @typedef {{ name: string, args: string[], expect: number, baseline?: boolean, bin?: string, shows?: string, samples: ReturnType<typeof measure>[] }} Case
 * @type {Case[]}
 */
const cases = [{ name: 'node -e 0 (baseline)', args: ['-e', '0'], expect: 0, baseline: true, samples: [] }]
for (const bin of bins) {
  cases.push(
    { name: `${label(bin)}omicos --version`, args: [bin, '--version'], expect: 0, bin, samples: [] },
    { name: `${label(bin)}omicos login --help`, args: [bin, 'login', '--help'], expect: 0, bin, samples: [] },
    { name: `${label(bin)}omicos login --status`, args: [bin, 'login', '--status'], expect: 0, bin, shows: 'email: bench@example.com', samples: [] },
  )
}

// One warm-up run of each (file cache), which also checks that each case does what it should.
for (const c of cases) {
  const r = measure(c.args)
  if (r.code !== c.expect || (c.shows && !r.stdout.includes(c.shows))) {
    console.error(`${c.name}: exit ${r.code}, expected ${c.expect}${c.shows ? ` and "${c.shows}"` : ''}\n${r.stdout}${r.stderr}`)
    process.exit(1)
  }
}

// --- interleaved rounds -----------------------------------------------------------------------
const deadline = Date.now() + maxSeconds * 1000
let rounds = 0
for (let round = 0; round < runs && Date.now() < deadline; round++) {
  // Rotate the order each round so no case always runs first or last.
  for (let i = 0; i < cases.length; i++) {
    const c = cases[(i + round) % cases.length]
    const r = measure(c.args)
    if (r.code !== c.expect) throw new Error(`${c.name}: exit ${r.code} in round ${round + 1}\n${r.stderr}`)
    c.samples.push(r)
  }
  rounds++
}

/** @param {number[]} values */
const median = (values) => {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const base = cases[0]
const baseMs = median(base.samples.map((s) => s.ms))
const baseRss = median(base.samples.map((s) => s.rssKiB))
const rows = cases.map((c) => {
  const ms = median(c.samples.map((s) => s.ms))
  const rss = median(c.samples.map((s) => s.rssKiB))
  return {
    case: c.name,
    runs: c.samples.length,
    medianMs: Math.round(ms),
    minMs: Math.round(Math.min(...c.samples.map((s) => s.ms))),
    overNodeMs: Math.round(ms - baseMs),
    timeRatio: Number((ms / baseMs).toFixed(2)),
    peakRssMiB: Number((rss / 1024).toFixed(1)),
    rssRatio: Number((rss / baseRss).toFixed(2)),
  }
})

const meta = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  rounds,
  rss: timeBin ? '/usr/bin/time -f %M' : 'process.resourceUsage().maxRSS at exit',
}
if (asJson) {
  console.log(JSON.stringify({ ...meta, rows }, null, 2))
} else {
  console.log(`CLI start-up, ${rounds} interleaved rounds, ${meta.date}, Node ${meta.node}, ${meta.cpus} cores; peak RSS by ${meta.rss}`)
  console.log('')
  console.log('| case | median ms | min ms | over node ms | time / node | peak RSS MiB | RSS / node |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const r of rows) {
    console.log(`| ${r.case} | ${r.medianMs} | ${r.minMs} | ${r.overNodeMs} | ${r.timeRatio.toFixed(2)} | ${r.peakRssMiB} | ${r.rssRatio.toFixed(2)} |`)
  }
  // The targets: --version and --help at most 1.15x bare node, --status 1.3x, peak RSS 1.2x.
  console.log('')
  for (const r of rows.slice(1)) {
    const timeTarget = r.case.includes('--status') ? 1.3 : 1.15
    /** @param {number} ratio @param {number} target */
    const verdict = (ratio, target) => `${ratio.toFixed(2)} (target ${target}: ${ratio <= target ? 'met' : 'not met'})`
    console.log(`${r.case}: time ${verdict(r.timeRatio, timeTarget)}, peak RSS ${verdict(r.rssRatio, 1.2)}`)
  }
  if (rounds < runs) console.log(`\nstopped after ${rounds} of ${runs} rounds: --max-seconds ${maxSeconds} reached`)
}
