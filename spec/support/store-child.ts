// A child process for the store specs, to be killed or run as another user. Its first line is
// `pid <pid>`; then, by the command in argv[2] (options as JSON in argv[3]):
//   write     persistLogin of versions `from`..`to` of one account (storeVersion), one line `wrote <i>` each
//   login     a password login through the Node API against a server, `done <kind>`
//   preflight checkLoginTargets, `ok` or `error <kind> <message>`
//   renew     resolveCredentials (a user token near its end is renewed), `resolved <renewed|same>`
//   hold      takes the lock of `file` (`purpose`), `held`; after `holdMs`, the fence before a
//             rename: `fence ok` or `fence lost`; then `released`
//   acquire   takes the lock of `file` within `waitMs`: `acquired` (released at once)
//   refresh   refreshProcessToken once (after `go` exists, when given: a barrier), then asks the
//             server whether the token it was handed works: `done refreshed=<bool> token=live|dead`,
//             or `done none`. With `stopAfterRegistration`, stops itself (SIGSTOP) the moment the
//             registration's answer arrives, `registered` said first; with `rejectFileToken`,
//             says the token in the file was refused (the daemon's 401)
//   daemon    what a daemon does for `forMs`: refresh when due, check its token with the server,
//             and on a 401 refresh with the token rejected; `done gone|<kind> rounds=<n>`
// Tokens are never printed: a child says only whether the server accepts what it holds.
// Every failure is one line `error <kind> <message>` (after `reason <reason>` when it has one) and exit code 1.
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { login, refreshProcessToken, resolveCredentials } from '../../effects/node/api.js'
import { nodeFetch } from '../../effects/node/node-fetch.js'
import { acquireLock, assertLocksHeld } from '../../effects/store/lock.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { checkLoginTargets, persistLogin, readActive } from '../../effects/store/index.js'
import { storeVersion } from './store-files.js'
import { wordsOf } from './failure-words.js'

const [command, json = '{}'] = process.argv.slice(2)
const options = JSON.parse(json) as Record<string, any>
const say = (line: string) => process.stdout.write(`${line}\n`)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** Whether the server accepts `token` as a process token (the daemon's heartbeat). */
const works = async (server: string, token: string): Promise<boolean> =>
  (await fetch(`${server}/omicos/processes/current`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) })).status === 200
say(`pid ${process.pid}`)

try {
  const loc = { home: options.home, cwd: options.cwd, env: {}, workspaceOnly: Boolean(options.workspaceOnly), lock: { waitMs: 15_000 } }
  if (command === 'write') {
    for (let i = options.from as number; i <= (options.to as number); i++) {
      await persistLogin(loc, storeVersion(i))
      say(`wrote ${i}`)
    }
  } else if (command === 'login') {
    const out = await login({
      server: options.server,
      home: options.home,
      cwd: options.cwd,
      env: {},
      email: options.email,
      password: options.password,
      force: Boolean(options.force),
      prompts: false,
    })
    say(`done ${out.kind}${out.kind === 'failed' ? ` ${out.failure.kind}` : ''}`)
  } else if (command === 'renew') {
    const before = (await import('node:fs')).readFileSync(options.file, 'utf8')
    const active = await resolveCredentials({ home: options.home, cwd: options.cwd, env: {} })
    const after = (await import('node:fs')).readFileSync(options.file, 'utf8')
    // What it was handed, without the token: how long it has left, and a fingerprint of it.
    const handed = active?.credentials
    const left = handed?.user_token_expires_at ? Date.parse(handed.user_token_expires_at) - Date.now() : null
    const print = handed ? createHash('sha256').update(handed.user_token).digest('hex').slice(0, 12) : 'none'
    say(`resolved ${active && before !== after ? 'renewed' : 'same'} left=${left} token=${print}`)
  } else if (command === 'preflight') {
    await checkLoginTargets(loc)
    say('ok')
  } else if (command === 'hold') {
    const release = await acquireLock(options.file, { purpose: options.purpose ?? 'write', waitMs: options.waitMs ?? 15_000 })
    say('held')
    await sleep(options.holdMs as number)
    const fenced = await assertLocksHeld([options.file]).then(
      () => 'ok',
      () => 'lost',
    )
    say(`fence ${fenced}`)
    await release()
    say('released')
  } else if (command === 'acquire') {
    const release = await acquireLock(options.file, { waitMs: options.waitMs as number })
    say('acquired')
    await release()
  } else if (command === 'refresh') {
    const base = nodeFetch()
    const fetch = async (url: string, init?: RequestInit) => {
      const answer = await base(url, init)
      if (options.stopAfterRegistration && init?.method === 'POST' && new URL(url).pathname === '/omicos/processes') {
        say('registered')
        process.kill(process.pid, 'SIGSTOP')
      }
      return answer
    }
    const where = { home: options.home, cwd: options.cwd, env: {} }
    const rejected = options.rejectFileToken ? (await readActive(where))?.credentials.process_token : undefined
    if (options.go) {
      say('ready')
      while (!existsSync(options.go)) await sleep(5)
    }
    const result = await refreshProcessToken({ ...where, fetch, minValidityMs: options.minValidityMs, rejectedProcessToken: rejected })
    if (!result) say('done none')
    else say(`done refreshed=${result.refreshed} token=${(await works(options.server, result.credentials.process_token)) ? 'live' : 'dead'}`)
  } else if (command === 'daemon') {
    const where = { home: options.home, cwd: options.cwd, env: {} }
    const until = Date.now() + (options.forMs as number)
    let rounds = 0
    let outcome = 'alive'
    try {
      while (Date.now() < until) {
        rounds++
        let held = await refreshProcessToken({ ...where, minValidityMs: options.minValidityMs })
        if (held && !(await works(options.server, held.credentials.process_token))) {
          held = await refreshProcessToken({ ...where, minValidityMs: options.minValidityMs, rejectedProcessToken: held.credentials.process_token })
        }
        if (!held) {
          outcome = 'gone'
          break
        }
        await sleep(options.pauseMs ?? 20)
      }
    } catch (error) {
      if (!(error instanceof EngineError)) throw error
      outcome = error.kind
    }
    say(`done ${outcome} rounds=${rounds}`)
  } else {
    throw new Error(`unknown command ${command}`)
  }
} catch (error) {
  if (error instanceof EngineError && error.reason) say(`reason ${error.reason}`)
  if (error instanceof EngineError) say(`error ${error.kind} ${wordsOf(error)}`)
  else say(`error crash ${String(error)}`)
  process.exitCode = 1
}
