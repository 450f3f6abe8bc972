// The main server specs once more, each server on its own database of one PostgreSQL instead
// of a data directory (support/server.ts reads OMICOS_TEST_POSTGRES), so every behaviour they
// check holds on both stores. Each spec runs as its own process, as the runner runs it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startPostgres, type TestPostgres } from '../support/postgres.js'
import { timeout } from '../support/wait.js'

const fromDist = fileURLToPath(import.meta.url).includes('/dist/spec/')
const SPECS = ['http', 'pacing', 'pacing-store', 'device-guesses', 'device-page', 'user-token-ttl'].map((name) =>
  fileURLToPath(new URL(fromDist ? `./${name}.spec.js` : `../../dist/spec/server/${name}.spec.js`, import.meta.url)),
)

let postgres: TestPostgres | undefined

test.before(async () => {
  postgres = await timeout(startPostgres(), 90_000, 'starting PostgreSQL')
})

test.after(async () => {
  await postgres?.stop()
})

function runSpec(file: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [file], {
    env: { ...process.env, OMICOS_TEST_POSTGRES: postgres!.server },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output = (output + d).slice(-6000)))
  child.stderr.on('data', (d) => (output = (output + d).slice(-6000)))
  const done = new Promise<{ code: number | null; output: string }>((resolve) => child.on('close', (code) => resolve({ code, output })))
  return timeout(done, 120_000, `${file} on PostgreSQL`).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}

for (const file of SPECS) {
  test(`${file.split('/').pop()} passes with its servers on PostgreSQL`, async () => {
    assert.ok(existsSync(file), `${file} is built`)
    const { code, output } = await runSpec(file)
    assert.is(code, 0, output)
  })
}

test.run()
