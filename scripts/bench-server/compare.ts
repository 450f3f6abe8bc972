// Poll throughput side by side on the same load: a stock node-oidc-provider with its device
// flow only (in-memory storage), the reference server on SQLite, and with --postgres
// --instances N reference servers on one PostgreSQL (the load split between them). Rounds are
// interleaved, so a machine that drifts slows every server alike; the report gives each one's
// median and its ratio to stock.
//
//   node scripts/build.mjs && node dist/scripts/bench-server/compare.js [--codes 4000] [--polls 8000]
//        [--concurrency 32] [--rounds 3] [--postgres [--instances 2]] [--max-seconds 300] [--json]
//
// Bounded: every round has a request count and all share one deadline (--max-seconds); every
// server child is killed and every temporary folder removed on the way out.
import { cpus } from 'node:os'
import {
  answerKind,
  args,
  issue,
  option,
  percentile,
  poll,
  pool,
  postgresServers,
  round,
  serve,
  sleep,
  sqliteServer,
  stopPostgres,
  today,
  type ServerChild,
} from './common.js'

const MAX = option('--max-seconds', 300, 3600)
const stopAt = Date.now() + MAX * 1000
const inTime = () => Date.now() < stopAt
const usePostgres = args.includes('--postgres')
// With --postgres: how many reference instances share the database (the load is split between them).
const instances = option('--instances', 2, 8)
const codesN = option('--codes', 4000, 20_000)
const pollsN = option('--polls', 8000, 200_000)
const concurrency = option('--concurrency', 32, 256)
const rounds = option('--rounds', 3, 10)

// Round-robin over the codes, each polled again only 1.05 s after its last poll, so the
// reference server (interval 1 s) never has reason to answer slow_down; stock is held to the same.
const throughput = async (bases: string[]) => {
  const codes: { deviceCode: string; last: number }[] = []
  await pool(codesN, concurrency, inTime, async (i) => {
    codes.push({ deviceCode: await issue(bases[i % bases.length]), last: 0 })
  })
  await sleep(1_100)
  const answers: Record<string, number> = {}
  let cursor = 0
  let held = 0
  const run = await pool(pollsN, concurrency, inTime, async (i) => {
    const code = codes[cursor++ % codes.length]
    const wait = code.last + 1_050 - performance.now()
    if (wait > 0) {
      held++
      await sleep(wait)
    }
    code.last = performance.now()
    const kind = answerKind(await poll(bases[i % bases.length], code.deviceCode))
    answers[kind] = (answers[kind] ?? 0) + 1
  })
  return { pollsPerSecond: run.done / run.seconds, polls: run.done, answers, held }
}

const subjects: [string, () => Promise<ServerChild[]>][] = [
  ['stock node-oidc-provider (memory)', async () => [await serve('stock-server.js', [])]],
  ['reference server, SQLite', async () => [await sqliteServer()]],
]
if (usePostgres) subjects.push([`reference server, ${instances} instance${instances === 1 ? '' : 's'} on PostgreSQL`, () => postgresServers(instances)])
const results = subjects.map(([name]) => ({ name, rates: [] as number[], answers: {} as Record<string, number>, held: 0 }))
for (let turn = 0; turn < rounds && inTime(); turn++) {
  for (const [index, [, start]] of subjects.entries()) {
    const servers = await start()
    const r = await throughput(servers.map((server) => server.url))
    for (const server of servers) await server.stop()
    results[index].rates.push(r.pollsPerSecond)
    for (const [kind, n] of Object.entries(r.answers)) results[index].answers[kind] = (results[index].answers[kind] ?? 0) + n
    results[index].held += r.held
  }
}
await stopPostgres()

const stock = percentile(results[0].rates, 50)
const report = results.map((r) => ({
  server: r.name,
  pollsPerSecondMedian: round(percentile(r.rates, 50)),
  rounds: r.rates.map((rate) => round(rate)),
  ratioToStock: round(percentile(r.rates, 50) / stock, 2),
  answers: r.answers,
  heldForInterval: r.held,
}))
if (args.includes('--json')) {
  console.log(JSON.stringify({ date: today(), node: process.version, cpus: cpus().length, codes: codesN, polls: pollsN, concurrency, report }, null, 2))
} else {
  console.log(
    `Poll throughput, ${concurrency} at a time, ${codesN} codes, ${pollsN} polls a round, ${rounds} interleaved rounds (median), ${today()}, Node ${process.version}, ${cpus().length} cores`,
  )
  console.log('')
  console.log('| server | polls / s (median) | rounds | × stock | answers |')
  console.log('| --- | ---: | --- | ---: | --- |')
  for (const r of report) {
    const answers = Object.entries(r.answers)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')
    console.log(`| ${r.server} | ${r.pollsPerSecondMedian} | ${r.rounds.join(', ')} | ${r.ratioToStock} | ${answers} |`)
  }
}
process.exit(0)
