// Loaded into the `omicos` process by scripts/exit-time.ts --phases (node --import): notes, by
// the process's own monotonic clock (the one the script reads too), when it last wrote to
// stdout or stderr and when its 'exit' event came, and writes both to the file EXIT_TIME_PROBE
// names as it exits. That splits the gap the script sees into the time the CLI itself takes
// after its last line and the time Node's teardown and the kernel take after 'exit'.
import { writeFileSync } from 'node:fs'

const out = process.env.EXIT_TIME_PROBE
// Children (a name look-up) inherit the environment: only this process writes the file.
delete process.env.EXIT_TIME_PROBE
if (out) {
  let lastWriteAt = 0n
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' ? chunk.length > 0 : (chunk as Uint8Array).length > 0) lastWriteAt = process.hrtime.bigint()
      return write(chunk, ...rest)
    }) as typeof stream.write
  }
  process.once('exit', () => {
    writeFileSync(out, JSON.stringify({ lastWriteAt: String(lastWriteAt), exitEventAt: String(process.hrtime.bigint()) }))
  })
}
