// Debian's faketime for the clock specs: libfaketime preloaded into a child through its
// environment, so only that child's wall clock moves. The monotonic clock is left alone
// (FAKETIME_DONT_FAKE_MONOTONIC), as on a real machine whose wall clock is wrong or jumps.
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './effects.js'

const findLibrary = (): string | null => {
  for (const dir of ['/usr/lib', ...(existsSync('/usr/lib') ? readdirSync('/usr/lib').map((d) => join('/usr/lib', d)) : [])]) {
    const candidate = join(dir, 'faketime', 'libfaketime.so.1')
    if (existsSync(candidate)) return candidate
  }
  return null
}

export const LIBFAKETIME = findLibrary()
export const hasFaketime = (): boolean => LIBFAKETIME !== null

/** The environment of a child whose wall clock is off by `offset` (`+2d`, `-2d`, `+1h`). */
export const fakeClockEnv = (offset: string): NodeJS.ProcessEnv => ({
  LD_PRELOAD: LIBFAKETIME ?? '',
  FAKETIME: offset,
  FAKETIME_DONT_FAKE_MONOTONIC: '1',
})

/** A wall clock that can be moved while the child runs: write an offset with `jump`. */
export const jumpableClock = (): { env: NodeJS.ProcessEnv; jump(offset: string): void } => {
  const file = join(tempDir('omicos-faketime-'), 'offset')
  writeFileSync(file, '+0\n')
  return {
    env: { LD_PRELOAD: LIBFAKETIME ?? '', FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1' },
    jump: (offset) => writeFileSync(file, `${offset}\n`),
  }
}
