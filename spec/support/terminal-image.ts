// A terminal screen, as `tmux capture-pane -e -p` prints it (text with SGR colour sequences),
// turned into the picture a person would see on a given theme, and a QR decoder to read it:
// what a phone sees, short of the camera. Half-block characters (▀ ▄ █) and spaces are drawn
// exactly; any other character is drawn as its background (text is no part of a QR code).
// Default colours take the theme's foreground and background; indices 0-15 take the theme's
// palette; 16-255 are xterm's colour cube and grey ramp; 38;2 / 48;2 are taken as they are.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { crc32, deflateSync } from 'node:zlib'
import { timeout } from './wait.js'

type Rgb = readonly [number, number, number]

export interface Theme {
  name: string
  foreground: Rgb
  background: Rgb
  /** ANSI colours 0-15 */
  palette: readonly Rgb[]
}

const hex = (value: string): Rgb => [0, 2, 4].map((i) => parseInt(value.slice(i, i + 2), 16)) as unknown as Rgb
const palette = (colours: string): Rgb[] => colours.split(' ').map(hex)

/** Solarized Light: a light theme whose "black" and "white" are not black and white. */
export const LIGHT_THEME: Theme = {
  name: 'light',
  foreground: hex('657b83'),
  background: hex('fdf6e3'),
  palette: palette('073642 dc322f 859900 b58900 268bd2 d33682 2aa198 eee8d5 002b36 cb4b16 586e75 657b83 839496 6c71c4 93a1a1 fdf6e3'),
}

/** A dark theme (VS Code's Dark+ terminal colours). */
export const DARK_THEME: Theme = {
  name: 'dark',
  foreground: hex('cccccc'),
  background: hex('1e1e1e'),
  palette: palette('000000 cd3131 0dbc79 e5e510 2472c8 bc3fbc 11a8cd e5e5e5 666666 f14c4c 23d18b f5f543 3b8eea d670d6 29b8db e5e5e5'),
}

type Colour = { kind: 'default' } | { kind: 'index'; index: number } | { kind: 'rgb'; rgb: Rgb }
const DEFAULT: Colour = { kind: 'default' }

const cube = (index: number): Rgb => {
  if (index >= 232) {
    const level = 8 + (index - 232) * 10
    return [level, level, level]
  }
  const n = index - 16
  const level = (v: number) => (v === 0 ? 0 : 55 + v * 40)
  return [level(Math.floor(n / 36)), level(Math.floor(n / 6) % 6), level(n % 6)]
}

const resolve = (colour: Colour, theme: Theme, fallback: Rgb): Rgb =>
  colour.kind === 'default' ? fallback : colour.kind === 'rgb' ? colour.rgb : colour.index < 16 ? theme.palette[colour.index]! : cube(colour.index)

interface Cell {
  char: string
  fg: Colour
  bg: Colour
  reverse: boolean
}

/** The screen as rows of cells with their colours. */
export function parseScreen(screen: string): Cell[][] {
  const rows: Cell[][] = []
  let fg: Colour = DEFAULT
  let bg: Colour = DEFAULT
  let reverse = false
  for (const line of screen.split('\n')) {
    const row: Cell[] = []
    // OSC (links, titles) and non-SGR CSI sequences are dropped; SGR sets the colours.
    const parts = line.replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g, '').split(/(\x1b\[[0-9;:?]*[A-Za-z])/)
    for (const part of parts) {
      const sgr = /^\x1b\[([0-9;:]*)m$/.exec(part)
      if (sgr) {
        const codes = sgr[1] === '' ? [0] : sgr[1]!.split(/[;:]/).map(Number)
        for (let i = 0; i < codes.length; i++) {
          const c = codes[i]!
          if (c === 0) [fg, bg, reverse] = [DEFAULT, DEFAULT, false]
          else if (c === 7) reverse = true
          else if (c === 27) reverse = false
          else if (c >= 30 && c <= 37) fg = { kind: 'index', index: c - 30 }
          else if (c >= 90 && c <= 97) fg = { kind: 'index', index: c - 90 + 8 }
          else if (c >= 40 && c <= 47) bg = { kind: 'index', index: c - 40 }
          else if (c >= 100 && c <= 107) bg = { kind: 'index', index: c - 100 + 8 }
          else if (c === 39) fg = DEFAULT
          else if (c === 49) bg = DEFAULT
          else if (c === 38 || c === 48) {
            let colour: Colour
            if (codes[i + 1] === 5) {
              colour = { kind: 'index', index: codes[i + 2]! }
              i += 2
            } else {
              colour = { kind: 'rgb', rgb: [codes[i + 2]!, codes[i + 3]!, codes[i + 4]!] }
              i += 4
            }
            if (c === 38) fg = colour
            else bg = colour
          }
        }
        continue
      }
      if (part.startsWith('\x1b')) continue
      for (const char of part) row.push({ char, fg, bg, reverse })
    }
    rows.push(row)
  }
  return rows
}

/** Pixels of a character cell: 1:2, like a terminal's, so a half block is a square. */
const CELL_W = 4
const CELL_H = 8

/** The screen as a PNG on `theme`, with a margin of the theme's background around it. */
export function screenToPng(screen: string, theme: Theme): Buffer {
  const rows = parseScreen(screen)
  const margin = 2
  const columns = Math.max(1, ...rows.map((row) => row.length)) + 2 * margin
  const width = columns * CELL_W
  const height = (rows.length + 2 * margin) * CELL_H
  const pixels = Buffer.alloc(width * height * 3)
  for (let i = 0; i < width * height; i++) pixels.set(theme.background, i * 3)
  for (const [y, row] of rows.entries()) {
    for (const [x, cell] of row.entries()) {
      let fg = resolve(cell.fg, theme, theme.foreground)
      let bg = resolve(cell.bg, theme, theme.background)
      if (cell.reverse) [fg, bg] = [bg, fg]
      const top = cell.char === '█' || cell.char === '▀'
      const bottom = cell.char === '█' || cell.char === '▄'
      for (let dy = 0; dy < CELL_H; dy++) {
        const ink = dy < CELL_H / 2 ? top : bottom
        for (let dx = 0; dx < CELL_W; dx++) {
          const px = (x + margin) * CELL_W + dx
          const py = (y + margin) * CELL_H + dy
          pixels.set(ink ? fg : bg, (py * width + px) * 3)
        }
      }
    }
  }
  return encodePng(width, height, pixels)
}

/** A truecolour PNG (RFC 2083): signature, IHDR, one IDAT of unfiltered rows, IEND. */
export function encodePng(width: number, height: number, rgb: Buffer): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header.set([8, 2, 0, 0, 0], 8) // 8 bits, RGB, deflate, no filter method, no interlace
  const raw = Buffer.alloc((width * 3 + 1) * height)
  for (let y = 0; y < height; y++) rgb.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

export const ZBARIMG = '/usr/bin/zbarimg'

/** What zbarimg reads in the PNG at `path` (written first): one string per QR code, [] when none. */
export async function decodeQr(path: string, png: Buffer): Promise<string[]> {
  writeFileSync(path, png)
  // Only QR codes: no stray barcode read out of a row of blocks.
  const child = spawn(ZBARIMG, ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', path], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const code = await timeout(new Promise<number | null>((done) => child.on('close', done)), 20_000, 'zbarimg').catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
  // 4: no symbol found.
  if (code !== 0 && code !== 4) throw new Error(`zbarimg exited ${code}: ${err}`)
  return out.split('\n').filter((line) => line !== '')
}
