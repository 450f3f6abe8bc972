// A web page that runs the device-code login machine (machines/device-login.machine.ts)
// unchanged, with browser effects (./browser-effects.ts): fetch for the server, sessionStorage
// for the login and for the pending pairing, so a reload resumes the same code.
//
// Stable element ids, for people and for spec/example-web-pairing.spec.ts:
//   #server-form, #server, #start  the server to pair with (default: the `?server=` parameter)
//   #state       the step: data-state = idle | checkingExisting | requestingCode |
//                awaitingApproval | registeringProcess | persisting | loggedIn |
//                alreadyLoggedIn | failed; its text is one line for a person
//   #pairing     shown while awaiting approval:
//     #verification-uri  link to the verification page (text: its address)
//     #user-code         the code to enter, linked to verification_uri_complete
//     #time-left         m:ss until the code dies (data-seconds)
//     #interval          seconds between checks, slow_down included (data-seconds)
//     #polls             checks so far
//     #resumed           shown when the pairing was restored after a reload
//     #cancel            sends user.cancel
//   #done        shown when logged in (also on a reload, from the kept login): #email (the
//                account), #logged-in-server, #stored-in, #forget
//   #failure     shown when failed: #error (data-kind = the failure kind), #restart
//
// Everything a server sent is inserted as text (textContent), never as markup.
import { createActor, type Actor } from 'xstate'
import type { DeviceLoginInput } from '../../machines/contracts.js'
import { deviceLogin } from '../../machines/device-login.machine.js'
import { parseServerUrl } from '../../effects/client/server-url.js'
import { CREDENTIALS_PLACE, createBrowserActors, forgetStoredLogin, readStoredLogin } from './browser-effects.js'
import { formatSeconds, viewOf, type DeviceLoginSnapshot } from './view.js'

const PENDING_KEY = 'omicos.web-pairing.pending'
const PROCESS_ID_KEY = 'omicos.web-pairing.process-id'
const PROCESS_NAME = 'omicOS web pairing example'

const storage = window.sessionStorage
const machine = deviceLogin.provide({ actors: createBrowserActors({ storage }) })
type LoginActor = Actor<typeof machine>

interface Pending {
  input: DeviceLoginInput
  snapshot: unknown
}

const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`the page has no #${id}`)
  return element as T
}

const ui = {
  form: byId<HTMLFormElement>('server-form'),
  server: byId<HTMLInputElement>('server'),
  state: byId('state'),
  pairing: byId('pairing'),
  verificationUri: byId<HTMLAnchorElement>('verification-uri'),
  userCode: byId<HTMLAnchorElement>('user-code'),
  timeLeft: byId('time-left'),
  interval: byId('interval'),
  polls: byId('polls'),
  resumed: byId('resumed'),
  cancel: byId<HTMLButtonElement>('cancel'),
  done: byId('done'),
  email: byId('email'),
  loggedInServer: byId('logged-in-server'),
  storedIn: byId('stored-in'),
  forget: byId<HTMLButtonElement>('forget'),
  failure: byId('failure'),
  error: byId('error'),
  restart: byId<HTMLButtonElement>('restart'),
}

let actor: LoginActor | null = null
let latest: DeviceLoginSnapshot | null = null
let lastInput: DeviceLoginInput | null = null
let resumed = false
/** a failure outside the machine: a bad server address, a snapshot that would not restore */
let pageFailure: { kind: string; message: string } | null = null

/** Sets a link's text, and its target only when it is an http(s) address. */
const setLink = (link: HTMLAnchorElement, text: string, href: string | null) => {
  link.textContent = text
  let safe = false
  try {
    safe = href !== null && ['http:', 'https:'].includes(new URL(href).protocol)
  } catch {}
  if (safe) link.href = href!
  else link.removeAttribute('href')
}

const showFailure = (kind: string, message: string) => {
  ui.failure.hidden = false
  ui.error.dataset.kind = kind
  ui.error.textContent = message
}

const render = () => {
  const step = latest?.status === 'done' ? viewOf(latest, Date.now()).step : null
  // One pairing at a time; a login is forgotten (#forget) before pairing again.
  ui.form.hidden = latest?.status === 'active' || step === 'loggedIn' || step === 'alreadyLoggedIn'
  ui.pairing.hidden = true
  ui.done.hidden = true
  ui.failure.hidden = true
  ui.restart.hidden = lastInput === null

  if (!latest) {
    ui.state.dataset.state = pageFailure ? 'failed' : 'idle'
    ui.state.textContent = pageFailure ? 'Not logged in' : 'Enter the server to pair with.'
    if (pageFailure) showFailure(pageFailure.kind, pageFailure.message)
    return
  }
  if (latest.status === 'error') {
    ui.state.dataset.state = 'failed'
    ui.state.textContent = 'Not logged in'
    showFailure('bad_response', 'the login stopped on an unexpected error; see the browser console')
    return
  }

  const view = viewOf(latest, Date.now())
  ui.state.dataset.state = view.step
  ui.state.textContent = view.headline

  if (view.step === 'awaitingApproval' && view.userCode && view.verificationUri) {
    ui.pairing.hidden = false
    setLink(ui.verificationUri, view.verificationUri, view.verificationUri)
    setLink(ui.userCode, view.userCode, view.verificationUriComplete ?? view.verificationUri)
    ui.timeLeft.dataset.seconds = String(view.secondsLeft ?? 0)
    ui.timeLeft.textContent = formatSeconds(view.secondsLeft ?? 0)
    ui.interval.dataset.seconds = String(view.intervalSeconds ?? 0)
    ui.interval.textContent = `${view.intervalSeconds} s${view.backingOff ? ' (server unreachable: backing off)' : ''}`
    ui.polls.textContent = String(view.polls)
    ui.resumed.hidden = !resumed
  }
  if ((view.step === 'loggedIn' || view.step === 'alreadyLoggedIn') && view.email) {
    ui.done.hidden = false
    ui.email.textContent = view.email
    ui.loggedInServer.textContent = latest.context.server
    ui.storedIn.textContent = CREDENTIALS_PLACE
  }
  if (view.failure) showFailure(view.failure.kind, view.failure.message)
}

/** Keeps the pending pairing (device code included) in the tab, so a reload can resume it. */
const keep = (input: DeviceLoginInput, running: LoginActor, snapshot: DeviceLoginSnapshot) => {
  if (snapshot.status === 'active') {
    storage.setItem(PENDING_KEY, JSON.stringify({ input, snapshot: running.getPersistedSnapshot() } satisfies Pending))
  } else {
    storage.removeItem(PENDING_KEY)
  }
}

const readPending = (): Pending | null => {
  try {
    const pending = JSON.parse(storage.getItem(PENDING_KEY) ?? 'null') as Pending | null
    return pending && typeof pending.input?.server === 'string' && pending.snapshot ? pending : null
  } catch {
    return null
  }
}

const run = (input: DeviceLoginInput, restored?: unknown) => {
  actor?.stop()
  lastInput = input
  pageFailure = null
  resumed = restored !== undefined
  const running: LoginActor = restored
    ? // A machine with required input still wants it when restoring a snapshot.
      createActor(machine, { input, snapshot: restored as never })
    : createActor(machine, { input })
  actor = running
  running.subscribe({
    next: (snapshot) => {
      if (actor !== running) return
      latest = snapshot
      keep(input, running, snapshot)
      render()
    },
    // Without an error observer XState rethrows on a timer; the page shows it instead.
    error: (error) => {
      if (actor !== running) return
      console.error(error)
      storage.removeItem(PENDING_KEY)
      latest = running.getSnapshot()
      render()
    },
  })
  running.start()
  // Restored snapshots lose their timers and restart the effect that was running
  // (statelyai/xstate#5331): app.resume re-enters the wait with the current time.
  if (restored !== undefined) running.send({ type: 'app.resume', now: Date.now() })
  latest = running.getSnapshot()
  render()
}

const processId = (): string => {
  let id = storage.getItem(PROCESS_ID_KEY)
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(8))
    id = `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`
    storage.setItem(PROCESS_ID_KEY, id)
  }
  return id
}

const inputFor = (server: string): DeviceLoginInput => ({
  server,
  name: PROCESS_NAME,
  hostname: location.host || 'browser',
  processId: processId(),
  force: false,
})

const reset = () => {
  actor?.stop()
  actor = null
  latest = null
  storage.removeItem(PENDING_KEY)
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault()
  let server: string
  try {
    server = parseServerUrl(ui.server.value, 'the server address')
  } catch (error) {
    reset()
    pageFailure = { kind: 'usage', message: (error as Error).message }
    render()
    return
  }
  run(inputFor(server))
})

ui.cancel.addEventListener('click', () => actor?.send({ type: 'user.cancel' }))

ui.restart.addEventListener('click', () => {
  if (lastInput) run(lastInput)
})

ui.forget.addEventListener('click', () => {
  forgetStoredLogin(storage)
  reset()
  render()
})

const params = new URLSearchParams(location.search)
ui.server.value = params.get('server') ?? readStoredLogin(storage)?.server ?? ''

const pending = readPending()
if (pending) {
  ui.server.value = pending.input.server
  try {
    run(pending.input, pending.snapshot)
  } catch (error) {
    console.error(error)
    reset()
    pageFailure = { kind: 'local_files', message: 'the pairing kept in this tab could not be resumed: pair again' }
    render()
  }
} else if (ui.server.value && readStoredLogin(storage)?.server === ui.server.value) {
  // A login kept in this tab: the machine finds it (alreadyLoggedIn) without asking the server.
  run(inputFor(ui.server.value))
} else {
  render()
}

// The countdown only: the machine's own deadline timer decides when the code is dead.
setInterval(() => {
  if (latest?.status === 'active') render()
}, 1000)
