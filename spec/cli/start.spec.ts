// The bin's entry (cli/start.cts) answers `--version` and `--help` with the texts the build rendered
// without loading clipanion: what it prints must be byte for byte what clipanion prints for the
// same command line, with the same exit code, and anything else must still reach the CLI.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { spawn } from 'node:child_process'
import { CLI_BIN, runCli, makeSandbox, type CliResult } from '../support/cli.js'
import { timeout } from '../support/wait.js'

const texts: Record<string, string> = JSON.parse(readFileSync(resolve('dist/cli/rendered-texts.json'), 'utf8'))
// The lazily loaded CLI, as the entry imports it: run directly, it is clipanion's answer.
const mainFile = readFileSync(CLI_BIN, 'utf8').match(/import\("(\.\/main\.js)"\)/)?.[1]
const runner = resolve('dist/spec/.clipanion-runner.mjs')

test.before(() => {
  assert.ok(mainFile, 'the bin loads the CLI from dist/cli/main.js')
  writeFileSync(runner, `await import(${JSON.stringify(pathToFileURL(join(resolve('dist/cli'), mainFile!)).href)})\n`)
})
test.after(() => rmSync(runner, { force: true }))

const clipanion = (argv: string[]): Promise<CliResult> => {
  const child = spawn(process.execPath, [runner, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  return timeout(
    new Promise<CliResult>((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))),
    20_000,
    `clipanion ${argv.join(' ')}`,
  )
}

test("the build rendered the version, the general help and each command's, for --help and -h", () => {
  for (const key of [[], ['--version'], ['-v'], ['--help'], ['-h'], ['login', '--help'], ['login', '-h'], ['cli', 'login', '--help']]) {
    assert.type(texts[JSON.stringify(key)], 'string', `a text for ${JSON.stringify(key)}`)
  }
})

test('each text is what clipanion prints, exit 0, nothing on stderr', async () => {
  const box = makeSandbox()
  try {
    const lines = Object.keys(texts)
      .filter((key) => key.startsWith('['))
      .map((key) => JSON.parse(key) as string[])
    for (const argv of lines) {
      const [fast, slow] = await Promise.all([runCli(argv, { cwd: box.workspace, env: box.env, timeoutMs: 20_000 }), clipanion(argv)])
      assert.is(fast.code, 0, `omicos ${argv.join(' ')}: ${fast.stderr}`)
      assert.is(slow.code, 0, `clipanion ${argv.join(' ')}: ${slow.stderr}`)
      assert.is(fast.stdout, slow.stdout, `omicos ${argv.join(' ')}`)
      assert.is(fast.stderr, '')
    }
  } finally {
    box.cleanup()
  }
})

test('other command lines go to the CLI: a bad flag, --version with more, an argument holding a space', async () => {
  const box = makeSandbox()
  try {
    for (const argv of [['--version', 'x'], ['login --help'], ['login', '--help', '--nope'], ['--nope']]) {
      const [fast, slow] = await Promise.all([runCli(argv, { cwd: box.workspace, env: box.env, timeoutMs: 20_000 }), clipanion(argv)])
      assert.equal(
        { code: fast.code, stdout: fast.stdout, stderr: fast.stderr },
        { code: slow.code, stdout: slow.stdout, stderr: slow.stderr },
        `omicos ${argv.join(' ')}`,
      )
    }
  } finally {
    box.cleanup()
  }
})

test.run()
