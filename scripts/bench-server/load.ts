// The reference server under load, on 127.0.0.1 (a free port, a temporary data folder): password
// grant logins per second and how much of each login is the scrypt check, device polls per
// second (authorization_pending and slow_down answers counted apart), and the latency of the
// omicOS routes. The server runs in a child process (reference-server.js) so its RSS is its
// own; the report gives it before and after the load.
//
//   node scripts/build.mjs && node dist/scripts/bench-server/load.js [--logins 24] [--codes 3000]
//        [--polls 6000] [--route-requests 300] [--concurrency 4] [--max-seconds 240] [--json]
//
// Bounded: every phase has a request count and shares one deadline (--max-seconds), every
// request a 10 s time limit, and the server child is killed on the way out.
import { mkdtempSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { args, call, CLIENT_ID, type Memory, option, percentile, poll, pool, removedOnExit, round, SCOPE, serve, sleep, today, type Answer } from './common.js'

const LOGINS = option('--logins', 24, 1000)
const CODES = option('--codes', 3000, 20_000)
const POLLS = option('--polls', 6000, 100_000)
const ROUTE_REQUESTS = option('--route-requests', 300, 100_000)
const CONCURRENCY = option('--concurrency', 4, 64)
const MAX_SECONDS = option('--max-seconds', 240, 3600)
const asJson = args.includes('--json')
const deadline = Date.now() + MAX_SECONDS * 1000
const timeLeft = () => Date.now() < deadline
const stoppedEarly: string[] = []

const dataDir = removedOnExit(mkdtempSync(join(tmpdir(), 'omicos-bench-server-')))
const server = await serve('reference-server.js', [dataDir, '--user'], 'inherit')
const { url } = server
const user = server.started.user
if (!user) throw new Error('the server child named no bench user')
const memory = async () => (await server.ask<{ memory: Memory }>('memory', 'memory')).memory
const scryptOnce = async () => (await server.ask<{ scryptMs: number }>('scrypt', 'scryptMs')).scryptMs

// --- requests -----------------------------------------------------------------------------
const passwordLogin = () =>
  call(url, '/token', { form: { grant_type: 'password', username: user.email, password: user.password, client_id: CLIENT_ID, scope: SCOPE } })

const expectStatus = (what: string, r: Answer, status: number): Answer => {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  return r
}
const text = (r: Answer, field: string): string => String(r.body?.[field])
const median = (values: number[]) => percentile(values, 50)

// --- the run ------------------------------------------------------------------------------
const memoryIdle = await memory()
const warm = expectStatus('warm-up login', await passwordLogin(), 200)
const userToken = text(warm, 'access_token')

// 1. Password grant: one at a time, interleaved with a bare scrypt of the same cost run in the
// server process (scrypt share = median scrypt / median login), then `--concurrency` at a time for logins per second.
const loginMs: number[] = []
const scryptMs: number[] = []
for (let i = 0; i < LOGINS && timeLeft(); i++) {
  scryptMs.push(await scryptOnce())
  loginMs.push(expectStatus('password login', await passwordLogin(), 200).ms)
}
const concurrentLogins = await pool(LOGINS, CONCURRENCY, timeLeft, async () => expectStatus('password login', await passwordLogin(), 200))
if (loginMs.length < LOGINS || concurrentLogins.done < LOGINS) stoppedEarly.push('logins')

// 2. Device codes, then polls: round-robin over the codes, each code polled again only after
// the server's 1 s interval has passed since its last poll (a poll sooner answers slow_down,
// counted apart). 3,000 codes allow about 2,800 polls / s; `waited` in the report counts the
// polls held back by that pacing (when it is not 0, the rate measured is partly the pacing's:
// give more --codes).
const codes: { deviceCode: string; lastPoll: number }[] = []
const codeRun = await pool(CODES, CONCURRENCY, timeLeft, async () => {
  const r = expectStatus(
    'device authorization',
    await call(url, '/device/auth', { form: { client_id: CLIENT_ID, scope: SCOPE, process_name: 'bench', hostname: 'bench-host' } }),
    200,
  )
  codes.push({ deviceCode: text(r, 'device_code'), lastPoll: 0 })
})
if (codeRun.done < CODES) stoppedEarly.push('device codes')
const pollCounts = { authorization_pending: 0, slow_down: 0, other: 0 }
const pollMs: number[] = []
let cursor = 0
let waited = 0
const pollRun = await pool(POLLS, CONCURRENCY, timeLeft, async () => {
  const code = codes[cursor++ % codes.length]
  const wait = code.lastPoll + 1_050 - performance.now()
  if (wait > 0) {
    waited++
    await sleep(wait)
  }
  code.lastPoll = performance.now()
  const r = await poll(url, code.deviceCode)
  pollMs.push(r.ms)
  const kind = r.body?.error
  if (kind === 'authorization_pending' || kind === 'slow_down') pollCounts[kind]++
  else pollCounts.other++
})
if (pollRun.done < POLLS) stoppedEarly.push('device polls')

// 3. The omicOS routes, one request at a time, the three routes interleaved.
const routeMs: Record<string, number[]> = { 'GET /omicos/account': [], 'POST /omicos/processes': [], 'GET /omicos/processes/current': [] }
expectStatus('process registration', await call(url, '/omicos/processes', { json: { process_id: 'local-bench', name: 'bench' }, token: userToken }), 200)
for (let i = 0; i < ROUTE_REQUESTS && timeLeft(); i++) {
  routeMs['GET /omicos/account'].push(expectStatus('account', await call(url, '/omicos/account', { token: userToken }), 200).ms)
  const reg = expectStatus(
    'process registration',
    await call(url, '/omicos/processes', { json: { process_id: `local-bench${i % 10}`, name: 'bench' }, token: userToken }),
    200,
  )
  routeMs['POST /omicos/processes'].push(reg.ms)
  routeMs['GET /omicos/processes/current'].push(
    expectStatus('current process', await call(url, '/omicos/processes/current', { token: text(reg, 'process_token') }), 200).ms,
  )
}
if (routeMs['GET /omicos/account'].length < ROUTE_REQUESTS) stoppedEarly.push('routes')

const memoryAfter = await memory()
await server.stop()

// --- the report ---------------------------------------------------------------------------
const mib = (bytes: number) => round(bytes / 1048576)
const result = {
  date: today(),
  node: process.version,
  cpus: cpus().length,
  concurrency: CONCURRENCY,
  password: {
    sequential: loginMs.length,
    loginMedianMs: round(median(loginMs)),
    scryptMedianMs: round(median(scryptMs)),
    scryptShare: round(median(scryptMs) / median(loginMs), 2),
    concurrent: concurrentLogins.done,
    loginsPerSecond: round(concurrentLogins.done / concurrentLogins.seconds),
    sequentialLoginsPerSecond: round(1000 / median(loginMs)),
  },
  device: {
    codes: codes.length,
    codesPerSecond: round(codes.length / codeRun.seconds),
    polls: pollRun.done,
    pollsPerSecond: round(pollRun.done / pollRun.seconds),
    answers: pollCounts,
    waitedForInterval: waited,
    pollP50Ms: round(percentile(pollMs, 50)),
    pollP95Ms: round(percentile(pollMs, 95)),
  },
  routes: Object.fromEntries(
    Object.entries(routeMs).map(([route, ms]) => [route, { requests: ms.length, p50Ms: round(percentile(ms, 50)), p95Ms: round(percentile(ms, 95)) }]),
  ),
  serverMemory: {
    idleRssMiB: mib(memoryIdle.rss),
    afterRssMiB: mib(memoryAfter.rss),
    peakRssMiB: mib(memoryAfter.maxRss),
  },
  stoppedEarly,
}

if (asJson) {
  console.log(JSON.stringify(result, null, 2))
} else {
  const p = result.password
  const d = result.device
  const m = result.serverMemory
  console.log(`Reference server on 127.0.0.1, ${result.date}, Node ${result.node}, ${result.cpus} cores, concurrency ${CONCURRENCY}`)
  console.log('')
  console.log('| measure | value |')
  console.log('| --- | ---: |')
  console.log(`| password login, one at a time: median ms (${p.sequential} logins) | ${p.loginMedianMs} |`)
  console.log(`| scrypt N=16384 r=8 alone: median ms | ${p.scryptMedianMs} |`)
  console.log(`| scrypt share of a login | ${p.scryptShare} |`)
  console.log(`| password logins / s, ${CONCURRENCY} at a time (${p.concurrent} logins) | ${p.loginsPerSecond} |`)
  console.log(`| device authorizations / s (${d.codes} codes) | ${d.codesPerSecond} |`)
  console.log(
    `| device polls / s (${d.polls} polls: ${d.answers.authorization_pending} pending, ${d.answers.slow_down} slow_down, ${d.answers.other} other; ${d.waitedForInterval} held back for the interval) | ${d.pollsPerSecond} |`,
  )
  console.log(`| device poll p50 / p95 ms | ${d.pollP50Ms} / ${d.pollP95Ms} |`)
  for (const [route, r] of Object.entries(result.routes)) console.log(`| ${route} p50 / p95 ms (${r.requests} requests) | ${r.p50Ms} / ${r.p95Ms} |`)
  console.log(`| server RSS MiB: idle / after the load / peak | ${m.idleRssMiB} / ${m.afterRssMiB} / ${m.peakRssMiB} |`)
  if (stoppedEarly.length) console.log(`\nstopped early (--max-seconds ${MAX_SECONDS}): ${stoppedEarly.join(', ')}`)
}
process.exit(0)
