import type { Writable } from 'node:stream'
import type { QrStyle } from './qr-code.js'

// What the command may draw, decided per stream: bold text, links and the QR code go to stdout,
// so only a terminal on stdout gets them; the spinner and countdown go to stderr, so only a
// terminal on stderr gets those. NO_COLOR or TERM=dumb: no escape sequences, so logs, pipes and
// redirected files get plain lines. The QR code is no colour: NO_COLOR keeps it (drawn without
// colours); only TERM=dumb, or stdout that is not a terminal, leaves it out.
export interface Terminal {
  /** stderr is a terminal that can redraw a line: spinner and countdown */
  live: boolean
  /** stdout is a terminal that shows escape sequences: bold, colours */
  rich: boolean
  /** a rich stdout that also takes OSC 8 links */
  links: boolean
  /** how a QR code is drawn on stdout, or null when stdout cannot show one */
  qr: QrStyle | null
}

const isTTY = (stream: Writable): boolean => Boolean((stream as { isTTY?: boolean }).isTTY)

/**
 * Windows: Node turns on the console's escape sequences (or, on an old console, translates
 * colours itself), so bold, colours and the QR code's block characters show in Windows Terminal
 * and in the classic console alike; an OSC 8 link is left to the terminals known to take one
 * (Windows Terminal sets WT_SESSION, VS Code TERM_PROGRAM), since the classic console does not.
 */
const takesLinks = (env: NodeJS.ProcessEnv, platform: NodeJS.Platform): boolean => platform !== 'win32' || Boolean(env.WT_SESSION) || env.TERM_PROGRAM === 'vscode'

export function detectTerminal(streams: { stdout: Writable; stderr: Writable }, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Terminal {
  const dumb = env.TERM === 'dumb'
  // no-color.org: set and not empty.
  const noColor = Boolean(env.NO_COLOR)
  const plain = noColor || dumb
  const rich = isTTY(streams.stdout) && !plain
  const qr = !isTTY(streams.stdout) || dumb ? null : rich ? 'colours' : lightBackground(env) ? 'dark-on-light' : 'light-on-dark'
  return { live: isTTY(streams.stderr) && !plain, rich, links: rich && takesLinks(env, platform), qr }
}

/**
 * COLORFGBG (`fg;bg`, set by rxvt, Konsole, iTerm2 and others) names the background's colour
 * index: 7 and 9-15 are the light ones. Unset or unreadable: a dark background, the usual.
 */
export const lightBackground = (env: NodeJS.ProcessEnv): boolean => {
  const bg = Number(env.COLORFGBG?.split(';').pop())
  return Number.isInteger(bg) && (bg === 7 || (bg >= 9 && bg <= 15))
}

/** Bold for text written to stdout. */
export const bold = (t: Terminal, text: string): string => (t.rich ? `\x1b[1m${text}\x1b[22m` : text)
/** Dim for the live line on stderr. */
export const dim = (t: Terminal, text: string): string => (t.live ? `\x1b[2m${text}\x1b[22m` : text)

/**
 * An address as an OSC 8 hyperlink (clickable in most terminals; the others show the text and
 * drop the sequence) on a stdout that takes links, plain text otherwise. `url` must be a checked address:
 * it is written between escape sequences as it is.
 */
export const link = (t: Terminal, url: string, text = url): string => (t.links ? `\x1b]8;;${url}\x1b\\${text}\x1b]8;;\x1b\\` : text)

export const formatDuration = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const minutes = Math.floor(total / 60)
  const seconds = total % 60
  return `${minutes}:${String(seconds).padStart(2, '0')}`
}

/** A time left for a sentence: seconds under 90 s ("30 s"), else minutes ("about 10 min"). */
export const approximately = (ms: number): string => (ms >= 90_000 ? `about ${Math.round(ms / 60_000)} min` : `${Math.max(0, Math.round(ms / 1000))} s`)

// SGR and other CSI sequences, and OSC sequences (links) ended by BEL or ST: no width on screen.
const ESCAPES = /\x1b\[[0-9;:?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g

/** East Asian wide and full-width characters take two columns (Unicode UAX #11, the common ranges). */
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/

/** Columns `text` takes on a terminal: escape sequences take none, wide characters two. */
export const textWidth = (text: string): number => {
  let width = 0
  for (const char of text.replace(ESCAPES, '')) width += WIDE.test(char) ? 2 : 1
  return width
}

/** `text` (plain, no escape sequences) cut to `columns`, ending in "…" when cut. */
export const cutToWidth = (text: string, columns: number): string => {
  if (textWidth(text) <= columns) return text
  let out = ''
  for (const char of text) {
    if (textWidth(out + char) > columns - 1) break
    out += char
  }
  return `${out}…`
}

/**
 * `line` broken between words into lines of at most `columns`, so a terminal never breaks a
 * word; a word longer than a line (an address) gets lines of its own, which the terminal wraps.
 * Chinese has no spaces between words: a line may break beside any wide character, but not
 * before closing punctuation (，。）) nor after opening punctuation (（「). Escape sequences (bold,
 * a link) are kept and count for nothing.
 */
export const wrapWords = (line: string, columns: number): string[] => {
  if (textWidth(line) <= columns) return [line]
  const lines: string[] = []
  let current: string | null = null
  for (const word of line.split(' ')) {
    breakablePieces(word).forEach((piece, i) => {
      const joined = current === null ? piece : `${current}${i === 0 ? ' ' : ''}${piece}`
      if (current === null || textWidth(joined) <= columns) current = joined
      else {
        lines.push(current)
        current = piece
      }
    })
  }
  lines.push(current ?? '')
  return lines
}

const NO_BREAK_BEFORE = /^[，。、；：？！）」』》〉】…％,.;:?!)]/
const NO_BREAK_AFTER = /[（「『《〈【(]$/
const UNIT = /\x1b\[[0-9;:?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|[\s\S]/gu

/** A word cut where a line may break inside it: beside its wide characters. */
const breakablePieces = (word: string): string[] => {
  if (!WIDE.test(word)) return [word]
  const pieces: string[] = []
  let afterWide = false
  for (const unit of word.match(UNIT) ?? []) {
    const wide = WIDE.test(unit)
    const last = pieces[pieces.length - 1]
    const canBreak = last !== undefined && (wide || afterWide) && !NO_BREAK_BEFORE.test(unit) && !NO_BREAK_AFTER.test(last)
    if (last === undefined || canBreak) pieces.push(unit)
    else pieces[pieces.length - 1] = last + unit
    if (!unit.startsWith('\x1b')) afterWide = wide
  }
  return pieces
}

/**
 * A line for a person on `stream`: on a terminal, broken between words to its width as the
 * pairing screen is (a notice above that screen must not break a word either); elsewhere as it
 * is, so pipes and logs get one line.
 */
export const fitToTerminal = (stream: Writable, line: string): string => {
  const columns = isTTY(stream) ? (stream as { columns?: number }).columns : undefined
  return columns ? wrapWords(line, columns).join('\n') : line
}
