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
// The `omicos` bin, bundled over its transpiled copy: a few files instead of a few hundred
// module loads (clipanion, xstate, cross-fetch...), which were most of the CLI's start-up time
// (scripts/bench-startup.mjs). The entry, cli/start.ts, answers `--version` and `--help`
// (with the texts rendered below) itself and loads cli/main.ts, with clipanion, for anything else. What
// the commands load with `await import()` (the engine, cross-fetch, enquirer, the QR code,
// the proxy agents) goes to chunks in dist/cli/bundle/, read only when used. Whitespace and
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
// cli/start.ts loads cli/status-main.ts for a plain `login --status`: that entry is bundled on
// its own below, so here its import stays as written.
/** @type {import('esbuild').Plugin} */
const statusEntryApart = {
  name: 'status-entry-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/status-main\.js$/ }, (args) => (args.importer.endsWith('start.ts') ? { path: args.path, external: true } : undefined))
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
  // cli/start.ts answers --version and turns on the compile cache before loading cli/main.ts.
  entryPoints: [{ in: 'cli/start.ts', out: 'main' }],
  plugins: [...bundleOptions.plugins, statusEntryApart],
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'bundle/[name]-[hash]',
})
// The plain status's own bundle: one file with all it runs offline, its request code (for
// --verify) in chunks of its own. cli/start.ts loads it or cli/main.ts, never both (it decides
// before loading either), so no module exists twice in one process
// (the held secrets the sanitizer redacts are one set); spec/cli/status-shortcut.spec.ts checks.
const statusBundled = await build({
  ...bundleOptions,
  entryPoints: [{ in: 'cli/status-main.ts', out: 'status-main' }],
  outdir: 'dist/cli',
  entryNames: '[name]',
  chunkNames: 'status-bundle/[name]-[hash]',
})
const written = new Set([bundled, statusBundled].flatMap((result) => Object.keys(result.metafile.outputs)).map((file) => join(file)))
for (const dir of ['dist/cli/bundle', 'dist/cli/status-bundle']) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name)
    if (!written.has(file) && !written.has(file.replace(/\.map$/, ''))) rmSync(file, { force: true })
  }
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

// The version and help texts, rendered now by the CLI itself (clipanion) and printed by
// cli/start.ts for exactly these command lines, so `omicos --version` and `omicos login
// --help` load no parser.
// Each command's path is read from the general help. A text is kept only when the CLI printed
// it on stdout alone with exit 0; spec/cli/start.spec.ts checks each against clipanion's.
{
  const { spawnSync } = await import('node:child_process')
  const helpFile = 'dist/cli/rendered-texts.json'
  rmSync(helpFile, { force: true })
  // In English, whatever the language of the shell that builds; cli/start.ts leaves the languages
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

// Declaration files for the package entry points; only on install (`prepare`), since the
// tests type-check on their own.
if (process.argv.includes('--types')) {
  const { spawnSync } = await import('node:child_process')
  const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { stdio: 'inherit' })
  if (tsc.status !== 0) process.exit(tsc.status ?? 1)
}
