// The machines must run in any JavaScript runtime: a browser bundle of machines/index.ts builds
// with no Node built-in and nothing from effects/ or cli/. And the recorded scenario files hold
// no secret the stubs used.
import { build } from 'esbuild'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { secrets, snapshotDir, withTimeout } from '../support/machine-harness.js'

test('machines/index.ts bundles for the browser with no Node import and no effects or cli code', async () => {
  const result = await withTimeout(
    build({
      entryPoints: [join(process.cwd(), 'machines', 'index.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    }),
    30_000,
    'esbuild',
  )
  assert.equal(result.errors, [])
  const inputs = Object.keys(result.metafile.inputs)
  assert.ok(inputs.some((path) => path.endsWith('machines/login.machine.ts')))
  const forbidden = inputs.filter((path) => /(^|\/)(effects|cli|server)\//.test(path) || path.startsWith('node:'))
  assert.equal(forbidden, [])
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path))
  assert.equal(
    imports.filter((path) => path.startsWith('node:')),
    [],
  )
  assert.not.match(result.outputFiles[0].text, /\brequire\(["']node:/)
})

test('effects/client bundles for the browser with no Node import and nothing from effects/node, effects/store or cli', async () => {
  const entries = readdirSync(join(process.cwd(), 'effects', 'client')).filter((name) => name.endsWith('.ts'))
  const result = await withTimeout(
    build({
      entryPoints: entries.map((name) => join(process.cwd(), 'effects', 'client', name)),
      bundle: true,
      write: false,
      outdir: 'unused',
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    }),
    30_000,
    'esbuild',
  )
  assert.equal(result.errors, [])
  const inputs = Object.keys(result.metafile.inputs)
  assert.ok(inputs.some((path) => path.endsWith('effects/client/device-grant.ts')))
  // The credential file's format (effects/store/credential-file.ts) is pure: the client entry re-exports it.
  const forbidden = inputs.filter(
    (path) => (/(^|\/)(effects\/(node|store)|cli|server)\//.test(path) && !path.endsWith('effects/store/credential-file.ts')) || path.startsWith('node:'),
  )
  assert.equal(forbidden, [])
})

test('a machine that imported a Node built-in would fail that bundle', async () => {
  const failed = await withTimeout(
    build({
      stdin: { contents: "import { readFileSync } from 'node:fs'; export const x = readFileSync", resolveDir: process.cwd() },
      bundle: true,
      write: false,
      platform: 'browser',
      logLevel: 'silent',
    }).then(
      () => false,
      () => true,
    ),
    30_000,
    'esbuild',
  )
  assert.ok(failed)
})

test('no snapshot file holds a secret the stubs used', () => {
  const names = readdirSync(snapshotDir()).filter((name) => name.endsWith('.json'))
  assert.ok(names.length >= 5, `scenario files: ${names.join(', ')}`)
  for (const name of names) {
    const text = readFileSync(join(snapshotDir(), name), 'utf8')
    for (const secret of Object.values(secrets)) assert.not.ok(text.includes(secret), `${name} holds ${secret.slice(0, 6)}…`)
    JSON.parse(text)
  }
})

test.run()
