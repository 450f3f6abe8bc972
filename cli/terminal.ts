import type { Writable } from 'node:stream'

// What the command may draw: spinners, QR codes and colour only on a real terminal, and none
// of it under NO_COLOR or TERM=dumb, so logs and pipes get plain lines.
export interface Terminal {
  /** stderr is a terminal that can redraw a line */
  live: boolean
  color: boolean
}

export function detectTerminal(stream: Writable, env: NodeJS.ProcessEnv): Terminal {
  const tty = Boolean((stream as { isTTY?: boolean }).isTTY)
  const plain = env.NO_COLOR !== undefined || env.TERM === 'dumb'
  return { live: tty && !plain, color: tty && !plain }
}

export const bold = (t: Terminal, text: string): string => (t.color ? `\x1b[1m${text}\x1b[22m` : text)
export const dim = (t: Terminal, text: string): string => (t.color ? `\x1b[2m${text}\x1b[22m` : text)

export const formatDuration = (ms: number): string => {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const minutes = Math.floor(total / 60)
  const seconds = total % 60
  return `${minutes}:${String(seconds).padStart(2, '0')}`
}
