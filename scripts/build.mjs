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
    if (name === 'node_modules' || name.startsWith('.')) continue
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
// The `omicos` bin, bundled over its transpiled copy: one file instead of a few hundred
// module loads (fs-extra, clipanion, xstate...), which is most of the CLI's start-up time
// (scripts/bench-startup.mjs). What the commands import with `await import()` stays lazy
// inside the bundle. The bundled CommonJS packages get a `require` for Node's built-ins.
await build({
  entryPoints: ['cli/main.ts'],
  outfile: 'dist/cli/main.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as __omicosCreateRequire } from 'node:module'\nconst require = __omicosCreateRequire(import.meta.url)" },
  sourcemap: 'linked',
  logLevel: 'warning',
})
for (const bin of ['dist/cli/main.js', 'dist/server/main.js']) if (existsSync(bin)) chmodSync(bin, 0o755)

// Declaration files for the package entry points; only on install (`prepare`), since the
// tests type-check on their own.
if (process.argv.includes('--types')) {
  const { spawnSync } = await import('node:child_process')
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' })
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
}
