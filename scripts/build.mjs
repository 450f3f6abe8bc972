#!/usr/bin/env node
// Transpiles every TypeScript source to dist/ file by file (no bundling), so `node` runs the
// bins directly and start-up does not pay for a TypeScript loader. Type checking is a separate
// step (`npm run typecheck`), run by the tests.
import { build } from 'esbuild'
import { readdirSync, readFileSync, renameSync, statSync, chmodSync, rmSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['machines', 'effects', 'testing', 'cli', 'server', 'spec', 'scripts', 'examples']
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
// The CLI, bundled over its transpiled copy: a few files instead of a few hundred module loads
// (clipanion, xstate, cross-fetch...), which were most of the CLI's start-up time
// (scripts/bench-startup.mjs). The bin's entry, cli/start.cts (dist/cli/omicos.cjs), answers
// `--version` and `--help` (with the texts rendered below) and the plain status itself and
// loads cli/main.ts (dist/cli/main.js), with clipanion, for anything else. What the commands
// load with `await import()` (the engine, cross-fetch, enquirer, the QR code, the proxy
// agents) goes to chunks in dist/cli/bundle/, read only when used. Whitespace and
// syntax are minified: parsing is most of what a start costs on a runtime without a compile
// cache (Node 20), and a third fewer bytes measured about 15% less time for `--help`; names are
// kept for stack traces. The bundled CommonJS packages get a `require` for Node's built-ins.
// Chunks of earlier builds are removed after this one is written, so a CLI started a moment
// before still finds its own.
// The version is written into the bundle: cli/version.ts reads package.json relative to its
// own file, which, in a chunk, is a folder deeper than in the transpiled copy.
const { version } = JSON.parse(readFileSync('package.json', 'utf8'))
/** @type {import('esbuild').Plugin} */
const inlineVersion = {
  name: 'inline-version',
  setup(build) {
    build.onLoad({ filter: /[\\/]cli[\\/]version\.ts$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)}\n`, loader: 'ts' }))
  },
}
// The proxy agents log through `debug`, and with DEBUG=* it would print the proxy URL with its
// password and the request as written, form body included. The bin has no use for that log.
/** @type {import('esbuild').Plugin} */
const noDebug = {
  name: 'no-debug',
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'no-debug' }))
    build.onLoad({ filter: /.*/, namespace: 'no-debug' }, () => ({
      contents:
        'const off = () => {}\nconst createDebug = () => Object.assign(() => {}, { enabled: false, log: off, extend: createDebug })\nexport default Object.assign(createDebug, { enable: off, disable: () => "", enabled: () => false })\n',
      loader: 'js',
    }))
  },
}
/** @type {import('esbuild').BuildOptions & { plugins: import('esbuild').Plugin[], metafile: true }} */
const bundleOptions = {
  plugins: [inlineVersion, noDebug],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3'],
  banner: { js: "import { createRequire as __omicosCreateRequire } from 'node:module'\nconst require = __omicosCreateRequire(import.meta.url)" },
  // Maps beside the bundles, not linked from them: the package ships the bundles without their
  // maps (megabytes of the dependencies' sources), and a published file must not point to a
  // file that is not there.
  sourcemap: 'external',
  minifyWhitespace: true,
  minifySyntax: true,
  metafile: true,
  logLevel: 'warning',
}
const bundled = await build({
  ...bundleOptions,
  entryPoints: [{ in: 'cli/main.ts', out: 'main' }],
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'bundle/[name]-[hash]',
})
/** What the two CommonJS files below share: one file each, minified like the CLI. */
const commonJs = /** @type {const} */ ({
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
})
// The bin's entry: CommonJS, so what it answers itself (help, version, the plain status) never
// starts the ES module loader, which a start pays for before any code runs. It names the CLI
// and the status bundle by path and loads each only when asked.
await build({ ...commonJs, entryPoints: ['cli/start.cts'], outfile: 'dist/cli/omicos.cjs', external: ['./main.js'] })
// The plain status's own bundle: one CommonJS file with all it runs, its request code (for
// --verify) included but set up only when first used (esbuild's lazy module wrappers), so the
// code cache below covers it all. cli/start.cts loads it or cli/main.ts, never both (it decides
// before loading either), so no module exists twice in one process (the held secrets the
// sanitizer redacts are one set); spec/cli/status-shortcut.spec.ts checks.
await build({
  ...commonJs,
  plugins: [inlineVersion, noDebug],
  entryPoints: ['cli/status-main.ts'],
  outfile: 'dist/cli/status-main.cjs',
  external: ['better-sqlite3'],
  // A dynamic import() left in the bundle would need a module loader that a vm.Script has not.
  supported: { 'dynamic-import': false },
  sourcemap: 'external',
})
const written = new Set(Object.keys(bundled.metafile.outputs).map((file) => join(file)))
for (const name of readdirSync('dist/cli/bundle')) {
  const file = join('dist/cli/bundle', name)
  if (!written.has(file) && !written.has(file.replace(/\.map$/, ''))) rmSync(file, { force: true })
}
// The status's chunks of builds before it had one file.
rmSync('dist/cli/status-bundle', { recursive: true, force: true })
for (const bin of ['dist/cli/omicos.cjs', 'dist/server/main.js']) if (existsSync(bin)) chmodSync(bin, 0o755)

// The server is also its own package (server/, the omicos-auth-server workspace), built into
// server/dist, so its bin that npm links at the root runs after `npm install`. The specs use
// the copy in dist/server, beside everything else.
{
  const { spawnSync } = await import('node:child_process')
  const server = spawnSync(process.execPath, ['server/build-package.mjs'], { stdio: 'inherit' })
  if (server.status !== 0) process.exit(server.status ?? 1)
}

// The version and help texts, rendered now by the CLI itself (clipanion) and printed by
// cli/start.cts for exactly these command lines, so `omicos --version` and `omicos login
// --help` load no parser.
// Each command's path is read from the general help. A text is kept only when the CLI printed
// it on stdout alone with exit 0; spec/cli/start.spec.ts checks each against clipanion's.
{
  const { spawnSync } = await import('node:child_process')
  const helpFile = 'dist/cli/rendered-texts.json'
  rmSync(helpFile, { force: true })
  // In English, whatever the language of the shell that builds; cli/start.cts leaves the languages
  // with a catalog (listed under "#languages") to the CLI.
  const { LC_ALL, LC_MESSAGES, LANG, ...env } = process.env
  /** @param {string[]} argv */
  const render = (argv) =>
    spawnSync(process.execPath, ['dist/cli/main.js', ...argv], { encoding: 'utf8', timeout: 30_000, env: { ...env, NO_COLOR: '1', LANG: 'C.UTF-8' } })
  const general = render(['--help'])
  const paths = [...general.stdout.matchAll(/^ {2}omicos ((?:[a-z][\w-]*)(?: [a-z][\w-]*)*)(?= \[| <|$)/gm)].map((m) => m[1].split(' '))
  const catalogs = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "const { CATALOGS } = await import('./dist/cli/words/index.js'); console.log(JSON.stringify(Object.keys(CATALOGS)))"],
    { encoding: 'utf8' },
  )
  /** @type {string[]} */
  const tags = JSON.parse(catalogs.stdout)
  /** @type {Record<string, string | string[]>} */
  const texts = { '#languages': [...new Set(tags.map((tag) => tag.split('-')[0].toLowerCase()))] }
  for (const argv of [
    [],
    ['--version'],
    ['-v'],
    ['--help'],
    ['-h'],
    ...paths.flatMap((path) => [
      [...path, '--help'],
      [...path, '-h'],
    ]),
  ]) {
    const run = render(argv)
    if (run.status === 0 && run.stderr === '' && run.stdout) texts[JSON.stringify(argv)] = run.stdout
  }
  writeFileSync(`${helpFile}.tmp`, JSON.stringify(texts))
  renameSync(`${helpFile}.tmp`, helpFile)
}

// V8's code cache for the plain status's bundle, made by running statuses with it
// (scripts/status-code-cache.mjs), so the cache holds the functions a status calls, not only
// the bundle's top level. cli/start.cts compiles the bundle with it.
{
  const { spawnSync } = await import('node:child_process')
  const cache = spawnSync(process.execPath, ['scripts/status-code-cache.mjs'], { stdio: 'inherit', timeout: 60_000 })
  if (cache.status !== 0) process.exit(cache.status ?? 1)
}

// Declaration files for the package entry points; only on install (`prepare`), since the
// tests type-check on their own.
if (process.argv.includes('--types')) {
  const { spawnSync } = await import('node:child_process')
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' })
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
}
