// The bin answers the plain forms of `omicos login --status` without its command-line parser
// (cli/start.cts, for start-up time). These specs hold it to the parser's answers: the same
// form with `--no-force` added (a no-op the shortcut declines) goes through the parser, and
// the two must print the same bytes and end with the same exit code, in every state a status
// can find: logged out, logged in, asked to verify online, a damaged file, a proxy that is down.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { CliSandbox } from '../support/cli.js'
import { CREDENTIAL_FILE, loginSpec, watchForLeaks } from '../support/cli-login.js'

const ADA = { email: 'ada@example.com', password: 'status shortcut horse 7' }

const leaks = watchForLeaks()
const spec = loginSpec(test, leaks, [ADA])
const { ref } = spec

const FORMS = [[], ['--json'], ['--verify'], ['--verify', '--json'], ['--json', '--verify']]

const logIn = async (box: CliSandbox) => {
  const done = await leaks.run(['login', '--server', ref.server.url, '--email', ADA.email, '--password-stdin'], {
    cwd: box.workspace,
    env: box.env,
    input: ADA.password,
    timeoutMs: 20_000,
  })
  assert.is(done.code, 0, done.stderr)
}

const omicos = (box: CliSandbox, args: string[], env: NodeJS.ProcessEnv = {}) =>
  leaks.run(args, { cwd: box.workspace, env: { ...box.env, ...env }, timeoutMs: 20_000 })

// The trace stamps each line with the time, and a verdict with when it came; the rest must agree.
const untimed = (text: string) => text.replace(/^\[trace \d\d:\d\d:\d\d\.\d{3}\]/gm, '[trace]').replace(/"at":\d+/g, '"at":0')

/** Each form, shortcut and parser, agree; returns the shortcut's answers by form. */
const agree = async (box: CliSandbox, env: NodeJS.ProcessEnv = {}, forms = FORMS) => {
  const answers = new Map<string, { code: number | null; stdout: string; stderr: string }>()
  for (const form of forms) {
    const shortcut = await omicos(box, ['login', '--status', ...form], env)
    const parsed = await omicos(box, ['login', '--status', ...form, '--no-force'], env)
    const label = `login --status ${form.join(' ')}`
    assert.is(shortcut.code, parsed.code, `${label}: exit codes agree`)
    assert.is(untimed(shortcut.stdout), untimed(parsed.stdout), `${label}: stdout agrees`)
    assert.is(untimed(shortcut.stderr), untimed(parsed.stderr), `${label}: stderr agrees`)
    answers.set(form.join(' '), shortcut)
  }
  return answers
}

/**
 * What a run loaded: the bin's own files, relative to dist/cli/, and Node's built-in modules.
 * ES modules are recorded by a module hook preloaded with --import; CommonJS files the bin reads
 * itself (the status bundle and its code cache, compiled by cli/start.cts) by a preload that
 * records every read under dist/cli/; the built-ins from process.moduleLoadList at exit.
 */
const loaded = async (box: CliSandbox, args: string[]): Promise<{ files: string[]; builtins: string[] }> => {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-loads-'))
  try {
    const out = join(dir, 'loaded')
    const builtinsOut = join(dir, 'builtins')
    const hooks = `import { appendFileSync } from 'node:fs'\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(out)}, url + '\\n'); return next(url, context) }\n`
    const probe = join(dir, 'probe.mjs')
    writeFileSync(probe, `import { register } from 'node:module'\nregister(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)})\n`)
    const reads = join(dir, 'reads.cjs')
    writeFileSync(
      reads,
      `const fs = require('node:fs')\nconst { pathToFileURL } = require('node:url')\nconst read = fs.readFileSync\n` +
        `fs.readFileSync = function (file, ...rest) { if (typeof file === 'string' && file.includes('/dist/cli/')) fs.appendFileSync(${JSON.stringify(out)}, pathToFileURL(file).href + '\\n'); return read.call(this, file, ...rest) }\n` +
        `process.on('exit', () => fs.writeFileSync(${JSON.stringify(builtinsOut)}, process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join('\\n')))\n`,
    )
    writeFileSync(out, '')
    const result = await omicos(box, args, {
      NODE_OPTIONS: `--import=${pathToFileURL(probe).href} --require=${reads}`,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9',
    })
    assert.ok([0, 1, 2, 3].includes(result.code ?? -1), result.stderr)
    const files = readFileSync(out, 'utf8')
      .split('\n')
      .filter((url) => url.includes('/dist/cli/'))
      .map((url) => new URL(url).pathname.split('/dist/cli/')[1]!)
    return { files: [...new Set(files)], builtins: readFileSync(builtinsOut, 'utf8').split('\n') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
const loadedFiles = async (box: CliSandbox, args: string[]): Promise<string[]> => (await loaded(box, args)).files

// What every start of the bin loads, --version included: the entry, CommonJS, which imports nothing of its own.
const EVERY_START = ['omicos.cjs']
// The plain status's bundle and the code cache it is compiled with (cli/start.cts).
const STATUS_BUNDLE = ['status-main.cjs', 'status-main.cjs.cache']

test('the plain forms, in any order, are taken by the shortcut with what each flag asks; every other command line by the parser', async () => {
  const box = spec.sandbox()
  await logIn(box)
  const plain: Array<[string[], { online: boolean; json: boolean; trace: boolean }]> = [
    [['login', '--status'], { online: false, json: false, trace: false }],
    [['login', '--status', '--json'], { online: false, json: true, trace: false }],
    [['login', '--verify', '--status'], { online: true, json: false, trace: false }],
    [['login', '--trace', '--status', '--json', '--verify'], { online: true, json: true, trace: true }],
  ]
  for (const [argv, asked] of plain) {
    const label = argv.join(' ')
    assert.ok((await loadedFiles(box, argv)).includes('status-main.cjs'), `${label} takes the shortcut`)
    const result = await omicos(box, argv)
    assert.is(result.code, 0, `${label}: ${result.stderr}`)
    const json = asked.json ? JSON.parse(result.stdout) : null
    assert.is(json !== null, asked.json, `${label}: JSON`)
    const checked = json ? json.verified !== null && json.verified !== undefined : /^online check: /m.test(result.stdout)
    assert.is(checked, asked.online, `${label}: asked the server`)
    assert.is(/^\[trace /m.test(result.stderr), asked.trace, `${label}: traced`)
  }
  const parsed = [
    ['cli', 'login', '--status'],
    ['--status', 'login'],
    ['login', '--status', '--status'],
    ['login', '--status', '--json', '--json'],
    ['login', '--status', '--server', 'http://127.0.0.1:1'],
    ['login', '--status', '--verify', '--server=http://127.0.0.1:1'],
    ['login', '--status', '--logout'],
    ['login', '--status', '--no-force'],
    ['login', '--status', '--statuss'],
    ['login', '--status', '-h'],
    ['login', '--status', 'extra'],
  ]
  for (const argv of parsed) {
    assert.not.ok((await loadedFiles(box, argv)).includes('status-main.cjs'), `${argv.join(' ')} goes to the parser`)
  }
})

test('every plain form is taken by the shortcut, which loads its own bundle only; a parsed status never loads it', async () => {
  const box = spec.sandbox()
  await logIn(box)
  for (const form of [...FORMS, ['--trace'], ['--verify', '--trace', '--json']]) {
    const { files, builtins } = await loaded(box, ['login', '--status', ...form])
    const label = ['login', '--status', ...form].join(' ')
    assert.equal(
      files.filter((file) => !EVERY_START.includes(file)).sort(),
      [...STATUS_BUNDLE].sort(),
      `${label}: its bundle, with its code cache, and nothing of the CLI's`,
    )
    // Offline, no request code runs (Node's http and https stay unloaded); with --verify, the
    // requests (node-fetch, on http and https); never a prompt (readline).
    const requestCode = ['http', 'https'].filter((name) => builtins.includes(name))
    if (form.includes('--verify')) assert.equal(requestCode, ['http', 'https'], `${label}: ${builtins.join(' ')}`)
    else assert.equal(requestCode, [], `${label} runs no request code`)
    assert.not.ok(builtins.includes('readline'), `${label}: no prompt`)
  }
  for (const args of [
    ['login', '--status', '--no-force'],
    ['login', '--status', '--verify', '--server', ref.server.url],
    ['login', '--status', '--json', '--json'],
  ]) {
    const files = await loadedFiles(box, args)
    assert.ok(files.includes('main.js'), `${args.join(' ')} loads the CLI: ${files.join(' ')}`)
    assert.not.ok(
      files.some((file) => STATUS_BUNDLE.includes(file)),
      `${args.join(' ')} loads nothing of the status bundle: ${files.join(' ')}`,
    )
  }
})

test('logged out: both paths say so, exit 1', async () => {
  const box = spec.sandbox()
  const answers = await agree(box)
  assert.is(answers.get('')!.code, 1)
  assert.match(answers.get('')!.stdout, /^Not logged in\./)
})

test('logged in, offline and verified online, also traced: both paths print the same', async () => {
  const box = spec.sandbox()
  await logIn(box)
  const requests = ref.server.requests.length
  const answers = await agree(box, {}, [[], ['--json']])
  assert.is(ref.server.requests.length, requests, 'no request without --verify, on either path')
  assert.is(answers.get('')!.code, 0)
  assert.match(answers.get('')!.stdout, `email: ${ADA.email}`)
  const online = await agree(box, {}, [['--verify'], ['--verify', '--json'], ['--trace'], ['--verify', '--trace']])
  const traced = await agree(box, { OMICOS_TRACE: '1' }, [[], ['--json']])
  assert.match(traced.get('')!.stderr, /\[trace [\d:.]+\] xstate\.init: \(start\) -> reading/, 'OMICOS_TRACE=1 traces on both paths')
  assert.ok(ref.server.requests.length > requests, '--verify asks the server')
  assert.is(online.get('--verify')!.code, 0, online.get('--verify')!.stderr)
  assert.match(online.get('--verify')!.stdout, /^online check: the user token works$/m)
  assert.not.match(answers.get('')!.stdout, /online check/)
  assert.match(online.get('--trace')!.stderr, /\[trace [\d:.]+\] xstate\.init: \(start\) -> reading/)
})

test('a damaged credential file and a proxy that is down: the same one-line errors and exit codes', async () => {
  const box = spec.sandbox()
  await logIn(box)
  const down = { HTTP_PROXY: 'http://user:proxy-secret@127.0.0.1:9', HTTPS_PROXY: 'http://user:proxy-secret@127.0.0.1:9', NO_PROXY: '' }
  leaks.secret('proxy-secret')
  const proxied = await agree(box, down, [['--verify'], ['--verify', '--json']])
  assert.is(proxied.get('--verify')!.code, 3, proxied.get('--verify')!.stderr)
  assert.match(proxied.get('--verify')!.stderr, /proxy/)
  writeFileSync(join(box.home, CREDENTIAL_FILE), '{"schema_version": 1, "user_token": ', { mode: 0o600 })
  const damaged = await agree(box)
  assert.ok(damaged.get('')!.code !== 0, 'a damaged file is not a login')
  const json = damaged.get('--json')!
  assert.is(json.stdout.trim().split('\n').length, 1, 'one JSON object')
  assert.is(JSON.parse(json.stdout).exit_code, json.code)
})

test.run()
