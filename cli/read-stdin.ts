import type { Readable } from 'node:stream'
import { UsageFailure } from './command-base.js'

const MAX_PASSWORD_BYTES = 4096

/** --password-stdin: everything up to EOF, less one trailing newline (what `echo` adds). */
export async function readPasswordFromStdin(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    size += buffer.length
    if (size > MAX_PASSWORD_BYTES) throw new UsageFailure('standard input is too long to be a password')
    chunks.push(buffer)
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
  if (!password) throw new UsageFailure('--password-stdin: standard input was empty')
  return password
}
