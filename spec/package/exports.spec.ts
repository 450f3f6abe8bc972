// The package's entry points as another program sees them: resolved through package.json
// `exports` (a self-reference), with declaration files that type-check a small consumer.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

test('the Node API, the status, the machines and the device grant resolve by package name', async () => {
  const api = await import('omicos-auth')
  for (const name of ['login', 'deviceLogin', 'status', 'logout', 'resolveCredentials', 'refreshProcessToken']) {
    assert.type((api as Record<string, unknown>)[name], 'function', name)
  }
  const machines = await import('omicos-auth/machines')
  for (const name of ['loginMachine', 'passwordGrantMachine', 'deviceGrantMachine', 'logoutMachine', 'statusMachine', 'provideLogin']) {
    assert.ok((machines as Record<string, unknown>)[name], name)
  }
  // Named apart from the Node API's functions: the old names are gone, not aliased.
  for (const name of ['login', 'passwordGrant', 'deviceGrant', 'logout', 'status']) assert.not.ok(name in machines, name)
  const grant = await import('omicos-auth/device-grant')
  assert.type(grant.requestDeviceAuthorization, 'function')
  assert.type(grant.pollDeviceToken, 'function')
  assert.type(grant.runDeviceGrant, 'function')
  const effects = await import('omicos-auth/effects')
  assert.type(effects.createNodeActors, 'function')
  const status = await import('omicos-auth/status')
  assert.type(status.status, 'function')
  assert.type(status.describeProxyRoute, 'function')
})

test('the declaration files type-check a consumer', () => {
  // Built afresh: declarations left from an earlier build would test yesterday's API.
  const built = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.types.json'], { encoding: 'utf8', timeout: 180_000 })
  assert.is(built.status, 0, built.stdout + built.stderr)
  assert.ok(existsSync('dist/effects/node/api.d.ts'))
  const dir = mkdtempSync(join(resolve('.'), '.consumer-'))
  try {
    writeFileSync(
      join(dir, 'consumer.ts'),
      `import { login, type LoginOptions } from 'omicos-auth'
import { loginMachine, type LoginOutput } from 'omicos-auth/machines'
import { requestDeviceAuthorization } from 'omicos-auth/device-grant'
const options: LoginOptions = { server: 'http://127.0.0.1:1', prompts: false }
const describe = (o: LoginOutput): string => (o.kind === 'loggedIn' ? o.email : o.kind)
export const used = [login, options, loginMachine, describe, requestDeviceAuthorization]
`,
    )
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        files: ['consumer.ts'],
      }),
    )
    const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', timeout: 120_000 })
    assert.is(result.status, 0, result.stdout + result.stderr)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
