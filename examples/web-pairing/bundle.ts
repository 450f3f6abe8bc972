// Builds the web pairing example into one browser bundle (esbuild: platform browser, bundle,
// esm) beside a copy of its index.html, and serves that directory from a small static server.
// Used by spec/package/example-web-pairing.spec.ts and by ./serve.ts.
import { build } from 'esbuild'
import { existsSync, mkdirSync, copyFileSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const SOURCE = join('examples', 'web-pairing')

/** The repository root: the first directory above this file that holds the example's sources. */
export const repoRoot = (): string => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, SOURCE, 'main.ts'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`cannot find ${SOURCE}/main.ts above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

export interface WebPairingBuild {
  outDir: string
  /** the bundle's size in bytes */
  bytes: number
  /** every source file in the bundle, relative to the repository root */
  inputs: string[]
  /** every import the bundle left to the runtime (none is expected) */
  externalImports: string[]
}

/**
 * Bundles examples/web-pairing/main.ts to `outDir/app.js` and copies index.html beside it. The
 * example imports the package by name (omicos-auth/machines, omicos-auth/client): from this
 * repository they resolve to the sources (tsconfig.json `paths`); with `project`, a folder
 * whose node_modules holds the installed package, the example's files are copied there and
 * bundled from what the package ships, as any user of it would.
 */
export async function buildWebPairing(options: { outDir?: string; minify?: boolean; project?: string } = {}): Promise<WebPairingBuild> {
  const root = repoRoot()
  const outDir = resolve(root, options.outDir ?? join('dist', SOURCE))
  mkdirSync(outDir, { recursive: true })
  let base = root
  let sourceDir = join(root, SOURCE)
  if (options.project) {
    base = resolve(options.project)
    sourceDir = join(base, 'web-pairing')
    mkdirSync(sourceDir, { recursive: true })
    for (const name of readdirSync(join(root, SOURCE))) {
      if (name.endsWith('.ts') && name !== 'bundle.ts' && name !== 'serve.ts') copyFileSync(join(root, SOURCE, name), join(sourceDir, name))
    }
  }
  const result = await build({
    absWorkingDir: base,
    ...(options.project ? { tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } } } : {}),
    entryPoints: [join(sourceDir, 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: 'linked',
    minify: options.minify ?? false,
    metafile: true,
    logLevel: 'silent',
  })
  copyFileSync(join(root, SOURCE, 'index.html'), join(outDir, 'index.html'))
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('app.js'))
  return {
    outDir,
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    inputs: Object.keys(result.metafile.inputs),
    externalImports: outputs.flatMap(([, output]) => output.imports.filter((i) => i.external).map((i) => i.path)),
  }
}

export interface StaticServer {
  /** `http://127.0.0.1:PORT`: the page's origin, to allow on the auth server */
  origin: string
  port: number
  close(): Promise<void>
}

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json; charset=utf-8' },
}

// The page runs no inline script and talks to the auth server only with fetch.
const CSP = "default-src 'self'; connect-src http: https:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'"

/** Serves the built example (index.html, app.js and its map, nothing else) on loopback. */
export function serveWebPairing(dir: string, options: { port?: number; host?: string } = {}): Promise<StaticServer> {
  const host = options.host ?? '127.0.0.1'
  const sockets = new Set<Socket>()
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const entry = FILES[path]
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !entry || !existsSync(join(dir, entry.file))) {
      res.writeHead(entry ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' }).end(entry ? 'method not allowed\n' : 'not found\n')
      return
    }
    const body = readFileSync(join(dir, entry.file))
    res.writeHead(200, {
      'content-type': entry.type,
      'content-length': body.length,
      'cache-control': 'no-store',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return new Promise((resolveStarted, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject)
      const { port } = server.address() as AddressInfo
      resolveStarted({
        origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            for (const socket of sockets) socket.destroy()
          }),
      })
    })
  })
}
