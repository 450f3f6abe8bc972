// The two packages as a user gets them: `npm pack` of omicos-auth and of omicos-auth-server,
// installed from the tarballs (their dependencies come from the registry) into an empty folder
// and into a clean global prefix, and their bins run from there. The CLI package must install
// without a compiler: nothing native anywhere in its dependency tree.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const ROOT = resolve('.')
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
const SERVER_VERSION = (JSON.parse(readFileSync(join(ROOT, 'server/package.json'), 'utf8')) as { version: string }).version
const work = mkdtempSync(join(tmpdir(), 'omicos-package-install-'))

// The npm that runs this file (under `npm test`) leaves its own settings in the environment;
// the installs here must not see them (a `prefix` or `global` from outside would install elsewhere).
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_(package|lifecycle)_|^npm_config_(local_prefix|prefix|global|workspaces?)$/i.test(key)),
)

/** One command, bounded in time; its output is kept for the failure message. */
function run(command: string, args: string[], cwd: string, ms: number): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: ms, stdio: ['ignore', 'pipe', 'pipe'] })
  const shown = `${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal ?? result.error?.message}\n${result.stdout}\n${result.stderr}`
  assert.is(result.status, 0, shown)
  return result
}

const npm = (args: string[], cwd: string, ms = 120_000) => run('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], cwd, ms)

interface Packed {
  filename: string
  files: Array<{ path: string }>
}

/** `npm pack` without lifecycle scripts: the root's `prepack` would rebuild dist/ under the other spec files running now. */
function pack(cwd: string): { tarball: string; files: string[] } {
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], cwd)
  const [packed] = JSON.parse(out.stdout) as Packed[]
  return { tarball: join(work, packed!.filename), files: packed!.files.map((f) => f.path) }
}

let cli: { tarball: string; files: string[] }
let server: { tarball: string; files: string[] }

test.before(() => {
  // Declarations come from the package-exports spec or an earlier run; made here only when missing.
  if (!existsSync(join(ROOT, 'dist/testing/index.d.ts'))) run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], ROOT, 180_000)
  cli = pack(ROOT)
  run(process.execPath, ['server/build-package.mjs', '--types'], ROOT, 180_000)
  server = pack(join(ROOT, 'server'))
})

test.after(() => {
  rmSync(work, { recursive: true, force: true })
})

test('the omicos-auth tarball holds the built code, declarations, docs, README, CHANGELOG and LICENSE only', () => {
  const { files } = cli
  for (const needed of [
    'LICENSE',
    'README.md',
    'CHANGELOG.md',
    'package.json',
    'dist/cli/omicos.cjs',
    'dist/cli/main.js',
    'dist/cli/rendered-texts.json',
    'dist/cli/status-main.cjs',
    'dist/cli/status-main.cjs.cache',
    'dist/effects/node/api.js',
    'dist/effects/node/api.d.ts',
    'dist/machines/index.d.ts',
    'dist/effects/client/device-grant.d.ts',
    'dist/effects/client/index.d.ts',
    'dist/testing/index.d.ts',
    'docs/embedding.md',
    'docs/machines/login.md',
    'docs/cli-json.schema.json',
  ]) {
    assert.ok(files.includes(needed), `the tarball holds ${needed}`)
  }
  // The transpiled entries ship their maps (sources inlined); the CLI bundles do not (megabytes of dependencies).
  const unwanted = files.filter(
    (f) => (f.endsWith('.map') && f.startsWith('dist/cli/')) || /^(dist\/)?(spec|server|scripts|examples)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
  )
  assert.equal(unwanted, [], 'no CLI source maps, specs, server, scripts, examples or sources')
})

test('the omicos-auth-server tarball holds its bin, built code and declarations', () => {
  const { files } = server
  for (const needed of ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json', 'bin/omicos-auth-server.js', 'dist/main.js', 'dist/index.js', 'dist/index.d.ts']) {
    assert.ok(files.includes(needed), `the tarball holds ${needed}`)
  }
  assert.equal(
    files.filter((f) => f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
    [],
  )
})

test('omicos-auth installs into an empty folder: `omicos --version` runs, the API loads, nothing native', () => {
  const dir = join(work, 'local')
  mkdirSync(dir)
  npm(['install', '--prefix', dir, cli.tarball], dir)
  const version = run(join(dir, 'node_modules/.bin/omicos'), ['--version'], dir, 20_000)
  assert.is(version.stdout.trim(), VERSION)
  const api = run(
    process.execPath,
    ['--input-type=module', '-e', "const m = await import('omicos-auth'); console.log(typeof m.login, typeof m.deviceLogin)"],
    dir,
    20_000,
  )
  assert.is(api.stdout.trim(), 'function function')
  assert.equal(nativeParts(join(dir, 'node_modules')), [], 'no native addon in the CLI package dependency tree')
})

test('omicos-auth installs into a clean global prefix: `omicos --version` runs from its bin', () => {
  const prefix = join(work, 'global')
  npm(['install', '--global', '--prefix', prefix, cli.tarball], work)
  const version = run(join(prefix, 'bin/omicos'), ['--version'], work, 20_000)
  assert.is(version.stdout.trim(), VERSION)
  assert.equal(nativeParts(join(prefix, 'lib/node_modules')), [])
  // The plain status runs from its own bundle, the parsed one from the CLI's: both are in the package.
  const home = join(work, 'home')
  for (const args of [
    ['login', '--status'],
    ['login', '--status', '--no-force'],
  ]) {
    const status = spawnSync(join(prefix, 'bin/omicos'), args, { cwd: work, env: { ...env, OMICOS_HOME: home }, encoding: 'utf8', timeout: 20_000 })
    assert.is(status.status, 1, `${args.join(' ')}: ${status.stderr}`)
    assert.match(status.stdout, /^Not logged in\./)
  }
})

test('omicos-auth-server installs from its own tarball: `omicos-auth-server --help` runs', () => {
  const prefix = join(work, 'server-global')
  // Without install scripts: better-sqlite3 would compile SQLite from source here (a minute or
  // more on a small machine); the repository's own `npm ci` builds and tests it. `--help` and
  // `--version` load the command line, not the database.
  npm(['install', '--global', '--prefix', prefix, '--ignore-scripts', server.tarball], work, 180_000)
  const help = run(join(prefix, 'bin/omicos-auth-server'), ['--help'], work, 20_000)
  assert.match(help.stdout, /omicos-auth-server start/)
  assert.match(help.stdout, /users add/)
  const version = run(join(prefix, 'bin/omicos-auth-server'), ['--version'], work, 20_000)
  assert.is(version.stdout.trim(), SERVER_VERSION)
  const installed = join(prefix, 'lib/node_modules/omicos-auth-server/node_modules')
  const root = existsSync(installed) ? installed : join(prefix, 'lib/node_modules')
  for (const dependency of ['oidc-provider', 'better-sqlite3', 'clipanion']) assert.ok(existsSync(join(root, dependency)), `${dependency} installed with the server`)
})

/** binding.gyp files, .node addons and packages with install scripts under a node_modules folder. */
function nativeParts(modules: string): string[] {
  const found: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const stat = statSync(path, { throwIfNoEntry: false })
      if (!stat) continue
      if (stat.isDirectory()) walk(path)
      else if (name === 'binding.gyp' || name.endsWith('.node')) found.push(path)
      else if (name === 'package.json') {
        let manifest: { scripts?: Record<string, string>; gypfile?: boolean }
        try {
          manifest = JSON.parse(readFileSync(path, 'utf8'))
        } catch {
          continue
        }
        const scripts = Object.keys(manifest.scripts ?? {}).filter((s) => ['preinstall', 'install', 'postinstall'].includes(s))
        if (scripts.length || manifest.gypfile) found.push(`${path} (${scripts.join(', ') || 'gypfile'})`)
      }
    }
  }
  walk(modules)
  return found
}

test.run()
