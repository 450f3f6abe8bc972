// The omicos-auth package as a user gets it: declarations built, `npm pack`ed without lifecycle
// scripts (the root's prepack would rebuild dist/ under the other spec files running now), and
// installed into a fresh project from the tarball, its dependencies and the app's own xstate
// from the registry.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve('.')

// The npm that runs the specs (under `npm test`) leaves its own settings in the environment;
// the installs here must not see them (a `prefix` or `global` from outside would install elsewhere).
export const npmEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^npm_(package|lifecycle)_|^npm_config_(local_prefix|prefix|global|workspaces?)$/i.test(key)),
)

/** One command, bounded in time; throws with its output when it fails. */
export function run(command: string, args: string[], cwd: string, ms: number): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: npmEnv, encoding: 'utf8', timeout: ms, stdio: ['ignore', 'pipe', 'pipe'] })
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal ?? result.error?.message}\n${result.stdout}\n${result.stderr}`)
  }
  return result
}

export const npm = (args: string[], cwd: string, ms = 180_000) => run('npm', ['--no-audit', '--no-fund', '--loglevel=error', ...args], cwd, ms)

/** Declaration files afresh (yesterday's would describe yesterday's API), then `npm pack` into `dir`. */
export function packOmicosAuth(dir: string): { tarball: string; files: string[] } {
  run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], ROOT, 240_000)
  const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)
  const [packed] = JSON.parse(out.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  return { tarball: join(dir, packed!.filename), files: packed!.files.map((f) => f.path) }
}

/** The peer range of xstate the package supports, from its package.json. */
export const xstatePeerRange = (): string =>
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { peerDependencies: { xstate: string } }).peerDependencies.xstate

/** A fresh project in `dir` with the tarball and `dependencies` (name -> version) installed. */
export function installProject(dir: string, tarball: string, dependencies: Record<string, string>): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { name: 'front-end', version: '1.0.0', private: true, type: 'module', dependencies: { ...dependencies, 'omicos-auth': `file:${tarball}` } },
      null,
      2,
    ),
  )
  npm(['install'], dir, 300_000)
}

/** The versions of xstate the registry has in the supported range: its lowest and newest. */
export function xstateVersions(): { lowest: string; newest: string } {
  const range = xstatePeerRange()
  const out = npm(['view', `xstate@${range}`, 'version', '--json'], ROOT, 60_000)
  const parsed = JSON.parse(out.stdout) as string | string[]
  const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => !v.includes('-'))
  const key = (v: string) => v.split('.').map(Number)
  versions.sort((a, b) => {
    const [x, y] = [key(a), key(b)]
    return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!
  })
  return { lowest: versions[0]!, newest: versions.at(-1)! }
}
