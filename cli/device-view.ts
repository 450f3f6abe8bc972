import type { Writable } from 'node:stream'
import { drawQrCode } from './qr-code.js'
import { approximately } from './failure-words.js'
import { bold, cutToWidth, dim, formatDuration, link, textWidth, wrapWords, type Terminal } from './terminal.js'
import { english, type Words } from './words/english.js'

// The pairing screen: the page's two lines (address, code), the complete address (the code
// filled in) as a line of its own, a QR code of it for a phone, and on a terminal one redrawn
// line with a spinner and the time left. Each stream is decided apart (cli/terminal.ts): the
// code in bold, the address as a link and the QR code only when stdout is a terminal, the
// spinner only when stderr is; otherwise (and with NO_COLOR, but for the QR code, which is no
// colour) plain lines, so a log or a redirected file holds no escape sequences.
//
// On a terminal the screen is laid out for its size: the QR code goes first, so the address,
// the code and the live line are the last rows and stay on screen; a terminal too small for
// all of them gets a one-line hint instead of the QR code. Lines are wrapped between words,
// and the live line is cut to the width, so a redraw never leaves wrapped copies behind.
export interface PairingState {
  userCode: string
  verificationUri: string
  verificationUriComplete: string | null
  /** epoch ms */
  deadline: number
  intervalMs: number
  /** the wait before the next poll, from when this state was reported */
  waitMs?: number
  /** why the grant is backing off, or null while the server answers */
  retrying?: 'unreachable' | 'unavailable' | null
  waiting: boolean
}

type PairingSource = Omit<PairingState, 'waiting'>

/** What the view needs from a login snapshot: null until the device grant has a code. */
export function pairingOf(snapshot: { context: { pairing: PairingSource | null }; matches(state: 'deviceGrant'): boolean }): PairingState | null {
  const pairing = snapshot.context.pairing
  if (!pairing) return null
  return { ...pairing, waiting: snapshot.matches('deviceGrant') }
}

export interface DeviceViewOptions {
  stdout: Writable
  stderr: Writable
  terminal: Terminal
  qr: boolean
  /** --trace: pacing notices (the server asked to slow down) are shown too */
  trace?: boolean
  now?: () => number
  /** the words of the screen (English when not given) */
  words?: Words
}

/** The live line's words in each state, longest first. */
const LIVE_LINES = {
  waiting: ['screen.live.waiting.long', 'screen.live.waiting.medium', 'screen.live.waiting.short'],
  unreachable: ['screen.live.unreachable.long', 'screen.live.unreachable.medium', 'screen.live.unreachable.short'],
  unavailable: ['screen.live.unavailable.long', 'screen.live.unavailable.medium', 'screen.live.unavailable.short'],
} as const

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

interface TtySize {
  columns?: number
  rows?: number
}

const sizeOf = (stream: Writable): TtySize => stream as TtySize

export function createDeviceView(options: DeviceViewOptions) {
  const { stdout, stderr, terminal } = options
  const now = options.now ?? Date.now
  const { t } = options.words ?? english
  const about = (ms: number) => approximately(options.words ?? english, ms)
  let shown: PairingState | null = null
  let source: PairingSource | null = null
  /** epoch ms of the next try while the grant backs off */
  let retryAt = 0
  let resumed = false
  let timer: ReturnType<typeof setInterval> | null = null
  let frame = 0
  let lineDrawn = false

  const clearLine = () => {
    if (lineDrawn) stderr.write('\r\x1b[2K')
    lineDrawn = false
  }

  /** The live line's words, longest first: the first that fits the width is drawn. */
  const liveLines = (pairing: PairingState): string[] => {
    const left = formatDuration(pairing.deadline - now())
    const inSeconds = Math.ceil((retryAt - now()) / 1000)
    const when = inSeconds > 0 ? t('screen.live.in', { count: inSeconds }) : t('screen.live.now')
    return LIVE_LINES[pairing.retrying ?? 'waiting'].map((key) => t(key, { when, left }))
  }

  const draw = () => {
    if (!shown) return
    const spinner = FRAMES[frame++ % FRAMES.length]
    // One column short of the width: a line that fills the last column leaves some terminals
    // waiting to wrap, and the next redraw would land on a new row.
    const columns = sizeOf(stderr).columns
    const room = columns ? columns - 1 : Infinity
    const lines = liveLines(shown).map((line) => `${spinner} ${line}`)
    const line = lines.find((candidate) => textWidth(candidate) <= room) ?? cutToWidth(lines[lines.length - 1]!, room)
    stderr.write(`\r\x1b[2K${dim(terminal, line)}`)
    lineDrawn = true
  }

  /** Plain-line notices (no live line): said once when the server goes away and when it is back. */
  const noticeReachability = (before: PairingState['retrying'], after: PairingState['retrying'], pairing: PairingState) => {
    if (terminal.live || (before ?? null) === (after ?? null)) return
    if (after === 'unreachable' || after === 'unavailable') stderr.write(`${t(`screen.notice.${after}`, { left: about(pairing.deadline - now()) })}\n`)
    else stderr.write(`${t('screen.notice.back')}\n`)
  }

  const show = (pairing: PairingState) => {
    const { columns, rows } = sizeOf(stdout)
    const wrap = (line: string): string[] => (columns ? wrapWords(line, columns) : [line])
    const text: string[] = []
    if (resumed) text.push(...wrap(t('screen.resumed')))
    text.push(...wrap(t('screen.open', { address: pairing.verificationUri })))
    text.push(...wrap(t('screen.enterCode', { code: bold(terminal, pairing.userCode) })))
    const complete = pairing.verificationUriComplete
    if (complete) text.push(...wrap(t('screen.openComplete', { address: link(terminal, complete) })))
    const above = complete && terminal.qr && options.qr ? qrBlock(complete, terminal.qr, { columns, rows, below: text, live: terminal.live }) : []
    for (const line of [...above, ...text]) stdout.write(`${line}\n`)
    if (terminal.live) {
      timer = setInterval(draw, 250)
      timer.unref()
      draw()
    } else {
      stderr.write(`${t('screen.waiting', { left: about(pairing.deadline - now()) })}\n`)
    }
  }

  /**
   * The QR code and its caption, for above the text: at error correction M when it all fits,
   * else at L (one version smaller), else without the caption; a hint line when nothing fits.
   */
  const qrBlock = (address: string, style: NonNullable<Terminal['qr']>, room: TtySize & { below: string[]; live: boolean }): string[] => {
    // Rows each text line takes once the terminal wraps what could not be wrapped (an address).
    const textRows = room.below.reduce((sum, line) => sum + (room.columns ? Math.max(1, Math.ceil(textWidth(line) / room.columns)) : 1), 0)
    const liveRows = room.live ? 1 : 0
    const caption = t('screen.qrCaption')
    let needed = { columns: 0, rows: 0 }
    for (const [ecc, withCaption] of [
      ['M', true],
      ['L', true],
      ['L', false],
    ] as const) {
      const lines = drawQrCode(address, style, ecc)
      const width = textWidth(lines[0]!)
      const block = withCaption ? [caption, ...lines] : lines
      const rows = block.length + textRows + liveRows
      // Wrapped lines make no QR code; rows that scroll off make none either.
      if ((!room.columns || width <= room.columns) && (!room.rows || rows <= room.rows)) return block
      if (!needed.columns) needed = { columns: width, rows }
      else needed = { columns: Math.min(needed.columns, width), rows: Math.min(needed.rows, rows) }
    }
    if (room.columns && room.columns < needed.columns) return [t('screen.qrTooNarrow', { needed: needed.columns, columns: room.columns })]
    return [t('screen.qrTooShort', { rows: needed.rows })]
  }

  return {
    update: (snapshot: Parameters<typeof pairingOf>[0]): void => {
      const pairing = pairingOf(snapshot)
      if (!pairing?.waiting) {
        stop()
        return
      }
      const fresh = snapshot.context.pairing !== source
      source = snapshot.context.pairing
      if (fresh) retryAt = now() + (pairing.waitMs ?? pairing.intervalMs)
      if (!shown || shown.userCode !== pairing.userCode) {
        stop()
        // Before show(), whose first draw of the countdown reads it.
        shown = pairing
        show(pairing)
      } else if (fresh) {
        if (options.trace && pairing.intervalMs > shown.intervalMs) {
          clearLine()
          stderr.write(`${t('screen.slowDown', { seconds: Math.round(pairing.intervalMs / 1000) })}\n`)
        }
        noticeReachability(shown.retrying, pairing.retrying, pairing)
        shown = pairing
        if (lineDrawn) draw()
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
