#!/usr/bin/env node
// Builds the omicos-auth-server package into server/dist: every TypeScript source transpiled
// file by file (as the repository's own build does), the bin made executable, and with
// --types the declaration files of the programmatic API. Run by `npm pack`/`npm publish`
// (prepack) and by the repository's build, so the workspace's bin works after `npm install`.
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { chmodSync, readdirSync, rmSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** @type {string[]} */
const files = []
/** @param {string} dir */
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path)
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path)
  }
}
walk(here)

rmSync(join(here, 'dist'), { recursive: true, force: true })
await build({
  entryPoints: files,
  outdir: join(here, 'dist'),
  outbase: here,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
})
chmodSync(join(here, 'dist/main.js'), 0o755)

if (process.argv.includes('--types')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  const result = spawnSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}
