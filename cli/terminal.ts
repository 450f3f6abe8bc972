import type { Writable } from 'node:stream'

// What the command may draw, decided per stream: bold text and the QR code go to stdout, so
// only a terminal on stdout gets them; the spinner and countdown go to stderr, so only a
// terminal on stderr gets those. None of it under NO_COLOR or TERM=dumb, so logs, pipes and
// redirected files get plain lines.
export interface Terminal {
  /** stderr is a terminal that can redraw a line: spinner and countdown */
  live: boolean
  /** stdout is a terminal that shows escape sequences and block characters: bold, QR code */
  rich: boolean
}

const isTTY = (stream: Writable): boolean => Boolean((stream as { isTTY?: boolean }).isTTY)

export function detectTerminal(streams: { stdout: Writable; stderr: Writable }, env: NodeJS.ProcessEnv): Terminal {
  const plain = env.NO_COLOR !== undefined || env.TERM === 'dumb'
  return { live: isTTY(streams.stderr) && !plain, rich: isTTY(streams.stdout) && !plain }
}

/** Bold for text written to stdout. */
export const bold = (t: Terminal, text: string): string => (t.rich ? `\x1b[1m${text}\x1b[22m` : text)
/** Dim for the live line on stderr. */
export const dim = (t: Terminal, text: string): string => (t.live ? `\x1b[2m${text}\x1b[22m` : text)

export const formatDuration = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const minutes = Math.floor(total / 60)
  const seconds = total % 60
  return `${minutes}:${String(seconds).padStart(2, '0')}`
}

/** A time left for a sentence: seconds under 90 s ("30 s"), else minutes ("about 10 min"). */
export const approximately = (ms: number): string =>
  ms >= 90_000 ? `about ${Math.round(ms / 60_000)} min` : `${Math.max(0, Math.round(ms / 1000))} s`
