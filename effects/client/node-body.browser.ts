// node-body.ts for a browser bundle (package.json `browser` maps one to the other): a browser's
// fetch gives its body as a ReadableStream, read by capped-body.ts itself, never a Node stream.
import type { readNodeBody as nodeReadNodeBody } from './node-body.js'

export const readNodeBody: typeof nodeReadNodeBody = async () => false
