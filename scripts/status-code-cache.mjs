#!/usr/bin/env node
// Writes dist/cli/status-main.cjs.cache: V8's code cache for the plain status's bundle, which
// the bin (cli/start.cts) compiles the bundle with. The cache is made after running the bundle
// as a status does (in a temporary home holding a valid login, and in one without, as text and
// as JSON), so it holds the functions those runs compiled and not only the top level: V8 then
// compiles nothing a status needs. The bundle is wrapped and named as the bin does it, which
// V8 checks (with its own version and flags) before it takes a cache. Run by scripts/build.mjs.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import nodeModule from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import vm from 'node:vm'

const file = resolve('dist/cli/status-main.cjs')
const cacheFile = `${file}.cache`

if (process.argv[2] !== '--child') {
  // The statuses print and set the exit code: they run in a child, whose output is nobody's.
  const { spawnSync } = await import('node:child_process')
  rmSync(cacheFile, { force: true })
  const child = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--child'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 })
  if (child.status !== 0) {
    console.error(`status-code-cache: the status runs failed (exit ${child.status}, ${child.signal ?? 'no signal'})`)
    process.exit(1)
  }
  process.exit(0)
}

const scratch = mkdtempSync(join(tmpdir(), 'omicos-code-cache-'))
try {
  const home = join(scratch, 'home')
  const empty = join(scratch, 'empty')
  const workspace = join(scratch, 'workspace')
  for (const dir of [home, empty]) mkdirSync(dir, { mode: 0o700 })
  mkdirSync(workspace)
  /** @type {typeof import('../effects/store/credential-file.js')} */
  const { buildCredentialFile, serializeCredentialFile } = await import(pathToFileURL(resolve('dist/effects/store/credential-file.js')).href)
  const now = Date.now()
  const credentials = buildCredentialFile({
    userToken: 'code-cache-user-token',
    userTokenExpiresAt: now + 30 * 86_400_000,
    refreshToken: 'code-cache-refresh-token',
    processToken: 'code-cache-process-token',
    processTokenExpiresAt: now + 3_600_000,
    processId: 'local-codecache01',
    processName: 'code-cache',
    authMethod: 'password',
    server: 'http://127.0.0.1:9',
    accountId: 'acct_code_cache',
    email: 'code-cache@example.com',
    tier: 'free',
    loggedInAt: now,
  })
  writeFileSync(join(home, 'cloud_login.json'), serializeCredentialFile(credentials), { mode: 0o600 })

  // As cli/start.cts loads it.
  const script = new vm.Script(nodeModule.wrap(readFileSync(file, 'utf8')), { filename: file })
  const module = { exports: /** @type {typeof import('../cli/status-main.js')} */ ({}) }
  script.runInThisContext()(module.exports, nodeModule.createRequire(file), module, file, join(file, '..'))
  process.chdir(workspace)
  // A status ends its process once its lines are written (cli/output-streams.ts,
  // exitWhenWritten); here the runs go on until the cache is written.
  const exit = process.exit
  process.exit = /** @type {typeof process.exit} */ (/** @type {unknown} */ (() => {}))
  for (const omicosHome of [home, empty]) {
    Object.assign(process.env, {
      OMICOS_HOME: omicosHome,
      OMICOS_WORKSPACE: workspace,
      OMICOS_TRACE: '',
      NO_COLOR: '1',
      LC_ALL: '',
      LC_MESSAGES: '',
      LANG: 'C.UTF-8',
    })
    for (const json of [false, true]) await module.exports.answerStatus(['login', '--status'], { online: false, json, trace: false })
  }
  writeFileSync(`${cacheFile}.tmp`, script.createCachedData())
  renameSync(`${cacheFile}.tmp`, cacheFile)
  process.exit = exit
  process.exitCode = 0
} finally {
  rmSync(scratch, { recursive: true, force: true })
}
