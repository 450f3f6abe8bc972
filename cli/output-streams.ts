import type { Writable } from 'node:stream'
import { english, type Words } from './words/english.js'

// A reader that stops early (`omicos login --status | head -1`) closes the pipe, and the next
// write fails with EPIPE. Node reports that as an 'error' event on process.stdout, and an
// unhandled one ends the process with a stack trace. Nobody is left to read what remains, so
// it is dropped; the command ends as it would have, with its exit code. A command that waits
// (a pairing) also stops: see OmicosCommand.withInterrupt.
export function quietWhenReaderGoes(stdout: Writable, stderr: Writable, words: Words = english): void {
  const guard = (stream: Writable, other: Writable, name: 'stdout' | 'stderr') =>
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') return
      // Anything else on an output stream also means nothing more can be written to it: one
      // line on the other stream, never a stack.
      if (!other.destroyed) other.write(`${words.t('line.error', { line: words.t(`output.cannotWrite.${name}`, { code: error.code ?? error.message }) })}\n`)
    })
  guard(stdout, stderr, 'stdout')
  guard(stderr, stdout, 'stderr')
}

/**
 * Ends the process once what was written has left it. The last line is the command's answer,
 * and nothing after it changes anything; but a name look-up still running in libuv's thread
 * pool (getaddrinfo cannot be cancelled: a name server that never answers holds it for the
 * resolver's timeout times its attempts, a minute and more), a socket an aborted request left
 * half open, or a timer would otherwise keep the event loop, and the process, alive long after
 * the error was shown. Every effect is awaited before the command returns, so nothing that
 * matters is cut short.
 */
export async function exitWhenWritten(streams: Writable[] = [process.stdout, process.stderr]): Promise<never> {
  await Promise.all(streams.map(flushed))
  process.exit()
}

/** Resolves once everything written to `stream` so far has gone (at once when it cannot be written). */
const flushed = (stream: Writable): Promise<void> =>
  new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded || !stream.writable) return resolve()
    // A write callback runs after every earlier write has been handed on, or with its error.
    stream.write('', () => resolve())
  })
