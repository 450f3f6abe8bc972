#!/usr/bin/env node
// The size of a browser front end's device login: what a page that pairs by device code imports
// from `omicos-auth/machines` and `omicos-auth/client` (the login machine with its grants, the
// pairing actors, the omicOS API, the runner, the inspector guard), xstate included, bundled by
// esbuild for the browser, minified, then gzipped. The budget is 25 KB; README.md records the
// figure. Used by spec/package-embed.spec.ts on the packed package.
//
//   node scripts/browser-bundle-size.mjs [--from <dir>] [--json]
//
// --from: resolve `omicos-auth` from the node_modules of <dir> (an installed tarball); default:
// this repository's sources, through tsconfig.json `paths`.
import { build } from 'esbuild'
import { gzipSync } from 'node:zlib'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

export const BUDGET_BYTES = 25 * 1024

export const DEVICE_LOGIN_ENTRY = `
import { provideLogin, pairingViewOf, restoreLogin, secretSafeInspector } from 'omicos-auth/machines'
import {
  CLIENT_ID, DEFAULT_SCOPE, EngineError, createPairingActors, credentialFileFromLogin, fetchAccount,
  getAccount, parseServerUrl, refreshUserToken, registerProcess, revokeTokensOrThrow, runResumableLogin,
} from 'omicos-auth/client'
export {
  provideLogin, pairingViewOf, restoreLogin, secretSafeInspector, CLIENT_ID, DEFAULT_SCOPE, EngineError,
  createPairingActors, credentialFileFromLogin, fetchAccount, getAccount, parseServerUrl, refreshUserToken,
  registerProcess, revokeTokensOrThrow, runResumableLogin,
}
`

/** Bundles the device login entry; its size minified and gzipped, and any `node:` import left in it. */
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
  const inputs = Object.keys(result.metafile.inputs)
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
  return {
    minified: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    budget: BUDGET_BYTES,
    nodeImports: [...new Set(imports.filter((path) => path.startsWith('node:') || inputs.includes(path) === false && /^(fs|path|os|crypto|http|https|net|tls|child_process)$/.test(path)))],
    xstate: inputs.filter((path) => path.includes('node_modules/xstate/')).length > 0,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { from: { type: 'string' }, json: { type: 'boolean' } } })
  const figures = await measure(values.from)
  if (values.json) console.log(JSON.stringify(figures))
  else {
    const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`
    console.log(`device login for the browser (machines + client, xstate included): ${kb(figures.minified)} minified, ${kb(figures.gzip)} gzipped; budget ${kb(figures.budget)}`)
    if (figures.nodeImports.length) console.log(`node imports: ${figures.nodeImports.join(', ')}`)
  }
  if (figures.gzip > figures.budget || figures.nodeImports.length) process.exit(1)
}
