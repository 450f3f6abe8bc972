// The package as another front end builds on it, from the packed tarball only: installed into a
// fresh project whose own xstate is the lowest, then the newest version of the supported peer
// range; `tsc --strict` over a consumer of every documented entry and over every TypeScript
// block of the README, docs/embedding.md and docs/node.md; the guide's test, written with the
// testing kit, run; and the browser device login (machines + client entries, xstate included)
// bundled for the browser: no Node import, no password grant, within its budget.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { transform } from 'esbuild'
import { installProject, packOmicosAuth, ROOT, xstateVersions } from '../support/packed.js'

const work = mkdtempSync(join(tmpdir(), 'omicos-package-embed-'))
let packed: { tarball: string; files: string[] }
let versions: { lowest: string; newest: string }

test.before(() => {
  packed = packOmicosAuth(work)
  versions = xstateVersions()
})

test.after(() => {
  rmSync(work, { recursive: true, force: true })
})

const manifest = () => JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | unknown>

test('the published package.json: xstate a peer, no prepare, side effects only in the CLI', () => {
  const pkg = manifest() as { scripts: Record<string, string>; dependencies: Record<string, string>; peerDependencies: Record<string, string>; sideEffects: unknown }
  assert.not.ok('prepare' in pkg.scripts, 'npm runs prepare on install from git; the tarball is built')
  assert.not.ok('xstate' in pkg.dependencies)
  assert.match(pkg.peerDependencies.xstate!, /^\^5\.\d+\.\d+$/)
  assert.equal(pkg.sideEffects, ['./cli/*.ts', './dist/cli/*.js'])
})

test("the declarations are written against the peer range's lowest xstate", () => {
  // A later xstate reads an earlier one's declarations, not the other way round (tsconfig.types.json).
  const lowest = (manifest().devDependencies as Record<string, string>)['xstate-lowest']
  assert.is(lowest, `npm:xstate@${versions.lowest}`)
  const config = JSON.parse(readFileSync(join(ROOT, 'tsconfig.types.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } }
  assert.equal(config.compilerOptions.paths.xstate, ['./node_modules/xstate-lowest/dist/xstate.cjs.d.mts'])
})

test('the declarations write the login machine type out once: provideLogin and provideDeviceLogin name it', () => {
  // Inferred, each wrote the whole machine type again (1.2 MB against the lowest xstate).
  const declared = readFileSync(join(ROOT, 'dist/machines/login.machine.d.ts'), 'utf8')
  assert.match(declared, /export declare const provideLogin: \([^)]*\) => typeof loginMachine;/)
  assert.match(declared, /export declare const provideDeviceLogin: \([^)]*\) => typeof loginMachine;/)
})

test('typesVersions names the types of every subpath entry, as exports does', () => {
  const pkg = manifest() as { exports: Record<string, { types?: string }>; typesVersions: { '*': Record<string, string[]> } }
  const fromExports = Object.fromEntries(
    Object.entries(pkg.exports)
      .filter(([entry, target]) => entry !== '.' && typeof target === 'object' && target.types)
      .map(([entry, target]) => [entry.slice(2), [target.types!]]),
  )
  assert.equal(pkg.typesVersions['*'], fromExports)
})

test('the tarball ships the docs, and every sourceMappingURL names a map that is in it', () => {
  for (const needed of [
    'docs/embedding.md',
    'docs/node.md',
    'docs/cli-json.schema.json',
    'docs/machines/login.md',
    'docs/machines/device-grant.md',
    'dist/testing/index.js',
    'dist/effects/client/index.js',
  ]) {
    assert.ok(packed.files.includes(needed), needed)
  }
  const shipped = new Set(packed.files)
  const dangling: string[] = []
  let linked = 0
  for (const file of packed.files.filter((f) => f.endsWith('.js'))) {
    const match = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(ROOT, file), 'utf8'))
    if (!match) continue
    linked++
    const map = posix.join(posix.dirname(file), match[1]!)
    if (!shipped.has(map)) dangling.push(`${file} -> ${map}`)
  }
  assert.equal(dangling, [])
  assert.ok(linked > 50, `${linked} files link their maps`)
})

// Docs about working on the repository, and the server's own package: npm's site resolves links
// to them against the repository; nobody building on the package needs them at hand.
const REPOSITORY_DOCS = ['CONTRIBUTING.md', 'docs/development.md', 'docs/server.md']

test('every link of the shipped README and docs leads to a file the tarball ships', () => {
  const shipped = new Set(packed.files)
  const pages = packed.files.filter((f) => f.endsWith('.md'))
  assert.ok(pages.includes('README.md') && pages.includes('docs/embedding.md'))
  const broken: string[] = []
  let links = 0
  for (const page of pages) {
    for (const [, target] of readFileSync(join(ROOT, page), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/i.test(target!)) continue
      links++
      const path = posix.normalize(posix.join(posix.dirname(page), target!)).replace(/\/$/, '')
      const found = shipped.has(path) || packed.files.some((file) => file.startsWith(`${path}/`))
      if (!found && !REPOSITORY_DOCS.includes(path)) broken.push(`${page} -> ${target}`)
    }
  }
  assert.ok(links > 20, `${links} links`)
  assert.equal(broken, [])
})

const tsBlocks = (file: string): string[] => [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
/** Every ```ts block a package user reads: the README's quick start, docs/embedding.md in order, docs/node.md. */
const guideBlocks = (): string[] => [...tsBlocks('README.md'), ...tsBlocks('docs/embedding.md'), ...tsBlocks('docs/node.md')]

// What the guide does not show: the Node entries and the kit's one-parameter effect helper.
const CONSUMER = `import { createActor, fromPromise } from 'xstate'
import { login, deviceLogin, resolveCredentials, type LoginOptions } from 'omicos-auth'
import { createNodeActors, readActive } from 'omicos-auth/effects'
import { runDeviceGrant } from 'omicos-auth/device-grant'
import { CLIENT_ID, DEFAULT_SCOPE, credentialFileFromLogin, createDeviceLoginEffects, secretSafeInspector, runToEnd } from 'omicos-auth/client'
import { provideLogin, pairingViewOf, restoreLogin, type LoginEffects, type DeviceLoginEffects, type LoginOutput, type PollInput, type PollResult } from 'omicos-auth/machines'
import { effect, ok, scriptEffects, TestClock } from 'omicos-auth/testing'

const options: LoginOptions = { server: 'http://127.0.0.1:1', prompts: false }
const node = createNodeActors({ home: '/tmp/omicos-home' })
// The Node actors are every effect, the password's included: createActor of the app's own xstate takes the provided machine.
const full: LoginEffects = node
const nodeLogin = createActor(provideLogin(full), { input: { server: 'http://127.0.0.1:1', method: 'password', name: 'n', processId: 'local-1', force: false, email: null } })
const poll = effect<LoginEffects['pollToken']>(async ({ input }) => ({ kind: 'pending', at: input.deviceCode.length }))
const pollByHand = fromPromise<PollResult, PollInput>(async () => ({ kind: 'slowDown', at: 0 }))
const device: DeviceLoginEffects = { ...createDeviceLoginEffects({ storage: { read: () => null, write: () => {}, remove: () => {} } }), pollToken: poll }
const other: DeviceLoginEffects = { ...device, pollToken: pollByHand }
const describe = (o: LoginOutput): string => (o.kind === 'loggedIn' ? o.email : o.kind === 'failed' ? o.failure.kind : o.existing.email)
const actor = createActor(provideLogin(device), { input: { server: 's', method: 'device', name: 'n', hostname: 'h', processId: 'p', force: false, email: null }, inspect: secretSafeInspector(() => {}), clock: new TestClock() })
const shown = pairingViewOf(actor.getSnapshot())?.userCode ?? null
// The declarations are read, not degraded to any (as a StateMachine<…> of another xstate's arity
// would be under skipLibCheck): each line is an error only while the types hold.
// @ts-expect-error a login machine is not a number
export const notANumber: number = provideLogin(device)
// @ts-expect-error a login's context has no such field
export const noSuchField = actor.getSnapshot().context.noSuchField
// A script with no type argument stands for a whole login's effects, however few it answers.
const scripted = scriptEffects(new TestClock(), { checkExisting: [({ now }) => ok({ existing: null, at: now })] })
export const scriptedLogin = provideLogin(scripted.effects)
export const used = [login, deviceLogin, resolveCredentials, options, readActive, runDeviceGrant, CLIENT_ID, DEFAULT_SCOPE, credentialFileFromLogin, runToEnd, restoreLogin, describe, other, nodeLogin, shown]
`

for (const which of ['lowest', 'newest'] as const) {
  test(`xstate at the ${which} supported version as the app's own: one copy; tsc --strict over every entry and the guide; the guide's test runs; the browser bundle`, async () => {
    const version = versions[which]
    const dir = join(work, which)
    const devDependency = (name: string) => (manifest().devDependencies as Record<string, string>)[name]!
    installProject(dir, packed.tarball, { xstate: version, '@statelyai/inspect': devDependency('@statelyai/inspect'), '@types/node': devDependency('@types/node') })
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules/xstate/package.json'), 'utf8')) as { version: string }
    assert.is(installed.version, version)
    assert.not.ok(existsSync(join(dir, 'node_modules/omicos-auth/node_modules/xstate')), "the package uses the app's xstate, no copy of its own")

    const blocks = guideBlocks()
    assert.ok(blocks.length >= 6, `${blocks.length} blocks in the guide`)
    const files = blocks.map((code, i) => {
      const name = `guide-${i + 1}.ts`
      writeFileSync(join(dir, name), code)
      return name
    })
    writeFileSync(join(dir, 'consumer.ts'), CONSUMER)
    // NodeNext reads the entries from `exports`; the older `node` resolution of many front-end
    // projects knows no `exports` and finds them through `typesVersions`.
    for (const [config, module, moduleResolution] of [
      ['tsconfig.json', 'NodeNext', 'NodeNext'],
      ['tsconfig.node10.json', 'ESNext', 'node'],
    ] as const) {
      writeFileSync(
        join(dir, config),
        JSON.stringify({
          compilerOptions: {
            module,
            moduleResolution,
            target: 'ES2022',
            lib: ['ES2022', 'DOM'],
            types: ['node'],
            strict: true,
            noEmit: true,
            // The package's declarations checked too, against the app's own xstate.
            skipLibCheck: false,
          },
          files: [...files, 'consumer.ts'],
        }),
      )
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(dir, config)], {
        encoding: 'utf8',
        timeout: 180_000,
      })
      assert.is(tsc.status, 0, `tsc --strict, moduleResolution ${moduleResolution}, with xstate ${version}:\n${tsc.stdout}${tsc.stderr}`)
    }

    // The guide's test, as its reader would run it (TypeScript stripped, nothing else changed).
    const kit = blocks.findIndex((code) => code.includes("from 'omicos-auth/testing'"))
    assert.ok(kit >= 0)
    const js = await transform(blocks[kit]!, { loader: 'ts', format: 'esm' })
    writeFileSync(join(dir, 'kit-test.mjs'), js.code)
    const ran = spawnSync(process.execPath, ['kit-test.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
    assert.is(ran.status, 0, ran.stdout + ran.stderr)
    assert.is(ran.stdout.trim(), 'logged in, polled at 5 s and 10 s')

    // The script exits 1 over its budget; what it measured is asserted here, not its exit.
    const size = spawnSync(process.execPath, [join(ROOT, 'scripts/browser-bundle-size.mjs'), '--from', dir, '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    })
    const figures = JSON.parse(size.stdout) as {
      gzip: number
      budget: number
      xstateVersion: string
      nodeImports: string[]
      xstate: boolean
      inputs: string[]
    }
    assert.equal(figures.nodeImports, [], 'no node: import in the browser bundle')
    assert.is(figures.xstateVersion, version, "measured with the app's own xstate")
    assert.ok(figures.gzip <= figures.budget, `${figures.gzip} bytes gzipped with xstate ${version}, budget ${figures.budget}`)
    assert.ok(figures.xstate, 'xstate is in the measured bundle')
    assert.ok(
      figures.inputs.every((path) => !path.includes('password-grant')),
      'a device login bundles no password grant',
    )
    // package.json `browser`: Node's connection error codes, which a browser's fetch never gives, stay out.
    assert.ok(figures.inputs.some((path) => path.endsWith('omicos-auth/dist/effects/client/connection-codes.browser.js')))
    assert.not.ok(
      figures.inputs.some((path) => path.endsWith('/connection-codes.js')),
      "no table of Node's connection codes",
    )
    // Nor the reader of node-fetch's Node streams.
    assert.ok(
      figures.inputs.every((path) => !path.endsWith('/node-body.js')),
      "no reader of Node's streams",
    )
    // And the kinds of the reasons only the Node effects give.
    assert.ok(figures.inputs.some((path) => path.endsWith('omicos-auth/dist/machines/node-reasons.browser.js')))
    assert.not.ok(
      figures.inputs.some((path) => path.endsWith('/node-reasons.js')),
      "no kinds of the Node effects' reasons",
    )
    assert.ok(
      figures.inputs.some((path) => path.endsWith('omicos-auth/dist/machines/login.machine.js')),
      'from the installed package',
    )
  })
}

test.run()
