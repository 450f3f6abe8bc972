// `npm run demo`: both logins, start to end, against the reference server on loopback, in a
// temporary omicOS home (never the real ~/.omicos). On a terminal you type the printed
// credentials and approve the pairing in a browser or with Enter; without one, everything is
// answered for you. Everything it made is removed at the end, also on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { addUser, decidePairing, startServer, type RunningServer } from '../server/index.js'

const BIN = resolve(import.meta.dirname, '../cli/omicos.cjs')
const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)
const root = mkdtempSync(join(tmpdir(), 'omicos-demo-'))
const dataDir = join(root, 'server-data')
const home = join(root, 'home')
const workspace = join(root, 'my-analysis')
mkdirSync(workspace, { recursive: true })
const email = 'demo@omicos.example'
const password = `demo-${randomBytes(6).toString('hex')}`

let server: RunningServer | null = null
const children = new Set<ChildProcess>()
let cleaned = false
const cleanup = async () => {
  if (cleaned) return
  cleaned = true
  for (const child of children) child.kill('SIGTERM')
  await server?.close().catch(() => {})
  rmSync(root, { recursive: true, force: true })
}
process.on('SIGINT', () => {
  process.stdout.write('\nDemo stopped; cleaning up.\n')
  void cleanup().then(() => process.exit(130))
})

const env: NodeJS.ProcessEnv = { ...process.env, OMICOS_HOME: home }
delete env.OMICOS_SERVER
delete env.OMICOS_WORKSPACE

const step = (title: string) => process.stdout.write(`\n\x1b[1m== ${title}\x1b[22m\n`.replace(/\x1b\[\d+m/g, interactive ? '$&' : ''))
const show = (args: string[]) => process.stdout.write(`$ omicos ${args.join(' ')}\n`)

/** Runs omicos with the terminal when there is one; `input` is piped when there is not. */
function omicos(args: string[], options: { input?: string; onOutput?: (text: string) => void } = {}): Promise<number> {
  show(args)
  const piped = options.onOutput !== undefined
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: workspace,
    env,
    stdio: [options.input !== undefined ? 'pipe' : interactive ? 'inherit' : 'ignore', piped ? 'pipe' : 'inherit', 'inherit'],
  })
  children.add(child)
  if (options.input !== undefined) child.stdin!.end(options.input)
  child.stdout?.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk)
    options.onOutput?.(chunk.toString())
  })
  return new Promise((done) =>
    child.on('close', (code) => {
      children.delete(child)
      done(code ?? 1)
    }),
  )
}

async function main(): Promise<number> {
  step('Starting the reference omicOS auth server')
  addUser(dataDir, email, password, 'pro')
  server = await startServer({ dataDir, port: 0, interval: 2, deviceTtl: 300 })
  const url = server.url
  process.stdout.write(`listening on ${url}\n`)
  process.stdout.write(`demo account: ${email}\ndemo password: ${password}\n`)
  process.stdout.write(`omicOS home for this demo: ${home}\nworkspace: ${workspace}\n`)

  step('1. Email / password login')
  let code: number
  if (interactive) {
    process.stdout.write('Type the demo account email and password above at the prompts.\n')
    code = await omicos(['login', '--server', url])
  } else {
    code = await omicos(['login', '--server', url, '--email', email, '--password-stdin'], { input: `${password}\n` })
  }
  if (code !== 0) return code

  step('2. Check the login')
  code = await omicos(['login', '--status'])
  if (code !== 0) return code

  step('3. Device-code pairing')
  process.stdout.write(
    interactive
      ? 'Approve in a browser at the printed address (sign in with the demo account), or press Enter here to approve from this terminal.\n'
      : 'No terminal: the pairing is approved from the server side in a moment.\n',
  )
  let approved = false
  const approve = async (userCode: string) => {
    if (approved) return
    approved = true
    const asked = await decidePairing(dataDir, userCode, { approve: true, email }).catch((error: Error) => {
      process.stdout.write(`(approval from the terminal failed: ${error.message})\n`)
      return null
    })
    if (asked) process.stdout.write(`\n(approved "${asked.processName}" on ${asked.hostname} for ${email})\n`)
  }
  let prompt: ReturnType<typeof createInterface> | null = null
  let output = ''
  code = await omicos(['cli', 'login', '--server', url, '--force'], {
    onOutput: (text) => {
      output += text
      const userCode = /pairing code: (?:\x1b\[\d+m)?([A-Z]{4}-[A-Z]{4})/.exec(output)?.[1]
      if (!userCode || prompt || approved) return
      if (interactive) {
        prompt = createInterface({ input: process.stdin })
        prompt.once('line', () => void approve(userCode))
      } else {
        setTimeout(() => void approve(userCode), 2500)
      }
    },
  })
  ;(prompt as ReturnType<typeof createInterface> | null)?.close()
  if (code !== 0) return code

  step('4. Status after pairing')
  code = await omicos(['login', '--status'])
  if (code !== 0) return code

  step('5. Log out')
  code = await omicos(['cli', 'login', '--logout'])
  if (code !== 0) return code
  return omicos(['login', '--status']).then((c) => (c === 1 ? 0 : c === 0 ? 1 : c))
}

const code = await main().catch((error: Error) => {
  process.stderr.write(`demo failed: ${error.message}\n`)
  return 1
})
step(code === 0 ? 'Demo finished: both logins worked. Cleaning up.' : `Demo stopped with exit code ${code}. Cleaning up.`)
await cleanup()
process.exit(code)
