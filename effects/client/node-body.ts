// The body of node-fetch's answers (the Node actors' fetch, effects/node/node-fetch.ts): a Node
// stream, read chunk by chunk, where a WHATWG fetch gives a ReadableStream. A browser bundle
// takes node-body.browser.ts instead (package.json `browser`): a browser's fetch never gives one.

type Chunks = AsyncIterable<Uint8Array | string>

/** Hands each chunk of a Node stream to `take`, as bytes; false when `body` is not one. */
export const readNodeBody = async (body: unknown, take: (bytes: Uint8Array) => void): Promise<boolean> => {
  if (typeof (body as Chunks)[Symbol.asyncIterator] !== 'function') return false
  for await (const chunk of body as Chunks) take(typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk)
  return true
}
