import type { Writable } from 'node:stream'
import { renderUnicodeCompact } from 'uqr'
import { approximately, bold, dim, formatDuration, type Terminal } from './terminal.js'

// The pairing screen: the page's two lines (address, code), a QR code of the complete address
// for a phone, and on a terminal one redrawn line with a spinner and the time left. Each
// stream is decided apart (cli/terminal.ts): the code in bold and the QR code only when stdout
// is a terminal, the spinner only when stderr is; otherwise (and with NO_COLOR) plain lines,
// so a log or a redirected file holds no escape sequences.
export interface PairingState {
  userCode: string
  verificationUri: string
  verificationUriComplete: string | null
  /** epoch ms */
  deadline: number
  intervalMs: number
  waiting: boolean
}

/** What the view needs from a login snapshot: null until the device grant has a code. */
export function pairingOf(snapshot: { context: { pairing: Omit<PairingState, 'waiting'> | null }; matches(state: 'deviceGrant'): boolean }): PairingState | null {
  const pairing = snapshot.context.pairing
  if (!pairing) return null
  return { ...pairing, waiting: snapshot.matches('deviceGrant') }
}

export interface DeviceViewOptions {
  stdout: Writable
  stderr: Writable
  terminal: Terminal
  qr: boolean
  now?: () => number
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

export function createDeviceView(options: DeviceViewOptions) {
  const { stdout, stderr, terminal } = options
  const now = options.now ?? Date.now
  let shown: PairingState | null = null
  let resumed = false
  let timer: ReturnType<typeof setInterval> | null = null
  let frame = 0
  let lineDrawn = false

  const clearLine = () => {
    if (lineDrawn) stderr.write('\r\x1b[2K')
    lineDrawn = false
  }
  const draw = () => {
    if (!shown) return
    const left = shown.deadline - now()
    stderr.write(`\r\x1b[2K${dim(terminal, `${FRAMES[frame++ % FRAMES.length]} Waiting for approval · code expires in ${formatDuration(left)}`)}`)
    lineDrawn = true
  }

  const show = (pairing: PairingState) => {
    if (resumed) stdout.write('Continuing the pairing started earlier (its code is still valid).\n')
    stdout.write(`Open ${pairing.verificationUri} on a device already logged in to omicOS\n`)
    stdout.write(`and enter the pairing code: ${bold(terminal, pairing.userCode)}\n`)
    if (terminal.rich && options.qr && pairing.verificationUriComplete) {
      stdout.write(`\nOr scan this with a phone:\n${renderUnicodeCompact(pairing.verificationUriComplete, { border: 1 })}\n`)
    }
    if (terminal.live) {
      timer = setInterval(draw, 250)
      timer.unref()
      draw()
    } else {
      stderr.write(`Waiting for approval (the code expires in ${approximately(pairing.deadline - now())})...\n`)
    }
  }

  return {
    update: (snapshot: Parameters<typeof pairingOf>[0]): void => {
      const pairing = pairingOf(snapshot)
      if (!pairing || !pairing.waiting) return stop()
      if (!shown || shown.userCode !== pairing.userCode) {
        stop()
        // Before show(), whose first draw of the countdown reads it.
        shown = pairing
        show(pairing)
      } else if (pairing.intervalMs > shown.intervalMs) {
        clearLine()
        stderr.write(`The server asked to slow down: checking every ${Math.round(pairing.intervalMs / 1000)} s.\n`)
      }
      shown = pairing
    },
    resumed: (): void => {
      resumed = true
    },
    stop: (): void => stop(),
    /** ms left on the code on screen, or 0 when none was shown */
    timeLeft: (): number => (shown ? Math.max(0, shown.deadline - now()) : 0),
  }

  function stop(): void {
    if (timer) clearInterval(timer)
    timer = null
    clearLine()
  }
}
