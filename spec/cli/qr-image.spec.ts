// The QR code of the pairing screen as a phone would see it: drawn by cli/qr-code.ts, painted
// on a light and on a dark theme (spec/support/terminal-image.ts), read back with zbarimg.
// The end-to-end version, from a real terminal (tmux), is in device-terminal.spec.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { drawQrCode, QUIET_ZONE } from '../../cli/qr-code.js'
import { DARK_THEME, decodeQr, LIGHT_THEME, screenToPng } from '../support/terminal-image.js'

const ADDRESS = 'https://auth.omicos.cn/device?user_code=BCDF-GHJK'
const dir = mkdtempSync(join(tmpdir(), 'omicos-qr-'))
test.after(() => rmSync(dir, { recursive: true, force: true }))

const read = (lines: string[], theme: typeof LIGHT_THEME) => decodeQr(join(dir, `${theme.name}-${Math.random()}.png`), screenToPng(lines.join('\n'), theme))

test('in colours (black on white, set explicitly): read on a light and on a dark theme', async () => {
  const lines = drawQrCode(ADDRESS, 'colours')
  assert.equal(await read(lines, LIGHT_THEME), [ADDRESS])
  assert.equal(await read(lines, DARK_THEME), [ADDRESS])
  for (const line of lines) assert.ok(line.startsWith('\x1b[38;5;16;48;5;231m') && line.endsWith('\x1b[0m'), JSON.stringify(line))
})

test('without colours: light-on-dark reads on a dark theme, dark-on-light on a light one', async () => {
  assert.equal(await read(drawQrCode(ADDRESS, 'light-on-dark'), DARK_THEME), [ADDRESS])
  assert.equal(await read(drawQrCode(ADDRESS, 'dark-on-light'), LIGHT_THEME), [ADDRESS])
  for (const style of ['light-on-dark', 'dark-on-light'] as const) {
    for (const line of drawQrCode(ADDRESS, style)) assert.not.match(line, '\x1b')
  }
})

test('the image is no kinder than a phone: a code drawn for a dark theme, shown on a light one, is not read', async () => {
  // What the pairing screen drew before: the same characters in the terminal's own colours.
  assert.equal(await read(drawQrCode(ADDRESS, 'light-on-dark'), LIGHT_THEME), [])
})

test('a quiet zone of 4 modules on every side (2 character rows, 4 columns)', () => {
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '')
  for (const style of ['colours', 'dark-on-light', 'light-on-dark'] as const) {
    const lines = drawQrCode(ADDRESS, style).map(plain)
    const light = style === 'light-on-dark' ? '█' : ' '
    const width = lines[0]!.length
    assert.ok(lines.every((line) => [...line].length === width))
    for (const row of [0, 1]) assert.is(lines[row], light.repeat(width), `${style}: row ${row}`)
    // The last row of an odd height has its lower half outside the code: quiet zone as well.
    for (const row of [lines.length - 2, lines.length - 1]) assert.is(lines[row], light.repeat(width), `${style}: row ${row}`)
    for (const line of lines) {
      assert.is(line.slice(0, QUIET_ZONE), light.repeat(QUIET_ZONE), style)
      assert.is(line.slice(-QUIET_ZONE), light.repeat(QUIET_ZONE), style)
    }
  }
})

test.run()
