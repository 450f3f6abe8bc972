import type { Writable } from 'node:stream'
import { drawQrCode } from './qr-code.js'
import { approximately, bold, dim, formatDuration, link, type Terminal } from './terminal.js'

// The pairing screen: the page's two lines (address, code), the complete address (the code
// filled in) as a line of its own, a QR code of it for a phone, and on a terminal one redrawn
// line with a spinner and the time left. Each stream is decided apart (cli/terminal.ts): the
// code in bold, the address as a link and the QR code only when stdout is a terminal, the
// spinner only when stderr is; otherwise (and with NO_COLOR, but for the QR code, which is no
// colour) plain lines, so a log or a redirected file holds no escape sequences.
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
    const complete = pairing.verificationUriComplete
    if (complete) {
      stdout.write(`or open ${link(terminal, complete)} (the code filled in)\n`)
      if (terminal.qr && options.qr) showQrCode(complete, terminal.qr)
    }
    if (terminal.live) {
      timer = setInterval(draw, 250)
      timer.unref()
      draw()
    } else {
      stderr.write(`Waiting for approval (the code expires in ${approximately(pairing.deadline - now())})...\n`)
    }
  }

  const showQrCode = (address: string, style: NonNullable<Terminal['qr']>) => {
    const lines = drawQrCode(address, style)
    const width = [...lines[0]!.replace(/\x1b\[[0-9;]*m/g, '')].length
    // Wrapped lines make no QR code: say so rather than draw one that cannot scan.
    const columns = (stdout as { columns?: number }).columns
    if (columns && columns < width) {
      stdout.write(`(a QR code needs a terminal ${width} columns wide; this one has ${columns})\n`)
      return
    }
    stdout.write(`\nOr scan this with a phone:\n${lines.join('\n')}\n`)
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
