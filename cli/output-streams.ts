import type { Writable } from 'node:stream'

// A reader that stops early (`omicos login --status | head -1`) closes the pipe, and the next
// write fails with EPIPE. Node reports that as an 'error' event on process.stdout, and an
// unhandled one ends the process with a stack trace. Nobody is left to read what remains, so
// it is dropped; the command ends as it would have, with its exit code. A command that waits
// (a pairing) also stops: see OmicosCommand.withInterrupt.
export function quietWhenReaderGoes(stdout: Writable, stderr: Writable): void {
  const guard = (stream: Writable, other: Writable, name: string) =>
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') return
      // Anything else on an output stream also means nothing more can be written to it: one
      // line on the other stream, never a stack.
      if (!other.destroyed) other.write(`error: cannot write to standard ${name} (${error.code ?? error.message})\n`)
    })
  guard(stdout, stderr, 'output')
  guard(stderr, stdout, 'error')
}
