// Name look-ups in a child process, for the CLI. A look-up in the process itself is libuv's
// getaddrinfo on its thread pool, which nothing can cancel, and which Node waits for even in
// process.exit (libuv joins the pool's threads on the way out): with a name server that never
// answers, a command that has printed its error would stay alive for the resolver's timeout
// times its attempts, a minute and more. A child does the same getaddrinfo (the same
// nsswitch, /etc/hosts and search domains as curl or gh), and the CLI kills it at exit.
// Only the CLI uses it (effects/node/node-fetch.ts, lookUpHostsInChildProcess): a daemon
// embedding the package waits for its look-ups as any Node program does.
import { spawn, type ChildProcess } from 'node:child_process'
import dns from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'

type Address = { address: string; family: number }
type Answer = { addresses: Address[] } | { code: string; message: string }

// Run with `node -e`: the host and the family are its argv[1] and argv[2].
const CHILD = `require('node:dns').lookup(process.argv[1], { all: true, family: Number(process.argv[2]) || 0 }, (e, a) => process.stdout.write(JSON.stringify(e ? { code: e.code, message: e.message } : { addresses: a })))`

// A login makes a connection per request; one look-up per host serves them for a minute.
const KEEP_MS = 60_000
const answers = new Map<string, { at: number; answer: Promise<Answer> }>()
const running = new Set<ChildProcess>()
let killOnExit = false

const lookupInChild = (host: string, family: number): Promise<Answer> =>
  new Promise((resolve) => {
    let child: ChildProcess
    try {
      child = spawn(process.execPath, ['-e', CHILD, host, String(family)], { stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true })
    } catch {
      return resolve(inProcess(host, family))
    }
    running.add(child)
    if (!killOnExit) {
      killOnExit = true
      process.once('exit', () => {
        for (const each of running) each.kill('SIGKILL')
      })
    }
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    // A child that could not start or run says nothing: the look-up is made here instead.
    child.once('error', () => {
      running.delete(child)
      resolve(inProcess(host, family))
    })
    child.once('close', () => {
      running.delete(child)
      try {
        resolve(JSON.parse(out) as Answer)
      } catch {
        resolve(inProcess(host, family))
      }
    })
  })

const inProcess = (host: string, family: number): Promise<Answer> =>
  new Promise((resolve) =>
    dns.lookup(host, { all: true, family }, (error, addresses) => resolve(error ? { code: error.code ?? 'ENOTFOUND', message: error.message } : { addresses })),
  )

/** A `lookup` for net.connect and the agents that does getaddrinfo in a child process. */
export const childProcessLookup: LookupFunction = (host, options, callback) => {
  const family = typeof options.family === 'number' ? options.family : options.family === 'IPv6' ? 6 : options.family === 'IPv4' ? 4 : 0
  const all = Boolean(options.all)
  const done = (answer: Answer) => {
    if ('code' in answer) {
      const error = Object.assign(new Error(answer.message), { code: answer.code, errno: undefined, syscall: 'getaddrinfo', hostname: host })
      return callback(error as NodeJS.ErrnoException, all ? [] : '', 0)
    }
    if (all) return (callback as unknown as (e: null, a: Address[]) => void)(null, answer.addresses)
    const first = answer.addresses[0]!
    return callback(null, first.address, first.family)
  }
  // An address needs no look-up, and neither does a name the child would answer from a file in
  // no time: only a name goes to the child.
  const literal = isIP(host)
  if (literal) return void process.nextTick(done, { addresses: [{ address: host, family: literal }] })
  const key = `${family}\u0000${host}`
  const now = Date.now()
  let known = answers.get(key)
  if (!known || now - known.at > KEEP_MS) {
    known = { at: now, answer: lookupInChild(host, family) }
    answers.set(key, known)
    // A failure is not kept: the next request asks again.
    void known.answer.then((answer) => {
      if ('code' in answer) answers.delete(key)
    })
  }
  void known.answer.then(done)
}
