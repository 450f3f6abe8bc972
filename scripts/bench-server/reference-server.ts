// A child of the bench-server scripts: the reference server on 127.0.0.1, a free port, with a
// device interval of 1 s (the shortest it takes, so a code may be polled again soon).
//
//   reference-server.js <data folder or postgres:// address> [--user]
//
// With --user it first adds a bench account (sent to the parent with the address) and answers
// "memory" (its RSS and peak RSS) and "scrypt" (one bare scrypt of a login's cost, timed in
// here, where the logins run). It sends { url } once it listens and exits on "stop" or when its
// parent goes.
import { randomBytes, scrypt } from 'node:crypto'
import { addUser, startServer } from '../../server/index.js'
import type { Memory, Started } from './common.js'

const [dataDir, flag] = process.argv.slice(2)
if (!dataDir) throw new Error('usage: reference-server.js <data folder or postgres:// address> [--user]')
const user = { email: 'bench@example.com', password: 'bench correct horse battery' }
const withUser = flag === '--user'
if (withUser) addUser(dataDir, user.email, user.password, 'free')
const server = await startServer({ dataDir, port: 0, host: '127.0.0.1', interval: 1 })
const memory = (): Memory => ({ rss: process.memoryUsage().rss, maxRss: process.resourceUsage().maxRSS * 1024 })
const send = (message: object) => process.send?.(message)
process.on('message', async (message) => {
  if (message === 'memory') send({ memory: memory() })
  // The check a password login pays for (server/storage/accounts.ts parameters).
  if (message === 'scrypt') {
    const at = performance.now()
    scrypt(user.password, randomBytes(16), 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, () => send({ scryptMs: performance.now() - at }))
  }
  if (message === 'stop') {
    await server.close()
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(0))
const started: Started = withUser ? { url: server.url, user, memory: memory() } : { url: server.url }
send(started)
