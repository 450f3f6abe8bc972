#!/usr/bin/env node
// The size of a browser front end's device login: what a page that pairs by device code imports
// from `omicos-auth/machines` and `omicos-auth/client` (the login machine with its device grant,
// the device login effects, the omicOS API, the runner), xstate included, bundled by
// esbuild for the browser, minified, then gzipped. The budget is 25 KB; docs/node.md records the
// figure. Used by spec/package/embed.spec.ts on the packed package, which holds it to the budget
// with both the lowest and the newest xstate of the peer range: xstate is the app's own (a peer),
// so the figure depends on its version, and is printed with it.
//
//   node scripts/browser-bundle-size.mjs [--from <dir>] [--json] [--modules]
//
// --from: resolve `omicos-auth` from the node_modules of <dir> (an installed tarball); default:
// this repository's sources, through tsconfig.json `paths`. --modules: the minified bytes each
// module puts in the bundle (esbuild's metafile), largest first: where a cut is to be had.
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

export const BUDGET_BYTES = 25 * 1024

// What docs/embedding.md's web page imports: a device login, run by the package's runner with
// the package's device login effects, kept in a storage of the page's.
export const DEVICE_LOGIN_ENTRY = `
export { provideDeviceLogin, pairingViewOf } from 'omicos-auth/machines'
export { asCredentialRecord, createDeviceLoginEffects, runResumableLogin } from 'omicos-auth/client'
`

/** Bundles the device login entry; its size minified and gzipped, and any `node:` import left in it. */
/** @param {string} [from] the project folder, the current one if not given */
export async function measure(from) {
  const root = resolve(from ?? '.')
  const result = await build({
    stdin: { contents: DEVICE_LOGIN_ENTRY, resolveDir: root, loader: 'ts' },
    absWorkingDir: root,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    metafile: true,
    logLevel: 'silent',
    ...(from ? {} : { tsconfig: resolve('tsconfig.json') }),
  })
  const code = result.outputFiles[0].contents
  // The modules that put code in the bundle (a module read and then tree-shaken away puts none).
  const contributions = Object.entries(Object.values(result.metafile.outputs)[0].inputs).filter(([, input]) => input.bytesInOutput > 0)
  const inputs = contributions.map(([path]) => path)
  // The version of the xstate that esbuild bundled (the app's own, with --from).
  const xstateModule = inputs.find((path) => path.includes('node_modules/xstate/'))
  const xstateVersion = xstateModule
    ? /** @type {{ version: string }} */ (
        JSON.parse(readFileSync(join(root, xstateModule.slice(0, xstateModule.indexOf('node_modules/xstate/')), 'node_modules/xstate/package.json'), 'utf8'))
      ).version
    : null
  /** @type {Record<string, number>} minified bytes by module, largest first */
  const modules = Object.fromEntries(contributions.map(([path, input]) => [path, input.bytesInOutput]).sort((a, b) => Number(b[1]) - Number(a[1])))
  /** @type {Record<'xstate' | 'machines' | 'client', number>} */
  const parts = { xstate: 0, machines: 0, client: 0 }
  for (const [path, bytes] of Object.entries(modules)) parts[partOf(path)] += bytes
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
  return {
    minified: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    budget: BUDGET_BYTES,
    xstateVersion,
    nodeImports: [...new Set(imports.filter((path) => path.startsWith('node:')))],
    xstate: inputs.filter((path) => path.includes('node_modules/xstate/')).length > 0,
    inputs,
    modules,
    parts,
  }
}

/** @param {string} path a module of the bundle, from the sources or from an installed package */
const partOf = (path) => (path.includes('node_modules/xstate/') ? 'xstate' : /(^|\/)machines\//.test(path) ? 'machines' : 'client')

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { from: { type: 'string' }, json: { type: 'boolean' }, modules: { type: 'boolean' } } })
  const figures = await measure(values.from)
  if (values.json) console.log(JSON.stringify(figures))
  else {
    /** @param {number} bytes */
    const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
    console.log(
      `device login for the browser (machines + client, xstate ${figures.xstateVersion} included): ${kb(figures.minified)} minified, ${kb(figures.gzip)} gzipped; budget ${kb(figures.budget)}`,
    )
    const { xstate, machines, client } = figures.parts
    console.log(`minified: xstate ${kb(xstate)}, machines ${kb(machines)}, client ${kb(client)}`)
    if (values.modules) for (const [path, bytes] of Object.entries(figures.modules)) console.log(`${String(bytes).padStart(7)}  ${path}`)
    if (figures.nodeImports.length) console.log(`node imports: ${figures.nodeImports.join(', ')}`)
  }
  if (figures.gzip > figures.budget || figures.nodeImports.length) process.exit(1)
}
