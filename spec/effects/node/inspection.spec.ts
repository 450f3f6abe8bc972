// Secrets never reach an inspector. A real password login and a real device login against the
// reference server, each with an inspector attached through the package's own `inspect`
// option; then the same device login through @statelyai/inspect's WebSocket inspector to a
// receiver on loopback (nothing leaves the machine). None of the secrets the login wrote to
// disk (user, refresh and process tokens), nor the password, nor the device code, appears in
// any inspection event, in what the actor stand-ins hand out later, or in what went over the
// socket; and the inspector did see the login (its states, its effects).
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { WebSocketServer } from 'ws'
import { createWebSocketInspector } from '@statelyai/inspect'
import type { AnyActorRef, InspectionEvent } from 'xstate'
import { deviceLogin, login } from '../../../effects/node/api.js'
import { decidePairing } from '../../../server/index.js'
import { DEFAULT_USERS, referenceServerFor } from '../../support/server.js'
import { timeout } from '../../support/wait.js'

const ref = referenceServerFor(test, { interval: 1 })
const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const dirs: string[] = []

test.after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const sandbox = () => {
  const root = mkdtempSync(join(tmpdir(), 'omicos-inspection-'))
  dirs.push(root)
  const home = join(root, 'home')
  const workspace = join(root, 'workspace')
  mkdirSync(workspace, { recursive: true })
  return { home, workspace, env: { HOME: root, OMICOS_HOME: home } as NodeJS.ProcessEnv }
}

/** Every string reachable from `value`: actor stand-ins are read (getSnapshot) as an inspector would. */
function stringsIn(value: unknown, out: string[] = [], seen = new WeakSet<object>(), depth = 0): string[] {
  if (typeof value === 'string') out.push(value)
  if (!value || typeof value !== 'object' || seen.has(value) || depth > 40) return out
  seen.add(value)
  const ref = value as Partial<AnyActorRef>
  if (typeof ref.getSnapshot === 'function' && typeof ref.sessionId === 'string') stringsIn(ref.getSnapshot(), out, seen, depth + 1)
  for (const item of Object.values(value)) if (typeof item !== 'function') stringsIn(item, out, seen, depth + 1)
  return out
}

const leaks = (texts: string[], secrets: string[]): string[] =>
  secrets.filter((secret) => texts.some((text) => text.includes(secret))).map((secret) => `${secret.slice(0, 4)}… (${secret.length} chars)`)

/** The tokens of the credential file the login wrote. */
const writtenSecrets = (home: string): string[] => {
  const file = JSON.parse(readFileSync(join(home, 'cloud_login.json'), 'utf8')) as Record<string, unknown>
  const tokens = [file.user_token, file.refresh_token, file.process_token].filter((t): t is string => typeof t === 'string' && t.length > 0)
  assert.is(tokens.length, 3, 'user, refresh and process token on disk')
  return tokens
}

const statesOf = (events: InspectionEvent[]): string[] =>
  events.flatMap((e) => (e.type === '@xstate.snapshot' && 'value' in e.snapshot ? [JSON.stringify((e.snapshot as { value: unknown }).value)] : []))

/** A device login whose code is approved as soon as it is shown; its device code, read from the grant for the test. */
async function approvedDeviceLogin(box: ReturnType<typeof sandbox>, inspect: Parameters<typeof deviceLogin>[0]['inspect']) {
  const seen: { deviceCode: string | null } = { deviceCode: null }
  let approving: Promise<unknown> | null = null
  const output = await timeout(
    deviceLogin({
      server: ref.server.url,
      home: box.home,
      cwd: box.workspace,
      env: box.env,
      name: 'inspected',
      hostname: 'lab-box',
      inspect,
      // The caller's own snapshots are not an inspector's: the test reads the device code there.
      onSnapshot: (snapshot) => {
        const grant = snapshot.children.grant?.getSnapshot() as { context?: { deviceCode?: string | null } } | undefined
        seen.deviceCode ??= grant?.context?.deviceCode ?? null
        if (snapshot.context.pairing && !approving) approving = decidePairing(ref.dataDir, snapshot.context.pairing.userCode, { approve: true, email: ada.email })
      },
    }),
    20_000,
    'the device login',
  )
  await timeout(approving ?? Promise.resolve(), 10_000, 'approving')
  assert.is(output.kind, 'loggedIn', JSON.stringify(output))
  assert.ok(seen.deviceCode && seen.deviceCode.length > 10, 'the grant had a device code')
  return seen.deviceCode
}

test('a real password login with an inspector: no token, no password in any inspection event', async () => {
  const box = sandbox()
  const events: InspectionEvent[] = []
  const output = await timeout(
    login({
      server: ref.server.url,
      home: box.home,
      cwd: box.workspace,
      env: box.env,
      email: ada.email,
      password: ada.password,
      prompts: false,
      inspect: (event) => events.push(event),
    }),
    20_000,
    'the password login',
  )
  assert.is(output.kind, 'loggedIn', JSON.stringify(output))
  const secrets = [...writtenSecrets(box.home), ada.password]
  // The inspector saw the login: its states and its effects' inputs and outputs.
  assert.ok(statesOf(events).includes('"persisting"'), 'the login reached persisting')
  assert.ok(
    events.some((e) => e.type === '@xstate.event' && e.event.type === 'xstate.done.actor.persist'),
    'the persist effect reported',
  )
  assert.ok(
    events.some((e) => e.type === '@xstate.event' && e.event.type === 'xstate.init' && JSON.stringify(e.event).includes(ada.email)),
    'the login input, its email readable',
  )
  assert.equal(leaks(stringsIn(events), secrets), [])
  // Read again now, as an inspector that reads refs later does.
  assert.equal(leaks(stringsIn(events.map((e) => e.actorRef)), secrets), [])
})

test('a real device login with an inspector: no token and no device code in any inspection event', async () => {
  const box = sandbox()
  const events: InspectionEvent[] = []
  const deviceCode = await approvedDeviceLogin(box, { next: (event) => events.push(event) })
  const secrets = [...writtenSecrets(box.home), deviceCode]
  assert.ok(
    events.some((e) => e.type === '@xstate.event' && e.event.type === 'xstate.done.actor.pollToken'),
    'the polls reported',
  )
  assert.ok(
    events.some((e) => e.type === '@xstate.event' && e.event.type === 'xstate.done.actor.requestCode'),
    'the code request reported',
  )
  assert.equal(leaks(stringsIn(events), secrets), [])
  assert.equal(leaks(stringsIn(events.map((e) => e.actorRef)), secrets), [])
})

test("the same device login through @statelyai/inspect's WebSocket inspector to a loopback receiver", async () => {
  const received: string[] = []
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await timeout(new Promise<void>((resolve) => wss.once('listening', () => resolve())), 5_000, 'the receiver listening')
  const connected = new Promise<void>((resolve) => wss.once('connection', () => resolve()))
  wss.on('connection', (socket) => socket.on('message', (data) => received.push(data.toString())))
  const { port } = wss.address() as AddressInfo
  const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` })
  try {
    await timeout(connected, 5_000, 'the inspector connecting')
    const box = sandbox()
    const deviceCode = await approvedDeviceLogin(box, inspector.inspect)
    const secrets = [...writtenSecrets(box.home), deviceCode]
    // The inspector sends on idle callbacks: wait until the login's end has gone over the socket.
    const until = Date.now() + 10_000
    while (!received.some((text) => text.includes('"loggedIn"')) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
    assert.ok(received.length > 20, `${received.length} messages received`)
    assert.ok(
      received.some((text) => text.includes('"loggedIn"')),
      "the login's last state went over the socket",
    )
    assert.ok(
      received.some((text) => text.includes('@xstate.actor') && text.includes('deviceGrant')),
      'the grant machine was announced',
    )
    // The inspector draws the actor tree from each stand-in's parent, read on an idle callback.
    const announced = received
      .map((text) => JSON.parse(text) as { type?: string; name?: string; sessionId?: string; parentId?: string })
      .filter((e) => e.type === '@xstate.actor')
    const root = announced.find((e) => e.name === 'login')
    const grant = announced.find((e) => e.name === 'grant')
    assert.ok(root && grant, `announced: ${announced.map((e) => e.name).join(', ')}`)
    assert.is(root.parentId, undefined, 'the login is the root')
    assert.is(grant.parentId, root.sessionId, 'the grant is a child of the login')
    assert.equal(leaks(received, secrets), [])
  } finally {
    inspector.stop()
    await timeout(new Promise<void>((resolve) => wss.close(() => resolve())), 5_000, 'closing the receiver')
  }
})

test.run()
