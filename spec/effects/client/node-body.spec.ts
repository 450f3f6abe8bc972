// A browser bundle takes node-body.browser.ts in place of node-body.ts (package.json `browser`):
// a browser's fetch gives a ReadableStream, which capped-body.ts reads itself, never a Node
// stream. The Node module reads node-fetch's streams, whose chunks may be strings, as bytes.
import { Readable } from 'node:stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readNodeBody as browserReadNodeBody } from '../../../effects/client/node-body.browser.js'
import { readNodeBody } from '../../../effects/client/node-body.js'

const collect = async (read: typeof readNodeBody, body: unknown) => {
  const chunks: Uint8Array[] = []
  const done = await read(body, (bytes) => chunks.push(bytes))
  return { read: done, text: new TextDecoder().decode(Buffer.concat(chunks)) }
}

test('a Node stream of strings and bytes is read as bytes, in order', async () => {
  const body = Readable.from(['zhè shì ', Buffer.from('一个回答'), 'ok'])
  assert.equal(await collect(readNodeBody, body), { read: true, text: 'zhè shì 一个回答ok' })
})

test('what is not a Node stream is left to the caller, by both modules', async () => {
  for (const body of [{}, 'text', 42]) {
    assert.equal(await collect(readNodeBody, body), { read: false, text: '' })
    assert.equal(await collect(browserReadNodeBody, body), { read: false, text: '' })
  }
  // A browser bundle reads no Node stream: capped-body.ts then takes the whole text, capped.
  assert.equal(await collect(browserReadNodeBody, Readable.from(['x'])), { read: false, text: '' })
})

test.run()
