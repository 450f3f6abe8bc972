import { encode } from 'uqr'

// A QR code drawn with half-block characters: one character cell holds two modules, one above
// the other, so the modules come out about square in a terminal's tall cells.
//
// How it is coloured decides whether it scans. A scanner wants dark modules on a light ground;
// drawn in the terminal's own colours the result depends on the theme (the same characters are
// right on a dark theme and inverted on a light one). So:
// - 'colours': black modules on a white ground, set explicitly (xterm 256-colour indices 16 and
//   231, which are #000000 and #ffffff in the colour cube that themes leave alone), so it is
//   right whatever the theme;
// - without colours (NO_COLOR), the light modules are drawn as blocks in the foreground colour:
//   right on a dark background, the usual terminal theme. 'dark-on-light' is the other way
//   round, for a terminal that says its background is light (COLORFGBG).
export type QrStyle = 'colours' | 'light-on-dark' | 'dark-on-light'

/** ISO/IEC 18004 asks for a quiet zone of 4 modules on every side. */
export const QUIET_ZONE = 4

const BLACK_ON_WHITE = '\x1b[38;5;16;48;5;231m'
const RESET = '\x1b[0m'

/**
 * The lines that draw `text` as a QR code (no trailing newline). `ecc` 'M' (the default): 15%
 * of the code can be lost (glare on a screen, a cursor over it) and it still reads; 'L' (7%)
 * makes a pairing address one version smaller (37 columns by 19 rows), which is what lets it
 * sit above the address on an 80×24 terminal.
 */
export function drawQrCode(text: string, style: QrStyle, ecc: 'L' | 'M' = 'M'): string[] {
  // boostEcc off: the level asked for is the level drawn, so the size is the one planned for.
  const { data, size } = encode(text, { ecc, border: 0, boostEcc: false })
  const full = size + 2 * QUIET_ZONE
  const dark = (x: number, y: number): boolean => {
    const col = x - QUIET_ZONE
    const row = y - QUIET_ZONE
    return row >= 0 && row < size && col >= 0 && col < size && data[row]![col] === true
  }
  // Blocks stand for dark modules when the ink is dark (explicit black, or a dark foreground).
  const inkIsDark = style !== 'light-on-dark'
  const lines: string[] = []
  for (let y = 0; y < full; y += 2) {
    let line = ''
    for (let x = 0; x < full; x++) {
      // The row below the last one of an odd height is more quiet zone.
      const top = dark(x, y) === inkIsDark
      const bottom = (y + 1 < full ? dark(x, y + 1) : false) === inkIsDark
      line += top ? (bottom ? '█' : '▀') : bottom ? '▄' : ' '
    }
    lines.push(style === 'colours' ? `${BLACK_ON_WHITE}${line}${RESET}` : line)
  }
  return lines
}
