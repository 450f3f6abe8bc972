// 1,000 pending pairings, each polled by a conforming client (it waits the interval, 1 s,
// after every answer, and 5 s more after a slow_down), started right after the codes were
// issued, plus a burst of new pairings meanwhile: poll p50/p99 and the slow_downs those
// clients were sent, and the same for the polls sent from the 3rd second on (past the first
// round, which all clients send at once). With --postgres, on --instances servers sharing one
// PostgreSQL; with --stock, on a stock node-oidc-provider, for comparison. With --staggered
// each client starts as soon as its own code is issued instead of all in one instant.
//
//   node scripts/build.mjs && node dist/scripts/bench-server/paced.js [--pairings 1000] [--burst 1000]
//        [--seconds 20] [--postgres [--instances 2] | --stock] [--staggered] [--max-seconds 300] [--json]
//
// Bounded: --seconds of polling within one deadline (--max-seconds), a 10 s limit on every
// request; every server child is killed and every temporary folder removed on the way out.
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
  type Answer,
} from './common.js'

const MAX = option('--max-seconds', 300, 3600)
const stopAt = Date.now() + MAX * 1000
const inTime = () => Date.now() < stopAt
const usePostgres = args.includes('--postgres')
const instances = option('--instances', 2, 8)
const pairings = option('--pairings', 1000, 5000)
const burst = option('--burst', 1000, 20_000)
const seconds = option('--seconds', 20, 600)
// --stock: the same load on node-oidc-provider as it comes (no pacing, codes in memory), to
// tell what the load itself costs from what the reference server adds.
const useStock = args.includes('--stock')
const servers = useStock ? [await serve('stock-server.js', [])] : usePostgres ? await postgresServers(instances) : [await sqliteServer()]
const bases = servers.map((server) => server.url)
// --staggered: each client starts polling as soon as its own code is issued, as a terminal
// does, so the pollers are spread over the time the codes took to issue (about a second);
// without it they all start in the same instant, right after the last code was issued.
const staggered = args.includes('--staggered')
const latencies: number[] = []
// Polls sent from the 3rd second on: past the first round, which every client sends at once.
const laterLatencies: number[] = []
const answers: Record<string, number> = {}
let slowDowns = 0
let startedAt = performance.now()
let endAt = startedAt + seconds * 1000

const client = async ({ deviceCode, index }: { deviceCode: string; index: number }) => {
  let interval = 1_000
  let turn = 0
  while (performance.now() < endAt && inTime()) {
    const sentAt = performance.now()
    // An answer that takes longer than 10 s is counted as a timeout (and its wait as 10 s).
    const r: Pick<Answer, 'ms'> & Partial<Answer> = await poll(bases[(index + turn++) % bases.length], deviceCode).catch(() => ({
      ms: performance.now() - sentAt,
      body: { error: 'no answer within 10 s' },
    }))
    latencies.push(r.ms)
    if (sentAt - startedAt >= 2_000) laterLatencies.push(r.ms)
    const kind = answerKind(r)
    answers[kind] = (answers[kind] ?? 0) + 1
    if (kind === 'slow_down') {
      slowDowns++
      interval += 5_000
    }
    await sleep(interval)
  }
}

const codes: { deviceCode: string; index: number }[] = []
const clients: Promise<void>[] = []
await pool(pairings, 32, inTime, async (i) => {
  const code = { deviceCode: await issue(bases[i % bases.length]), index: i }
  codes.push(code)
  if (staggered) clients.push(client(code))
})
if (!staggered) {
  startedAt = performance.now()
  endAt = startedAt + seconds * 1000
  clients.push(...codes.map((code) => client(code)))
}
// The burst: new pairings issued 32 at a time from the 2nd second on, while the others poll.
const burstRun = (async () => {
  await sleep(2_000)
  return pool(burst, 32, inTime, async (i) => {
    await issue(bases[i % bases.length]).catch(() => {})
  })
})()
const [burstDone] = await Promise.all([burstRun, Promise.all(clients)])
for (const server of servers) await server.stop()
await stopPostgres()

const result = {
  date: today(),
  node: process.version,
  cpus: cpus().length,
  store: useStock ? 'stock node-oidc-provider (memory)' : usePostgres ? `${instances} instance${instances === 1 ? '' : 's'} on one PostgreSQL` : 'SQLite',
  start: staggered ? 'each client from its own code' : 'all clients at once',
  pairings: codes.length,
  seconds,
  burst: { issued: burstDone.done, perSecond: round(burstDone.done / burstDone.seconds) },
  polls: latencies.length,
  pollP50Ms: round(percentile(latencies, 50)),
  pollP99Ms: round(percentile(latencies, 99)),
  pollMaxMs: round(Math.max(...latencies)),
  laterPolls: laterLatencies.length,
  laterPollP50Ms: round(percentile(laterLatencies, 50)),
  laterPollP99Ms: round(percentile(laterLatencies, 99)),
  slowDownsToConformingClients: slowDowns,
  answers,
}
if (args.includes('--json')) {
  console.log(JSON.stringify(result, null, 2))
} else {
  console.log(
    `Paced run, ${result.store}, ${result.start}: ${result.pairings} pending pairings polled by conforming clients (1 s after each answer) for ${seconds} s, plus ${result.burst.issued} new pairings from the 2nd second (${result.burst.perSecond} / s), ${result.date}, Node ${result.node}, ${result.cpus} cores`,
  )
  console.log('')
  console.log('| measure | value |')
  console.log('| --- | ---: |')
  console.log(`| polls | ${result.polls} |`)
  console.log(`| poll p50 / p99 / max ms | ${result.pollP50Ms} / ${result.pollP99Ms} / ${result.pollMaxMs} |`)
  console.log(`| polls sent from the 3rd second on: count, p50 / p99 ms | ${result.laterPolls}, ${result.laterPollP50Ms} / ${result.laterPollP99Ms} |`)
  console.log(`| slow_down sent to conforming clients | ${slowDowns} |`)
  console.log(
    `| answers | ${Object.entries(answers)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')} |`,
  )
}
process.exit(0)
