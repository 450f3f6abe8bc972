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
//
// Two more runs, each on its own (they replace the run above):
//
//   --compare [--codes 4000] [--polls 8000] [--concurrency 32] [--rounds 3] [--postgres [--instances 2]]
//     Poll throughput side by side on the same load: a stock node-oidc-provider with its device
//     flow only (in-memory storage), the reference server on SQLite, and with --postgres two
//     reference servers on one PostgreSQL (the load split between them). Rounds are interleaved.
//   --paced [--pairings 1000] [--burst 1000] [--seconds 20] [--postgres | --stock] [--staggered]
//     1,000 pending pairings, each polled by a conforming client (it waits the interval, 1 s,
//     after every answer, and 5 s more after a slow_down), started right after the codes were
//     issued, plus a burst of new pairings meanwhile: poll p50/p99 and the slow_downs those
//     clients were sent, and the same for the polls sent from the 3rd second on (past the first
//     round, which all clients send at once). With --postgres, on two instances sharing one
//     PostgreSQL; with --stock, on a stock node-oidc-provider, for comparison. With --staggered
//     each client starts as soon as its own code is issued instead of all in one instant.
//
// --postgres starts Debian's PostgreSQL in a temporary folder on a loopback port (the specs'
// spec/support/postgres.ts, built to dist/spec) and removes it after.
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

// --- the server children of --compare and --paced -------------------------------------------
if (args[0] === '--serve-stock') {
  // node-oidc-provider as it comes: device flow only, its development keys, storage in a plain
  // Map (the library's own memory adapter is an LRU of 1,000 entries, which would drop codes
  // of the larger loads and answer invalid_grant).
  const { createServer } = await import('node:http')
  const { default: Provider } = await import('oidc-provider')
  const http = createServer()
  await new Promise((done) => http.listen(0, '127.0.0.1', done))
  const issuer = `http://127.0.0.1:${http.address().port}`
  const models = new Map()
  const key = (model, id) => `${model}:${id}`
  const adapter = (model) => ({
    upsert: async (id, payload) => {
      models.set(key(model, id), payload)
      if (payload.userCode) models.set(key(`${model}:userCode`, payload.userCode), id)
    },
    find: async (id) => models.get(key(model, id)),
    findByUserCode: async (userCode) => models.get(key(model, models.get(key(`${model}:userCode`, userCode)))),
    findByUid: async () => undefined,
    consume: async (id) => {
      const payload = models.get(key(model, id))
      if (payload) payload.consumed = Math.floor(Date.now() / 1000)
    },
    destroy: async (id) => models.delete(key(model, id)),
    revokeByGrantId: async () => {},
  })
  const provider = new Provider(issuer, {
    adapter,
    clients: [{ client_id: 'omicos-cli', token_endpoint_auth_method: 'none', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [], redirect_uris: [] }],
    scopes: ['openid', 'email', 'offline_access'],
    features: { devInteractions: { enabled: false }, deviceFlow: { enabled: true } },
  })
  provider.on('error', () => {})
  http.on('request', provider.callback())
  process.on('disconnect', () => process.exit(0))
  process.on('message', (message) => message === 'stop' && process.exit(0))
  process.send({ url: issuer })
  await new Promise(() => {})
}
if (args[0] === '--serve-store') {
  const { startServer } = await import(pathToFileURL(resolve('dist/server/index.js')).href)
  const server = await startServer({ dataDir: args[1], port: 0, host: '127.0.0.1', interval: 1 })
  process.on('disconnect', () => process.exit(0))
  process.on('message', async (message) => {
    if (message === 'stop') {
      await server.close()
      process.exit(0)
    }
  })
  process.send({ url: server.url })
  await new Promise(() => {})
}
if (args.includes('--compare') || args.includes('--paced')) {
  const MAX = option('--max-seconds', 300, 3600)
  const stopAt = Date.now() + MAX * 1000
  const inTime = () => Date.now() < stopAt
  const usePostgres = args.includes('--postgres')
  // With --postgres: how many reference instances share the database (the load is split between them).
  const instances = option('--instances', 2, 8)
  const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
  const children = new Set()
  const folders = []
  let postgres
  const cleanupAll = () => {
    for (const c of children) {
      try {
        c.kill('SIGKILL')
      } catch {}
    }
    for (const folder of folders) rmSync(folder, { recursive: true, force: true })
  }
  process.on('exit', cleanupAll)
  process.on('SIGINT', () => process.exit(130))

  const serve = (childArgs) => new Promise((done, fail) => {
    const c = fork(new URL(import.meta.url).pathname, childArgs, { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] })
    children.add(c)
    const timer = setTimeout(() => fail(new Error(`${childArgs[0]} did not start within 30 s`)), 30_000)
    c.once('message', (message) => {
      clearTimeout(timer)
      done({ url: message.url, stop: () => new Promise((stopped) => {
        const t = setTimeout(() => { c.kill('SIGKILL'); stopped() }, 10_000)
        c.once('exit', () => { clearTimeout(t); children.delete(c); stopped() })
        c.send('stop')
      }) })
    })
    c.once('exit', (code) => fail(new Error(`${childArgs[0]} exited (${code})`)))
  })
  const sqliteServer = () => {
    const folder = mkdtempSync(join(tmpdir(), 'omicos-bench-server-'))
    folders.push(folder)
    return serve(['--serve-store', folder])
  }
  const postgresServers = async (count) => {
    if (!postgres) {
      const { startPostgres } = await import(pathToFileURL(resolve('dist/spec/support/postgres.js')).href)
      postgres = await startPostgres()
    }
    const database = await postgres.createDatabase()
    const first = await serve(['--serve-store', database]) // creates the schema before the others start
    const rest = await Promise.all(Array.from({ length: count - 1 }, () => serve(['--serve-store', database])))
    return [first, ...rest]
  }

  const post = async (base, path, form) => {
    const at = performance.now()
    const response = await fetch(base + path, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(), signal: AbortSignal.timeout(10_000),
    })
    const body = await response.json()
    return { status: response.status, body, ms: performance.now() - at }
  }
  const issue = async (base) => {
    const r = await post(base, '/device/auth', { client_id: 'omicos-cli', scope: 'openid email offline_access' })
    if (r.status !== 200) throw new Error(`device authorization: HTTP ${r.status} ${JSON.stringify(r.body)}`)
    return r.body.device_code
  }
  const poll = (base, deviceCode) => post(base, '/token', { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: 'omicos-cli' })
  const runPool = async (count, concurrency, task) => {
    let next = 0
    const at = performance.now()
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count && inTime()) await task(next++)
    }))
    return { done: next, seconds: (performance.now() - at) / 1000 }
  }
  const pct = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b)
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN
  }
  const r1 = (n) => Number(n.toFixed(1))
  const sleepMs = (ms) => new Promise((done) => setTimeout(done, Math.max(0, ms)))

  if (args.includes('--compare')) {
    const codesN = option('--codes', 4000, 20_000)
    const pollsN = option('--polls', 8000, 200_000)
    const concurrency = option('--concurrency', 32, 256)
    const rounds = option('--rounds', 3, 10)
    // Round-robin over the codes, each polled again only 1.05 s after its last poll, so the
    // reference server (interval 1 s) never has reason to answer slow_down; stock is held to the same.
    const throughput = async (bases) => {
      const codes = []
      await runPool(codesN, concurrency, async (i) => {
        const base = bases[i % bases.length]
        codes.push({ deviceCode: await issue(base), last: 0 })
      })
      await sleepMs(1_100)
      const answers = {}
      let cursor = 0
      let held = 0
      const run = await runPool(pollsN, concurrency, async (i) => {
        const code = codes[cursor++ % codes.length]
        const wait = code.last + 1_050 - performance.now()
        if (wait > 0) {
          held++
          await sleepMs(wait)
        }
        code.last = performance.now()
        const r = await poll(bases[i % bases.length], code.deviceCode)
        const kind = r.body?.error ?? String(r.status)
        answers[kind] = (answers[kind] ?? 0) + 1
      })
      return { pollsPerSecond: run.done / run.seconds, polls: run.done, answers, held }
    }
    const subjects = [['stock node-oidc-provider (memory)', async () => [await serve(['--serve-stock'])]], ['reference server, SQLite', async () => [await sqliteServer()]]]
    if (usePostgres) subjects.push([`reference server, ${instances} instance${instances === 1 ? '' : 's'} on PostgreSQL`, () => postgresServers(instances)])
    const results = subjects.map(([name]) => ({ name, rates: [], answers: {}, held: 0 }))
    for (let round = 0; round < rounds && inTime(); round++) {
      for (const [index, [, start]] of subjects.entries()) {
        const servers = await start()
        const r = await throughput(servers.map((server) => server.url))
        for (const server of servers) await server.stop()
        results[index].rates.push(r.pollsPerSecond)
        for (const [kind, n] of Object.entries(r.answers)) results[index].answers[kind] = (results[index].answers[kind] ?? 0) + n
        results[index].held += r.held
      }
    }
    const stock = pct(results[0].rates, 50)
    const report = results.map((r) => ({ server: r.name, pollsPerSecondMedian: r1(pct(r.rates, 50)), rounds: r.rates.map(r1), ratioToStock: Number((pct(r.rates, 50) / stock).toFixed(2)), answers: r.answers, heldForInterval: r.held }))
    if (args.includes('--json')) console.log(JSON.stringify({ date: new Date().toISOString().slice(0, 10), node: process.version, cpus: cpus().length, codes: codesN, polls: pollsN, concurrency, report }, null, 2))
    else {
      console.log(`Poll throughput, ${concurrency} at a time, ${codesN} codes, ${pollsN} polls a round, ${rounds} interleaved rounds (median), ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores`)
      console.log('')
      console.log('| server | polls / s (median) | rounds | × stock | answers |')
      console.log('| --- | ---: | --- | ---: | --- |')
      for (const r of report) console.log(`| ${r.server} | ${r.pollsPerSecondMedian} | ${r.rounds.join(', ')} | ${r.ratioToStock} | ${Object.entries(r.answers).map(([k, n]) => `${n} ${k}`).join(', ')} |`)
    }
  } else {
    const pairings = option('--pairings', 1000, 5000)
    const burst = option('--burst', 1000, 20_000)
    const seconds = option('--seconds', 20, 600)
    // --stock: the same load on node-oidc-provider as it comes (no pacing, codes in memory), to
    // tell what the load itself costs from what the reference server adds.
    const useStock = args.includes('--stock')
    const servers = useStock ? [await serve(['--serve-stock'])] : usePostgres ? await postgresServers(instances) : [await sqliteServer()]
    const bases = servers.map((server) => server.url)
    // --staggered: each client starts polling as soon as its own code is issued, as a terminal
    // does, so the pollers are spread over the time the codes took to issue (about a second);
    // without it they all start in the same instant, right after the last code was issued.
    const staggered = args.includes('--staggered')
    const latencies = []
    // Polls sent from the 3rd second on: past the first round, which every client sends at once.
    const laterLatencies = []
    const answers = {}
    let slowDowns = 0
    let startedAt = performance.now()
    let endAt = startedAt + seconds * 1000
    const codes = []
    const clients = []
    await runPool(pairings, 32, async (i) => {
      const code = { deviceCode: await issue(bases[i % bases.length]), index: i }
      codes.push(code)
      if (staggered) clients.push(client(code))
    })
    if (!staggered) {
      startedAt = performance.now()
      endAt = startedAt + seconds * 1000
      clients.push(...codes.map((code) => client(code)))
    }
    async function client({ deviceCode, index }) {
      let interval = 1_000
      let turn = 0
      while (performance.now() < endAt && inTime()) {
        const sentAt = performance.now()
        // An answer that takes longer than 10 s is counted as a timeout (and its wait as 10 s).
        const r = await poll(bases[(index + turn++) % bases.length], deviceCode).catch(() => ({ ms: performance.now() - sentAt, body: { error: 'no answer within 10 s' } }))
        latencies.push(r.ms)
        if (sentAt - startedAt >= 2_000) laterLatencies.push(r.ms)
        const kind = r.body?.error ?? String(r.status)
        answers[kind] = (answers[kind] ?? 0) + 1
        if (kind === 'slow_down') {
          slowDowns++
          interval += 5_000
        }
        await sleepMs(interval)
      }
    }
    // The burst: new pairings issued 32 at a time from the 2nd second on, while the others poll.
    const burstRun = (async () => {
      await sleepMs(2_000)
      return runPool(burst, 32, async (i) => {
        await issue(bases[i % bases.length]).catch(() => {})
      })
    })()
    const [burstDone] = await Promise.all([burstRun, Promise.all(clients)])
    for (const server of servers) await server.stop()
    const result = {
      date: new Date().toISOString().slice(0, 10), node: process.version, cpus: cpus().length,
      store: useStock ? 'stock node-oidc-provider (memory)' : usePostgres ? `${instances} instance${instances === 1 ? '' : 's'} on one PostgreSQL` : 'SQLite',
      start: staggered ? 'each client from its own code' : 'all clients at once',
      pairings: codes.length, seconds, burst: { issued: burstDone.done, perSecond: r1(burstDone.done / burstDone.seconds) },
      polls: latencies.length, pollP50Ms: r1(pct(latencies, 50)), pollP99Ms: r1(pct(latencies, 99)), pollMaxMs: r1(Math.max(...latencies)),
      laterPolls: laterLatencies.length, laterPollP50Ms: r1(pct(laterLatencies, 50)), laterPollP99Ms: r1(pct(laterLatencies, 99)),
      slowDownsToConformingClients: slowDowns, answers,
    }
    if (args.includes('--json')) console.log(JSON.stringify(result, null, 2))
    else {
      console.log(`Paced run, ${result.store}, ${result.start}: ${result.pairings} pending pairings polled by conforming clients (1 s after each answer) for ${seconds} s, plus ${result.burst.issued} new pairings from the 2nd second (${result.burst.perSecond} / s), ${result.date}, Node ${result.node}, ${result.cpus} cores`)
      console.log('')
      console.log('| measure | value |')
      console.log('| --- | ---: |')
      console.log(`| polls | ${result.polls} |`)
      console.log(`| poll p50 / p99 / max ms | ${result.pollP50Ms} / ${result.pollP99Ms} / ${result.pollMaxMs} |`)
      console.log(`| polls sent from the 3rd second on: count, p50 / p99 ms | ${result.laterPolls}, ${result.laterPollP50Ms} / ${result.laterPollP99Ms} |`)
      console.log(`| slow_down sent to conforming clients | ${slowDowns} |`)
      console.log(`| answers | ${Object.entries(answers).map(([k, n]) => `${n} ${k}`).join(', ')} |`)
    }
  }
  if (postgres) await postgres.stop()
  process.exit(0)
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
