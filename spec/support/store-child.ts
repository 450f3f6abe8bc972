// A child process for the store specs, to be killed or run as another user. Its first line is
// `pid <pid>`; then, by the command in argv[2] (options as JSON in argv[3]):
//   write     persistLogin of versions `from`..`to` of one account (storeVersion), one line `wrote <i>` each
//   login     a password login through the Node API against a server, `done <kind>`
//   preflight checkLoginTargets, `ok` or `error <kind> <message>`
//   renew     resolveCredentials (a user token near its end is renewed), `resolved <renewed|same>`
// Every failure is one line `error <kind> <message>` (after `reason <reason>` when it has one) and exit code 1.
import { createHash } from 'node:crypto'
import { login, resolveCredentials } from '../../effects/node/api.js'
import { EngineError } from '../../effects/client/engine-error.js'
import { checkLoginTargets, persistLogin } from '../../effects/store/credential-store.js'
import { storeVersion } from './store-files.js'

const [command, json = '{}'] = process.argv.slice(2)
const options = JSON.parse(json) as Record<string, any>
const say = (line: string) => process.stdout.write(`${line}\n`)
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
  } else {
    throw new Error(`unknown command ${command}`)
  }
} catch (error) {
  if (error instanceof EngineError && error.reason) say(`reason ${error.reason}`)
  if (error instanceof EngineError) say(`error ${error.kind} ${error.message}`)
  else say(`error crash ${String(error)}`)
  process.exitCode = 1
}
