// Reading an answer's body without ever holding more of it than the engine can use.
import { readNodeBody } from './node-body.js'

/** The largest body read, compressed or not: metadata and token answers are a few KiB. */
export const MAX_BODY_BYTES = 1024 * 1024

export class BodyTooLarge extends Error {}

/**
 * The body as text, read as a stream and cut at `MAX_BODY_BYTES` decoded bytes: neither a
 * 100 MiB answer, nor an endless one, nor a small one that inflates (the fetch decompresses)
 * is ever held whole. Works with WHATWG streams (browsers, undici) and Node streams (node-fetch).
 */
export const readCapped = async (response: Response, stop: () => void): Promise<string> => {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    stop()
    throw new BodyTooLarge()
  }
  const body = response.body as unknown
  if (body == null) return ''
  const decoder = new TextDecoder()
  let size = 0
  let text = ''
  const take = (bytes: Uint8Array) => {
    size += bytes.byteLength
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge()
    text += decoder.decode(bytes, { stream: true })
  }
  const reader = (body as { getReader?: () => ReadableStreamDefaultReader<Uint8Array> }).getReader?.()
  try {
    if (reader) {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        take(value)
      }
    } else if (!(await readNodeBody(body, take))) {
      const whole = await response.text()
      if (whole.length > MAX_BODY_BYTES) throw new BodyTooLarge()
      return whole
    }
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      stop()
      reader?.cancel().catch(() => {})
      ;(body as { destroy?: () => void }).destroy?.()
    }
    throw error
  }
  return text + decoder.decode()
}
