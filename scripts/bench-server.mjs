#!/usr/bin/env node
// The reference server under load, on 127.0.0.1 (a free port, a temporary data folder): password
// grant logins per second and how much of each login is the scrypt check, device polls per
// second (authorization_pending and slow_down answers counted apart), and the latency of the
// omicOS routes. The server runs in a child process so its RSS is its own; the report gives
// it before and after the load.
//
//   node scripts/build.mjs && node scripts/bench-server.mjs [--logins 24] [--codes 3000]
//        [--polls 6000] [--route-requests 300] [--concurrency 4] [--max-seconds 240] [--json]
//
// Bounded: every phase has a request count and shares one deadline (--max-seconds), every
// request a 10 s time limit, and the server child is killed on the way out.
import { fork } from 'node:child_process'
import { scrypt, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const args = process.argv.slice(2)
const option = (name, fallback, max) => {
  const at = args.indexOf(name)
  const value = at >= 0 && args[at + 1] !== undefined ? Number(args[at + 1]) : fallback
  return Math.max(1, Math.min(max, value))
}

// --- the server child ---------------------------------------------------------------------
if (args[0] === '--serve') {
  const { addUser, startServer } = await import(pathToFileURL(resolve('dist/server/index.js')).href)
  const dataDir = args[1]
  const user = { email: 'bench@example.com', password: 'bench correct horse battery' }
  addUser(dataDir, user.email, user.password, 'free')
  // interval 1 s: the shortest the server takes, so a code may be polled again soon.
  const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', interval: 1 })
  const memory = () => ({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 })
  process.on('message', async (message) => {
    if (message === 'memory') process.send({ memory: memory() })
    // The check a password login pays for (server/storage/accounts.ts parameters), timed in here where
    // the logins run.
    if (message === 'scrypt') {
      const at = performance.now()
      scrypt(user.password, randomBytes(16), 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, () =>
        process.send({ scryptMs: performance.now() - at }),
      )
    }
    if (message === 'stop') {
      await server.close()
      process.exit(0)
    }
  })
  process.on('disconnect', () => process.exit(0))
  process.send({ url: server.url, user, memory: memory() })
  await new Promise(() => {})
}

const LOGINS = option('--logins', 24, 1000)
const CODES = option('--codes', 3000, 20_000)
const POLLS = option('--polls', 6000, 100_000)
const ROUTE_REQUESTS = option('--route-requests', 300, 100_000)
const CONCURRENCY = option('--concurrency', 4, 64)
const MAX_SECONDS = option('--max-seconds', 240, 3600)
const asJson = args.includes('--json')
const deadline = Date.now() + MAX_SECONDS * 1000
const timeLeft = () => Date.now() < deadline
const stoppedEarly = []

const dataDir = mkdtempSync(join(tmpdir(), 'omicos-bench-server-'))
const child = fork(new URL(import.meta.url).pathname, ['--serve', dataDir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
const cleanup = () => {
  try {
    child.kill('SIGKILL')
  } catch {}
  rmSync(dataDir, { recursive: true, force: true })
}
process.on('exit', cleanup)
process.on('SIGINT', () => process.exit(130))

const fromChild = (key, ms = 30_000) =>
  new Promise((done, fail) => {
    const finish = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const timer = setTimeout(() => {
      finish()
      fail(new Error(`the server child did not answer ${key} within ${ms} ms`))
    }, ms)
    const onMessage = (message) => {
      if (message && key in message) {
        finish()
        done(message)
      }
    }
    const onExit = (code) => {
      finish()
      fail(new Error(`the server child exited (${code})`))
    }
    child.on('message', onMessage)
    child.on('exit', onExit)
  })
const started = await fromChild('url')
const { url, user } = started
const memory = async () => {
  const answer = fromChild('memory')
  child.send('memory')
  return (await answer).memory
}

// --- requests -----------------------------------------------------------------------------
const CLIENT_ID = 'omicos-cli'
const SCOPE = 'openid email offline_access'
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

const call = async (path, { form, json, token, method } = {}) => {
  const headers = {}
  let body
  if (form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(form).toString()
  } else if (json) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(json)
  }
  if (token) headers.authorization = `Bearer ${token}`
  const at = performance.now()
  const response = await fetch(url + path, { method: method ?? (body ? 'POST' : 'GET'), headers, body, signal: AbortSignal.timeout(10_000) })
  const parsed = await response.json()
  return { status: response.status, body: parsed, ms: performance.now() - at }
}
const passwordLogin = () => call('/token', { form: { grant_type: 'password', username: user.email, password: user.password, client_id: CLIENT_ID, scope: SCOPE } })

const expectStatus = (what, r, status) => {
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`)
  return r
}

/** Runs `task(i)` for i < count with `concurrency` at a time, until done or the deadline. */
const pool = async (count, concurrency, task) => {
  let next = 0
  const worker = async () => {
    while (next < count && timeLeft()) await task(next++)
  }
  const at = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { done: next, seconds: (performance.now() - at) / 1000 }
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}
const median = (values) => percentile(values, 50)

const scryptOnce = async () => {
  const answer = fromChild('scryptMs')
  child.send('scrypt')
  return (await answer).scryptMs
}

// --- the run ------------------------------------------------------------------------------
const memoryIdle = await memory()
const warm = expectStatus('warm-up login', await passwordLogin(), 200)
const userToken = warm.body.access_token

// 1. Password grant: one at a time, interleaved with a bare scrypt of the same cost run in the
// server process (scrypt share = median scrypt / median login), then `--concurrency` at a time for logins per second.
const loginMs = []
const scryptMs = []
for (let i = 0; i < LOGINS && timeLeft(); i++) {
  scryptMs.push(await scryptOnce())
  loginMs.push(expectStatus('password login', await passwordLogin(), 200).ms)
}
const concurrentLogins = await pool(LOGINS, CONCURRENCY, async () => expectStatus('password login', await passwordLogin(), 200))
if (loginMs.length < LOGINS || concurrentLogins.done < LOGINS) stoppedEarly.push('logins')

// 2. Device codes, then polls: round-robin over the codes, each code polled again only after
// the server's 1 s interval has passed since its last poll (a poll sooner answers slow_down,
// counted apart). 3,000 codes allow about 2,800 polls / s; `waited` in the report counts the
// polls held back by that pacing (when it is not 0, the rate measured is partly the pacing's:
// give more --codes).
const codes = []
const codeRun = await pool(CODES, CONCURRENCY, async () => {
  const r = expectStatus('device authorization', await call('/device/auth', { form: { client_id: CLIENT_ID, scope: SCOPE, process_name: 'bench', hostname: 'bench-host' } }), 200)
  codes.push({ deviceCode: r.body.device_code, lastPoll: 0 })
})
if (codeRun.done < CODES) stoppedEarly.push('device codes')
const pollCounts = { authorization_pending: 0, slow_down: 0, other: 0 }
const pollMs = []
let cursor = 0
let waited = 0
const pollRun = await pool(POLLS, CONCURRENCY, async () => {
  const code = codes[cursor++ % codes.length]
  const wait = code.lastPoll + 1_050 - performance.now()
  if (wait > 0) {
    waited++
    await new Promise((done) => setTimeout(done, wait))
  }
  code.lastPoll = performance.now()
  const r = await call('/token', { form: { grant_type: DEVICE_GRANT, device_code: code.deviceCode, client_id: CLIENT_ID } })
  pollMs.push(r.ms)
  const kind = r.body?.error
  if (kind === 'authorization_pending' || kind === 'slow_down') pollCounts[kind]++
  else pollCounts.other++
})
if (pollRun.done < POLLS) stoppedEarly.push('device polls')

// 3. The omicOS routes, one request at a time, the three routes interleaved.
const processReg = expectStatus('process registration', await call('/omicos/processes', { json: { process_id: 'local-bench', name: 'bench' }, token: userToken }), 200)
let processToken = processReg.body.process_token
const routeMs = { 'GET /omicos/account': [], 'POST /omicos/processes': [], 'GET /omicos/processes/current': [] }
for (let i = 0; i < ROUTE_REQUESTS && timeLeft(); i++) {
  routeMs['GET /omicos/account'].push(expectStatus('account', await call('/omicos/account', { token: userToken }), 200).ms)
  const reg = expectStatus('process registration', await call('/omicos/processes', { json: { process_id: `local-bench${i % 10}`, name: 'bench' }, token: userToken }), 200)
  routeMs['POST /omicos/processes'].push(reg.ms)
  processToken = reg.body.process_token
  routeMs['GET /omicos/processes/current'].push(expectStatus('current process', await call('/omicos/processes/current', { token: processToken }), 200).ms)
}
if (routeMs['GET /omicos/account'].length < ROUTE_REQUESTS) stoppedEarly.push('routes')

const memoryAfter = await memory()
child.send('stop')
await new Promise((done) => {
  const timer = setTimeout(done, 10_000)
  child.once('exit', () => {
    clearTimeout(timer)
    done()
  })
})

// --- the report ---------------------------------------------------------------------------
const mib = (bytes) => Number((bytes / 1048576).toFixed(1))
const round = (n, digits = 1) => Number(n.toFixed(digits))
const result = {
  date: new Date().toISOString().slice(0, 10),
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
  console.log(`| device polls / s (${d.polls} polls: ${d.answers.authorization_pending} pending, ${d.answers.slow_down} slow_down, ${d.answers.other} other; ${d.waitedForInterval} held back for the interval) | ${d.pollsPerSecond} |`)
  console.log(`| device poll p50 / p95 ms | ${d.pollP50Ms} / ${d.pollP95Ms} |`)
  for (const [route, r] of Object.entries(result.routes)) console.log(`| ${route} p50 / p95 ms (${r.requests} requests) | ${r.p50Ms} / ${r.p95Ms} |`)
  console.log(`| server RSS MiB: idle / after the load / peak | ${m.idleRssMiB} / ${m.afterRssMiB} / ${m.peakRssMiB} |`)
  if (stoppedEarly.length) console.log(`\nstopped early (--max-seconds ${MAX_SECONDS}): ${stoppedEarly.join(', ')}`)
}
process.exit(0)
