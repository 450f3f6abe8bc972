// How long the `omicos` process lives after its last line: the time from the last output
// (stdout or stderr) to the process's exit, for endings where something may still be pending.
//
//   node scripts/build.mjs && node dist/scripts/exit-time.js [--runs 10] [--max-seconds 300] [--json] [--phases]
//
// Cases, interleaved round by round:
//   silent-dns login       `omicos login` to a host whose name server never answers (a loopback
//                          UDP listener bound over /etc/resolv.conf in a mount namespace of the
//                          child's own; needs root, else skipped): the error line comes from the
//                          command's own time limit while the look-up is still pending
//   silent-dns cli --json  the same for `omicos cli login --json`
//   refused login          `omicos login` to 127.0.0.1:9, where nothing listens
//   status                 `omicos login --status` with no login (no network)
// --phases splits each gap in two (scripts/exit-time-probe.ts, loaded into the CLI): from the
// last line to the process's 'exit' event, by its own clock (what the CLI still does: awaits,
// timers, a drain), and from 'exit' to the exit the script sees (Node's teardown, the kernel's,
// and the script's own event loop); the probe costs a little of the first.
// The target: the exit within 100 ms of the last line, whatever is pending. Only 127.0.0.1
// and the mount namespaces this script makes are used; every run is bounded (60 s) and the
// whole by --max-seconds.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_BIN } from '../spec/support/cli.js'
import { canBindResolvConf, runNoting, startSilentDns } from '../spec/support/silent-dns.js'

const args = process.argv.slice(2)
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name)
  return at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback
}
const RUNS = Math.max(1, Math.min(100, option('--runs', 10)))
const MAX_SECONDS = Math.max(10, Math.min(3600, option('--max-seconds', 300)))
const asJson = args.includes('--json')
const phases = args.includes('--phases')

const base = mkdtempSync(join(tmpdir(), 'omicos-exit-time-'))
const env: NodeJS.ProcessEnv = {}
for (const [key, value] of Object.entries(process.env)) if (!/^(OMICOS_|CONDA_)|^(https?|all|no)_proxy$/i.test(key)) env[key] = value
env.OMICOS_HOME = join(base, 'home')
const cwd = join(base, 'workspace')
mkdirSync(cwd, { recursive: true })

const dns = canBindResolvConf() ? await startSilentDns() : null
if (!dns && !asJson) console.log('note: no mount namespace here (needs root): the silent-dns cases are skipped')

type Case = { name: string; argv: () => string[]; input?: string; code: number }
const node = (cliArgs: string[]) => [process.execPath, CLI_BIN, ...cliArgs]
const cases: Case[] = [
  ...(dns
    ? [
        {
          name: 'silent-dns login',
          argv: () => dns.wrap(node(['login', '--server', `https://${dns.host}`, '--email', 'ada@example.com', '--password-stdin'])),
          input: 'a password',
          code: 3,
        },
        { name: 'silent-dns cli --json', argv: () => dns.wrap(node(['cli', 'login', '--json', '--no-qr', '--server', `https://${dns.host}`])), code: 3 },
      ]
    : []),
  {
    name: 'refused login',
    argv: () => node(['login', '--server', 'http://127.0.0.1:9', '--email', 'ada@example.com', '--password-stdin']),
    input: 'a password',
    code: 3,
  },
  { name: 'status', argv: () => node(['login', '--status']), code: 1 },
]

const gaps = new Map<string, number[]>(cases.map((c) => [c.name, []]))
// --phases: the part of each gap before the 'exit' event, and the part after it.
const inProcess = new Map<string, number[]>(cases.map((c) => [c.name, []]))
const afterExit = new Map<string, number[]>(cases.map((c) => [c.name, []]))
const probeFile = join(base, 'probe.json')
const probeEnv: NodeJS.ProcessEnv = phases
  ? { ...env, EXIT_TIME_PROBE: probeFile, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import ${join(import.meta.dirname, 'exit-time-probe.js')}`.trim() }
  : env
const deadline = Date.now() + MAX_SECONDS * 1000
try {
  for (let round = 0; round < RUNS && Date.now() < deadline; round++) {
    for (const c of cases) {
      rmSync(probeFile, { force: true })
      const run = await runNoting(c.argv(), { env: probeEnv, cwd, input: c.input, limitMs: 60_000 })
      if (run.code !== c.code) throw new Error(`${c.name}: exit ${run.code}, expected ${c.code}\n${run.stderr}`)
      gaps.get(c.name)!.push(Number(run.exitAt - run.lastOutputAt) / 1e6)
      if (phases) {
        const probe = JSON.parse(readFileSync(probeFile, 'utf8')) as { lastWriteAt: string; exitEventAt: string }
        inProcess.get(c.name)!.push(Number(BigInt(probe.exitEventAt) - BigInt(probe.lastWriteAt)) / 1e6)
        afterExit.get(c.name)!.push(Number(run.exitAt - BigInt(probe.exitEventAt)) / 1e6)
      }
    }
  }
} finally {
  await dns?.close()
  rmSync(base, { recursive: true, force: true })
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return { medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), maxMs: sorted.at(-1)! }
}
const rows = [...gaps].map(([name, values]) => ({
  case: name,
  runs: values.length,
  ...summary(values),
  ...(phases ? { inProcess: summary(inProcess.get(name)!), afterExit: summary(afterExit.get(name)!) } : {}),
}))
if (asJson) console.log(JSON.stringify({ node: process.version, rows }))
else {
  console.log(`last line to exit, ${process.version}:`)
  const ms = (s: { medianMs: number; p90Ms: number; maxMs: number }) =>
    `median ${s.medianMs.toFixed(1).padStart(7)} ms  p90 ${s.p90Ms.toFixed(1).padStart(7)} ms  max ${s.maxMs.toFixed(1).padStart(7)} ms`
  for (const r of rows) {
    console.log(`  ${r.case.padEnd(24)} runs ${String(r.runs).padStart(3)}  ${ms(r)}`)
    if (r.inProcess && r.afterExit) {
      console.log(`    ${'to the exit event'.padEnd(32)}${ms(r.inProcess)}`)
      console.log(`    ${'after it'.padEnd(32)}${ms(r.afterExit)}`)
    }
  }
}
