import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { listUsers, startServer } from '../../server/index.js'
import { makeDataDir, pollDeviceCode, request, requestDeviceCode, withReferenceServer } from '../support/server.js'
import { timeout } from '../support/wait.js'

// The built bin: from dist/spec it sits beside, from spec/ (run with tsx) it is built first.
const fromDist = fileURLToPath(import.meta.url).includes('/dist/spec/')
const BIN = fileURLToPath(new URL(fromDist ? '../../server/main.js' : '../../dist/server/main.js', import.meta.url))
const ROOT = fileURLToPath(new URL(fromDist ? '../../../' : '../../', import.meta.url))

test.before(() => {
  if (!fromDist) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore', timeout: 60_000 })
  assert.ok(existsSync(BIN), `${BIN} is built`)
})

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function runBin(args: string[], input?: string, ms = 20_000): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  if (input !== undefined) child.stdin.end(input)
  else child.stdin.end()
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return timeout(done, ms, `omicos-auth-server ${args[0]}`).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}

function waitForLine(child: ChildProcess, pattern: RegExp, ms: number): Promise<RegExpExecArray> {
  let seen = ''
  return timeout(
    new Promise((resolve, reject) => {
      child.stdout!.on('data', (d) => {
        seen += d
        const match = pattern.exec(seen)
        if (match) resolve(match)
      })
      child.on('close', (code) => reject(new Error(`exited ${code} before printing ${pattern}: ${seen}`)))
    }),
    ms,
    `waiting for ${pattern}`,
  )
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`start prints the listening line with the real port and exits 0 on ${signal}`, async () => {
    const dataDir = makeDataDir()
    const child = spawn(process.execPath, [BIN, 'start', '--port', '0', '--data', dataDir, '--interval', '2'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    try {
      const match = await waitForLine(child, /^listening on http:\/\/127\.0\.0\.1:(\d+)\n/, 20_000)
      const port = Number(match[1])
      assert.ok(port > 0)
      const url = `http://127.0.0.1:${port}`
      const discovery = await timeout(
        fetch(`${url}/.well-known/oauth-authorization-server`).then((r) => r.json()),
        10_000,
        'discovery',
      )
      assert.is(discovery.issuer, url)
      const device = await timeout(
        fetch(`${url}/device/auth`, { method: 'POST', body: new URLSearchParams({ client_id: 'omicos-cli', scope: 'openid' }) }).then((r) => r.json()),
        10_000,
        'device auth',
      )
      assert.is(device.interval, 2)
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (code, sig) => resolve([code, sig])))
      child.kill(signal)
      const [code] = await timeout(exited, 10_000, 'server exit')
      assert.is(code, 0)
      assert.is(stdout, `listening on ${url}\n`)
      assert.not.match(stderr, /WARNING|Error|at /)
    } finally {
      child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
}

test('users add, list and remove', async () => {
  const dataDir = makeDataDir()
  try {
    const added = await runBin(['users', 'add', '--email', 'Ada@Example.com', '--password-stdin', '--tier', 'pro', '--data', dataDir], 'pw with spaces\n')
    assert.is(added.code, 0, added.stderr)
    assert.match(added.stdout, /^added ada@example\.com \(acct_[\w-]+\)\n$/)
    const other = await runBin(['users', 'add', '--email', 'bob@example.com', '--password-stdin', '--data', dataDir], 'secret')
    assert.is(other.code, 0, other.stderr)

    const listed = await runBin(['users', 'list', '--data', dataDir])
    assert.is(listed.code, 0)
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'))
    assert.equal(
      rows.map((r) => [r[1], r[2]]),
      [
        ['ada@example.com', 'pro'],
        ['bob@example.com', 'free'],
      ],
    )
    assert.ok(rows.every((r) => /^acct_/.test(r[0]!) && !Number.isNaN(Date.parse(r[3]!))))

    // The stored password is what came on stdin, less the newline.
    const ref = await withReferenceServer({ dataDir, users: [] })
    try {
      const login = await request(ref.server, '/token', {
        form: { grant_type: 'password', username: 'ada@example.com', password: 'pw with spaces', client_id: 'omicos-cli', scope: 'openid' },
      })
      assert.is(login.status, 200)
    } finally {
      await ref.stop()
    }

    const duplicate = await runBin(['users', 'add', '--email', 'ada@example.com', '--password-stdin', '--data', dataDir], 'x')
    assert.is.not(duplicate.code, 0)
    assert.match(duplicate.stderr, /^error: an account for ada@example\.com already exists\n$/)

    const removed = await runBin(['users', 'remove', '--email', 'ADA@example.com', '--data', dataDir])
    assert.is(removed.code, 0, removed.stderr)
    assert.equal(
      (await listUsers(dataDir)).map((u) => u.email),
      ['bob@example.com'],
    )
    const again = await runBin(['users', 'remove', '--email', 'ada@example.com', '--data', dataDir])
    assert.is(again.code, 1)
    assert.is(again.stderr, 'error: no account for ada@example.com\n')
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('approve and deny from another process while the server runs', async () => {
  const ref = await withReferenceServer({ interval: 1 })
  try {
    const first = await requestDeviceCode(ref.server, { process_name: 'jupyter-lab', hostname: 'lab-box' })
    const approved = await runBin(['approve', first.body.user_code.toLowerCase(), '--email', ref.users[0]!.email, '--data', ref.dataDir])
    assert.is(approved.code, 0, approved.stderr)
    assert.is(approved.stdout, `approved jupyter-lab on lab-box for ${ref.users[0]!.email}\n`)
    const granted = await pollDeviceCode(ref.server, first.body.device_code)
    assert.is(granted.status, 200)

    const second = await requestDeviceCode(ref.server)
    const denied = await runBin(['deny', second.body.user_code, '--data', ref.dataDir])
    assert.is(denied.code, 0, denied.stderr)
    const refused = await pollDeviceCode(ref.server, second.body.device_code)
    assert.is(refused.body.error, 'access_denied')

    const reused = await runBin(['approve', first.body.user_code, '--email', ref.users[0]!.email, '--data', ref.dataDir])
    assert.is(reused.code, 1)
    assert.is(reused.stderr, 'error: That code has already been used.\n')
    const unknownCode = await runBin(['deny', 'BCDF-GHJK', '--data', ref.dataDir])
    assert.is(unknownCode.code, 1)
    assert.match(unknownCode.stderr, /^error: That code is not valid\./)
    const third = await requestDeviceCode(ref.server)
    const nobody = await runBin(['approve', third.body.user_code, '--email', 'nobody@example.com', '--data', ref.dataDir])
    assert.is(nobody.code, 1)
    assert.is(nobody.stderr, 'error: no account for nobody@example.com\n')
  } finally {
    await ref.stop()
  }
})

test('bad arguments: one line on stderr, non-zero exit, no stack trace', async () => {
  const dataDir = makeDataDir()
  try {
    const cases: string[][] = [
      ['bogus'],
      ['start', '--data', dataDir, '--port', 'eighty'],
      ['start', '--data', dataDir, '--port', '70000'],
      ['start', '--data', dataDir, '--interval', '0'],
      ['start', '--data', dataDir, '--cors-origin', 'not an origin'],
      ['start', '--port', '0'],
      ['start', '--data', dataDir, '--nope'],
      ['users', 'add', '--email', 'ada@example.com', '--data', dataDir],
      ['users', 'add', '--email', 'not-an-email', '--password-stdin', '--data', dataDir],
      ['approve', 'BCDFGHJK', '--data', dataDir],
      ['deny', '--data', dataDir],
      ['users', 'list', '--data', dataDir, '--database', 'postgres://omicos@127.0.0.1:1/omicos'],
      ['users', 'list', '--database', 'mysql://omicos@127.0.0.1/omicos'],
      ['start', '--data', 'postgres://omicos@127.0.0.1:1/omicos'],
      // Nothing listens on port 1: the connection is refused, in one line.
      ['users', 'list', '--database', 'postgres://omicos@127.0.0.1:1/omicos'],
    ]
    for (const args of cases) {
      const run = await runBin(args, args.includes('--password-stdin') ? 'pw' : undefined)
      assert.ok(run.code !== 0 && run.code !== null, `${args.join(' ')} exits non-zero (${run.code})`)
      assert.match(run.stderr, /^error: [^\n]+\n/, `${args.join(' ')}: ${run.stderr}`)
      assert.not.match(run.stderr, /\n\s+at /, `${args.join(' ')} prints no stack`)
      assert.ok(run.stderr.split('\n').filter(Boolean).length <= 2, `${args.join(' ')}: ${run.stderr}`)
    }
    const busy = await startServer({ dataDir, port: 0 })
    try {
      const clash = await runBin(['start', '--data', dataDir, '--port', String(busy.port)])
      assert.is(clash.code, 1)
      assert.match(clash.stderr, /^error: .*EADDRINUSE/)
    } finally {
      await timeout(busy.close(), 10_000, 'closing')
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test.run()
