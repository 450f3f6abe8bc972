// Builds the web pairing example and serves it next to the reference auth server, both on
// loopback, with the page's origin allowed by the server's CORS:
//
//   node scripts/build.mjs
//   printf %s 'correct horse battery' | node dist/server/main.js users add --email ada@example.com --password-stdin --data ./auth-data
//   node dist/examples/web-pairing/serve.js --data ./auth-data [--port 5173] [--server-port 8787] [--interval 2]
//   (or: npm run example:web-pairing -- --data ./auth-data)
//
// then open the printed address, press Pair, and approve the code on the server's /device page.
import { parseArgs } from 'node:util'
import { startServer } from '../../server/index.js'
import { buildWebPairing, serveWebPairing } from './bundle.js'

const usage = 'usage: serve.js --data DIR [--port 5173] [--server-port 8787] [--interval 2]'

const port = (value: string, name: string): number => {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, not "${value}"`)
  return n
}

try {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      port: { type: 'string', default: '5173' },
      'server-port': { type: 'string', default: '8787' },
      interval: { type: 'string', default: '2' },
    },
  })
  if (!values.data) throw new Error(`--data is required (the reference server's data directory)\n${usage}`)

  const built = await buildWebPairing()
  const page = await serveWebPairing(built.outDir, { port: port(values.port, '--port') })
  const auth = await startServer({
    dataDir: values.data,
    port: port(values['server-port'], '--server-port'),
    interval: Number(values.interval),
    corsOrigins: [page.origin, page.origin.replace('127.0.0.1', 'localhost')],
    log: (line) => process.stderr.write(`${line}\n`),
  })
  process.stdout.write(
    `auth server on ${auth.url} (approve codes at ${auth.url}/device)\n` +
      `web pairing example on ${page.origin}/?server=${encodeURIComponent(auth.url)}\n` +
      'Ctrl-C stops both.\n',
  )
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await Promise.all([page.close(), auth.close()])
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 2
}
