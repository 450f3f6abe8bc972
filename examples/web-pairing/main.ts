// A web page that runs the login machine (machines/login.machine.ts, its device grant) unchanged,
// with browser effects (./browser-effects.ts): fetch for the server, sessionStorage for the
// login and for the pending pairing, run by the engine's own runner (effects/client/run-actor.ts)
// so a reload resumes the same code, also after a cancel while the code is still valid.
//
// Stable element ids, for people and for spec/package/example-web-pairing.spec.ts:
//   #server-form, #server, #start  the server to pair with (default: the `?server=` parameter)
//   #state       the step: data-state = idle | checkingExisting | requestingCode |
//                awaitingApproval | identifying | locking | registeringProcess | persisting |
//                revokingReplaced | revokingIssued | loggedIn | alreadyLoggedIn | failed;
//                its text is one line for a person
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
//   #failure     shown when failed: #error (data-kind = the failure kind), #resumable (a
//                cancelled code a reload continues, data-seconds), #restart (a new code)
//
// Everything a server sent is inserted as text (textContent), never as markup.
import type { Snapshot } from 'xstate'
import { provideLogin, toFailure, type LoginInput } from 'omicos-auth/machines'
import { parseServerUrl, runResumableLogin, type SnapshotStore } from 'omicos-auth/client'
import { CREDENTIALS_PLACE, createBrowserActors, forgetStoredLogin, readStoredLogin } from './browser-effects.js'
import { formatSeconds, viewOf, type LoginSnapshot } from './view.js'
import { describeFailure } from './failure-words.js'

const PENDING_KEY = 'omicos.web-pairing.pending'
const PROCESS_ID_KEY = 'omicos.web-pairing.process-id'
const PROCESS_NAME = 'omicOS web pairing example'

const storage = window.sessionStorage
const machine = provideLogin(createBrowserActors({ storage }))

interface Pending {
  input: LoginInput
  snapshot: Snapshot<unknown>
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
  resumable: byId('resumable'),
  restart: byId<HTMLButtonElement>('restart'),
}

/** the run on screen: aborting it cancels its login */
let current: { controller: AbortController; done: Promise<unknown> } | null = null
let latest: LoginSnapshot | null = null
let lastInput: LoginInput | null = null
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
  ui.resumable.hidden = true
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
    ui.loggedInServer.textContent = latest.context.input.server
    ui.storedIn.textContent = CREDENTIALS_PLACE
  }
  if (view.failure) showFailure(view.failure.kind, view.failure.message)
  if (view.resumableSeconds !== null) {
    ui.resumable.hidden = false
    ui.resumable.dataset.seconds = String(view.resumableSeconds)
    ui.resumable.textContent = `The code stays valid for ${formatSeconds(view.resumableSeconds)}: reload the page to continue with it, or pair again for a new one.`
  }
}

/** The pending pairing (device code included), kept in the tab with the input it was started with. */
const storeFor = (input: LoginInput): SnapshotStore => ({
  read: async () => {
    const kept = readPending()
    return kept && kept.input.server === input.server ? kept.snapshot : null
  },
  write: async (snapshot) => storage.setItem(PENDING_KEY, JSON.stringify({ input, snapshot } satisfies Pending)),
  remove: async () => storage.removeItem(PENDING_KEY),
})

const readPending = (): Pending | null => {
  try {
    const kept = JSON.parse(storage.getItem(PENDING_KEY) ?? 'null') as Pending | null
    return kept && typeof kept.input?.server === 'string' && kept.snapshot ? kept : null
  } catch {
    return null
  }
}

/** Runs a login to its end with the engine's runner; one at a time, the earlier one cancelled first. */
const run = async (input: LoginInput, fresh: boolean) => {
  const earlier = current
  earlier?.controller.abort()
  await earlier?.done.catch(() => {})
  const controller = new AbortController()
  lastInput = input
  pageFailure = null
  resumed = false
  const mine = { controller, done: Promise.resolve() as Promise<unknown> }
  current = mine
  mine.done = runResumableLogin({
    logic: machine,
    input,
    store: storeFor(input),
    fresh,
    now: Date.now,
    signal: controller.signal,
    onResume: () => (resumed = true),
    onSnapshot: (snapshot) => {
      if (current !== mine) return
      latest = snapshot
      render()
    },
  }).catch((error: unknown) => {
    // Not an outcome of the machine: a bug, or a kept snapshot that no longer fits it.
    console.error(error)
    if (current !== mine) return
    storage.removeItem(PENDING_KEY)
    latest = null
    pageFailure = { kind: 'bad_response', message: 'the login stopped on an unexpected error; see the browser console' }
    render()
  })
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

const inputFor = (server: string): LoginInput => ({
  server,
  method: 'device',
  email: null,
  name: PROCESS_NAME,
  hostname: location.host || 'browser',
  processId: processId(),
  force: false,
})

const reset = () => {
  current?.controller.abort()
  current = null
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
    pageFailure = { kind: 'usage', message: describeFailure(toFailure(error)) }
    render()
    return
  }
  void run(inputFor(server), true)
})

ui.cancel.addEventListener('click', () => current?.controller.abort())

ui.restart.addEventListener('click', () => {
  if (lastInput) void run(lastInput, true)
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
  void run(pending.input, false)
} else if (ui.server.value && readStoredLogin(storage)?.server === ui.server.value) {
  // A login kept in this tab: the machine finds it (alreadyLoggedIn) without asking the server.
  void run(inputFor(ui.server.value), false)
} else {
  render()
}

// The countdown only: the machine's own deadline timer decides when the code is dead.
setInterval(() => {
  if (latest?.status === 'active') render()
}, 1000)
