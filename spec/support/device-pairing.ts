// What the `omicos cli login` end-to-end specs share: their setup (a reference server, sandboxes,
// the children they start), approving a pairing the three ways an approver can (the /device
// page in Chromium, the server bin, decidePairing), reading the credential files, and
// checking the pace of the token requests the server saw.
// Every wait is bounded (uvu has no per-test timeout).
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import type { Test } from 'uvu'
import * as assert from 'uvu/assert'
import { decidePairing, type RunningServer, type ServerOptions } from '../../server/index.js'
import { openPage } from './browser.js'
import type { CliResult, CliSandbox, RunningCli } from './cli.js'
import { makeSandbox, PAIRING_CODE, startCli } from './cli.js'
import { DEFAULT_USERS, referenceServerFor, type ReferenceServer } from './server.js'
import { timeout } from './wait.js'

export const SERVER_BIN = resolve('dist/server/main.js')
export const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code'

export interface PairingSpec {
  /** the reference server of the spec file */
  ref: ReferenceServer
  /** a temp OMICOS_HOME and workspace, removed after the last test */
  sandbox(): CliSandbox
  /**
   * `omicos cli login --server <the reference server> ...extra` in the sandbox's workspace,
   * with its env; killed after the test if it still runs.
   */
  cliLogin(box: Pick<CliSandbox, 'workspace' | 'env'>, ...extra: string[]): RunningCli
  /** approves `code` for the first default user with decidePairing, within 10 s */
  approve(code: string): ReturnType<typeof decidePairing>
}

/**
 * What every `omicos cli login` spec file sets up: one reference server (`serverOptions`) for
 * the file, sandboxes removed after its last test, and no child left running after a test:
 * a failed test must not leave its child polling into the next one.
 */
export function pairingSpec(suite: Test, serverOptions: Partial<ServerOptions> = {}): PairingSpec {
  const ref = referenceServerFor(suite, serverOptions)
  const sandboxes: CliSandbox[] = []
  const children: RunningCli[] = []
  suite.after.each(() => {
    for (const cli of children.splice(0)) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL')
  })
  suite.after(() => {
    for (const box of sandboxes) box.cleanup()
  })
  const user = DEFAULT_USERS[0]!
  return {
    ref,
    sandbox() {
      const box = makeSandbox()
      sandboxes.push(box)
      return box
    },
    cliLogin(box, ...extra) {
      const cli = startCli(['cli', 'login', '--server', ref.server.url, ...extra], { cwd: box.workspace, env: box.env })
      children.push(cli)
      return cli
    },
    approve: (code) => timeout(decidePairing(ref.dataDir, code, { approve: true, email: user.email }), 10_000, 'approving'),
  }
}

/** The two lines the page promises, read from a running `omicos cli login`. */
export async function readPairing(cli: RunningCli, ms = 15_000): Promise<{ code: string; address: string }> {
  const code = (await cli.waitFor(PAIRING_CODE, ms))[1]!
  const address = (await cli.waitFor(/^Open (\S+) on a device already logged in to omicOS$/m, ms))[1]!
  return { code, address }
}

/** Waits for the child to end, bounded. */
export const finished = (cli: RunningCli, ms = 20_000): Promise<CliResult> => timeout(cli.done, ms, 'omicos cli login to finish')

/** `omicos-auth-server approve|deny CODE ...` in a process of its own. */
export function serverBin(args: string[], ms = 20_000): Promise<CliResult> {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  return timeout(done, ms, `omicos-auth-server ${args[0]}`).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}

/**
 * The approver's side on the real /device page: sign in, enter the code, read which process
 * and host asked, then approve or deny. Returns what the confirm screen showed.
 */
export async function decideInBrowser(
  browser: Browser,
  address: string,
  code: string,
  account: { email: string; password: string },
  decision: 'approve' | 'deny' = 'approve',
): Promise<{ process: string | null; host: string | null; code: string | null; outcome: string | null }> {
  const { context, page } = await openPage(browser)
  try {
    await timeout(page.goto(address), 10_000, `opening ${address}`)
    await page.fill('#email', account.email)
    await page.fill('#password', account.password)
    await timeout(Promise.all([page.waitForSelector('#signed-in-as'), page.click('#signin-submit')]), 10_000, 'signing in')
    await page.fill('#user_code', code)
    await timeout(Promise.all([page.waitForSelector('#confirm-code'), page.click('#code-submit')]), 10_000, 'entering the code')
    const shown = {
      process: await page.textContent('#confirm-process'),
      host: await page.textContent('#confirm-host'),
      code: await page.textContent('#confirm-code'),
    }
    await timeout(Promise.all([page.waitForSelector('#outcome'), page.click(decision === 'approve' ? '#approve' : '#deny')]), 10_000, decision)
    return { ...shown, outcome: await page.getAttribute('#outcome', 'data-outcome') }
  } finally {
    await timeout(context.close(), 10_000, 'closing the browser context').catch(() => {})
  }
}

export interface CredentialFile {
  path: string
  mode: number
  text: string
  json: Record<string, any>
}

export function readCredentials(path: string): CredentialFile {
  const text = readFileSync(path, 'utf8')
  return { path, mode: statSync(path).mode & 0o777, text, json: JSON.parse(text) }
}

/** The persisted pairings under OMICOS_HOME/pending (not the temp files of a write in progress). */
export function pendingFiles(home: string): string[] {
  const dir = join(home, 'pending')
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((name) => /^device-[0-9a-f]+\.json$/.test(name))
        .map((name) => join(dir, name))
    : []
}

/** The device-code token requests the server logged, one list per device code, in order. */
export function tokenPollsByCode(server: RunningServer): Map<string, Array<{ at: number; error?: string; status: number }>> {
  const byCode = new Map<string, Array<{ at: number; error?: string; status: number }>>()
  for (const entry of server.requests) {
    if (entry.grantType !== DEVICE_GRANT_TYPE || !entry.deviceCodeId) continue
    const list = byCode.get(entry.deviceCodeId) ?? []
    list.push({ at: entry.at, error: entry.error, status: entry.status })
    byCode.set(entry.deviceCodeId, list)
  }
  return byCode
}

// Timers fire a few ms early or late; the server logs arrival, the client waits from its answer.
export const JITTER_MS = 50

/** No device code was polled sooner than `intervalMs` after its previous poll, and none was told to slow down. */
export function assertPolite(server: RunningServer, intervalMs: number): number {
  const byCode = tokenPollsByCode(server)
  let polls = 0
  for (const [id, list] of byCode) {
    polls += list.length
    for (let i = 1; i < list.length; i++) {
      const gap = list[i]!.at - list[i - 1]!.at
      assert.ok(gap >= intervalMs - JITTER_MS, `device code ${id}: poll ${i + 1} came ${gap} ms after the previous one (interval ${intervalMs} ms)`)
    }
    assert.not.ok(
      list.some((p) => p.error === 'slow_down'),
      `device code ${id} was told to slow down: ${JSON.stringify(list)}`,
    )
  }
  return polls
}

/** The tokens a credential file holds: none of them may appear in any output. */
export const secretsOf = (json: Record<string, any>): string[] =>
  [json.user_token, json.process_token, json.refresh_token].filter((s): s is string => typeof s === 'string')

/** The pending pairing files, once the waiting child has saved its snapshot (it does so just after printing the code). */
export async function waitForPending(home: string, ms = 5_000): Promise<string[]> {
  const until = Date.now() + ms
  for (;;) {
    const files = pendingFiles(home)
    if (files.length) return files
    if (Date.now() > until) throw new Error(`no pending pairing under ${home} within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
