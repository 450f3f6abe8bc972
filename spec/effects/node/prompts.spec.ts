import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PassThrough } from 'node:stream'
import { EngineError } from '../../../effects/client/engine-error.js'
import { defaultProcessName } from '../../../effects/node/environment.js'
import { omicosHome } from '../../../effects/store/home.js'
import { loadPromptClasses } from '../../../effects/node/node-actors.js'
import { promptCredentials, readSecretFromStream } from '../../../effects/node/prompts.js'
import { timeout } from '../../support/wait.js'
import { wordsOf } from '../../support/failure-words.js'
import { failure } from '../../../machines/failure.js'
import { retryNotice } from '../../../cli/failure-words.js'

/** A stream that says it is a terminal, for enquirer, with keys typed into it. */
const fakeTerminal = () => {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, isRaw: false })
  const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 })
  let shown = ''
  stdout.on('data', (d) => (shown += d))
  return { stdin, stdout, shown: () => shown }
}

/** Waits until the prompt has drawn `pattern`: keys typed before it listens would be lost. */
const shown = (term: ReturnType<typeof fakeTerminal>, pattern: RegExp) =>
  timeout(
    (async () => {
      while (!pattern.test(term.shown())) await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, 20))
    })(),
    5_000,
    `waiting for ${pattern}`,
  )

test('without a terminal on stdin nothing is asked: usage, at once', async () => {
  const stdin = new PassThrough()
  try {
    await timeout(promptCredentials({ stdin, stdout: new PassThrough() }, { email: null, attempt: 1, lastError: null }, loadPromptClasses), 2_000, 'prompt')
    assert.unreachable()
  } catch (error) {
    assert.instance(error, EngineError)
    assert.is((error as EngineError).kind, 'usage')
    assert.is((error as EngineError).reason, 'needsTerminal')
    assert.match(wordsOf(error), /no terminal to ask on: pass --email with --password-stdin/)
  }
})

test('asks Email and a masked Password on a terminal', async () => {
  const term = fakeTerminal()
  const answer = promptCredentials({ stdin: term.stdin as any, stdout: term.stdout }, { email: null, attempt: 1, lastError: null }, loadPromptClasses)
  await shown(term, /Email/)
  term.stdin.write('ada@example.com\r')
  await shown(term, /Password/)
  term.stdin.write('s3cret\r')
  assert.equal(await timeout(answer, 5_000, 'prompt'), { email: 'ada@example.com', password: 's3cret' })
  assert.match(term.shown(), /Email/)
  assert.match(term.shown(), /Password/)
  assert.not.match(term.shown(), /s3cret/)
})

test('a known email is not asked again; the last error is shown first', async () => {
  const term = fakeTerminal()
  const answer = promptCredentials(
    { stdin: term.stdin as any, stdout: term.stdout, notice: retryNotice },
    { email: 'ada@example.com', attempt: 2, lastError: failure('wrongCredentials', { serverText: null, attempts: 1 }) },
    loadPromptClasses,
  )
  await shown(term, /Password/)
  term.stdin.write('again\r')
  assert.equal(await timeout(answer, 5_000, 'prompt'), { email: 'ada@example.com', password: 'again' })
  assert.match(term.shown(), /^wrong email or password\n/)
  assert.not.match(term.shown(), /Email/)
})

const SGR = /\x1b\[[0-9;]*m/

for (const [what, env] of [
  ['NO_COLOR', { NO_COLOR: '1', TERM: 'xterm-256color' }],
  ['TERM=dumb', { TERM: 'dumb' }],
] as const) {
  test(`${what}: the prompts draw no colour, bold or dim; the same prompts styled otherwise`, async () => {
    const ask = async (environment: NodeJS.ProcessEnv) => {
      const term = fakeTerminal()
      const answer = promptCredentials(
        { stdin: term.stdin as any, stdout: term.stdout, env: environment },
        { email: null, attempt: 1, lastError: null },
        loadPromptClasses,
      )
      await shown(term, /Email/)
      term.stdin.write('ada@example.com\r')
      await shown(term, /Password/)
      term.stdin.write('s3cret\r')
      assert.equal(await timeout(answer, 5_000, 'prompt'), { email: 'ada@example.com', password: 's3cret' })
      return term.shown()
    }
    const plain = await ask(env)
    assert.match(plain, /Email/)
    assert.not.match(plain, SGR, JSON.stringify(plain))
    // The check bites: with colours allowed, enquirer styles the same prompts.
    assert.match(await ask({ TERM: 'xterm-256color' }), SGR)
    // And a plain prompt after a styled one is plain again (the switch is process-wide).
    assert.not.match(await ask(env), SGR)
  })
}

test('an aborted signal cancels a prompt', async () => {
  const term = fakeTerminal()
  const controller = new AbortController()
  const answer = promptCredentials(
    { stdin: term.stdin as any, stdout: term.stdout },
    { email: null, attempt: 1, lastError: null },
    loadPromptClasses,
    controller.signal,
  )
  setTimeout(() => controller.abort(), 50)
  try {
    await timeout(answer, 5_000, 'prompt')
    assert.unreachable()
  } catch (error) {
    assert.equal((error as EngineError).failure, failure('cancelled', { flow: 'login' }))
  }
})

test('--password-stdin reads the first line of a pipe; refuses a terminal, more than 64 KiB and nothing', async () => {
  const pipe = new PassThrough()
  pipe.end('pw with spaces\nrest')
  assert.is(await timeout(readSecretFromStream(pipe), 2_000, 'read'), 'pw with spaces')
  const refused = async (stdin: NodeJS.ReadableStream & { isTTY?: boolean }) => {
    try {
      await timeout(readSecretFromStream(stdin), 2_000, 'read')
    } catch (error) {
      assert.instance(error, EngineError)
      return { failure: (error as EngineError).failure, line: wordsOf(error) }
    }
    throw new Error('expected a refusal')
  }
  const tty = await refused(Object.assign(new PassThrough(), { isTTY: true }))
  assert.equal(tty.failure, failure('passwordStdin', { problem: 'terminal' }))
  assert.is(tty.line, '--password-stdin reads a piped password, but standard input is a terminal')
  const big = new PassThrough()
  big.end(Buffer.alloc(64 * 1024 + 1, 'x'))
  const tooLarge = await refused(big)
  assert.equal(tooLarge.failure, failure('passwordStdin', { problem: 'tooLarge', maxBytes: 64 * 1024 }))
  assert.is(tooLarge.line, '--password-stdin got more than 64 KiB: pass only the password')
  for (const input of ['', '\nsecond line']) {
    const empty = new PassThrough()
    empty.end(input)
    const answer = await refused(empty)
    assert.equal(answer.failure, failure('passwordStdin', { problem: 'empty' }), JSON.stringify(input))
    assert.is(answer.line, '--password-stdin got an empty password')
  }
})

test('environment: OMICOS_HOME and the default process name', () => {
  assert.is(omicosHome({ OMICOS_HOME: '/tmp/x' }), '/tmp/x')
  assert.is(omicosHome({ HOME: '/home/ada' }), '/home/ada/.omicos')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: 'scanpy' }, '/w/proj'), 'scanpy')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: '/opt/envs/rna-seq' }, '/w/proj'), 'rna-seq')
  // Conda's always-on base: by name, or by the path of the install that CONDA_EXE lives in.
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: 'base' }, '/w/proj'), 'proj')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: ' base ' }, '/w/proj'), 'proj')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: '/opt/conda', CONDA_EXE: '/opt/conda/bin/conda' }, '/w/proj'), 'proj')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: '/opt/conda/', CONDA_EXE: '/opt/conda/bin/conda' }, '/w/proj'), 'proj')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: '/opt/conda/envs/scanpy', CONDA_EXE: '/opt/conda/bin/conda' }, '/w/proj'), 'scanpy')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: 'based' }, '/w/proj'), 'based')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: '/srv/base' }, '/w/proj'), 'base', 'an environment at a path named base is not the base')
  assert.is(defaultProcessName({}, '/w/proj'), 'proj')
})

test.run()
