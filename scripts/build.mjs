#!/usr/bin/env node
// Transpiles every TypeScript source to dist/ file by file (no bundling), so `node` runs the
// bins directly and start-up does not pay for a TypeScript loader. Type checking is a separate
// step (`npm run typecheck`), run by the tests.
import { build } from 'esbuild'
import { readdirSync, statSync, chmodSync, rmSync, existsSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['machines', 'effects', 'cli', 'server', 'spec', 'scripts', 'examples']
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path)
  }
}
for (const root of roots) if (existsSync(root)) walk(root)

if (process.argv.includes('--clean')) rmSync('dist', { recursive: true, force: true })
await build({
  entryPoints: files,
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
})
// The `omicos` bin, bundled over its transpiled copy: a few files instead of a few hundred
// module loads (clipanion, xstate, cross-fetch...), which were most of the CLI's start-up time
// (scripts/bench-startup.mjs). What the commands load with `await import()` (the engine,
// cross-fetch, enquirer, the QR code) goes to chunks in dist/cli/bundle/, read only when
// used, so `--version` and `--help` read clipanion and nothing else. The bundled CommonJS
// packages get a `require` for Node's built-ins. Chunks of earlier builds are removed after
// this one is written, so a CLI started a moment before still finds its own.
const bundled = await build({
  entryPoints: ['cli/main.ts'],
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'bundle/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as __omicosCreateRequire } from 'node:module'\nconst require = __omicosCreateRequire(import.meta.url)" },
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
})
const written = new Set(Object.keys(bundled.metafile.outputs).map((file) => join(file)))
for (const name of readdirSync('dist/cli/bundle')) {
  const file = join('dist/cli/bundle', name)
  if (!written.has(file) && !written.has(file.replace(/\.map$/, ''))) rmSync(file, { force: true })
}
for (const bin of ['dist/cli/main.js', 'dist/server/main.js']) if (existsSync(bin)) chmodSync(bin, 0o755)

// The server is also its own package (server/, the omicos-auth-server workspace), built into
// server/dist, so its bin that npm links at the root runs after `npm install`. The specs use
// the copy in dist/server, beside everything else.
{
  const { spawnSync } = await import('node:child_process')
  const server = spawnSync(process.execPath, ['server/build-package.mjs'], { stdio: 'inherit' })
  if (server.status !== 0) process.exit(server.status ?? 1)
}

// Declaration files for the package entry points; only on install (`prepare`), since the
// tests type-check on their own.
if (process.argv.includes('--types')) {
  const { spawnSync } = await import('node:child_process')
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' })
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
}
