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
for (const bin of ['dist/cli/main.js', 'dist/server/main.js']) if (existsSync(bin)) chmodSync(bin, 0o755)
