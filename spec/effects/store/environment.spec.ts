// Where the store puts things, from the environment: a home that exists and is absolute, a
// workspace that was named on purpose, and a default process name the server accepts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { login } from '../../../effects/node/api.js'
import { EngineError } from '../../../effects/client/engine-error.js'
import { defaultProcessName, PROCESS_NAME_MAX, safeProcessName } from '../../../effects/node/environment.js'
import { omicosHome, resolveHome } from '../../../effects/store/home.js'
import { globalCredentialPath, persistLogin, readActive } from '../../../effects/store/index.js'
import { findWorkspaceRoot } from '../../../effects/store/workspace.js'
import { isValidProcessName } from '../../../server/oauth/process-tokens.js'
import { fakeCredentials, tempDir } from '../../support/effects.js'
import { referenceServerFor } from '../../support/server.js'
import { timeout } from '../../support/wait.js'
import { wordsOf } from '../../support/failure-words.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }
const ref = referenceServerFor(test, { users: [ADA] })

const usageError = (fn: () => unknown): EngineError => {
  try {
    fn()
  } catch (error) {
    assert.instance(error, EngineError)
    assert.is((error as EngineError).kind, 'usage')
    return error as EngineError
  }
  throw new Error('expected a usage error')
}

const rejectsUsage = async (promise: Promise<unknown>): Promise<EngineError> => {
  try {
    await timeout(promise, 10_000, 'the operation')
  } catch (error) {
    assert.instance(error, EngineError, String(error))
    assert.is((error as EngineError).kind, 'usage', (error as Error).message)
    return error as EngineError
  }
  throw new Error('expected a usage error')
}

test('HOME empty or unset and no OMICOS_HOME: a usage error naming both, and nothing lands in the current directory', async () => {
  const cwd = tempDir('omicos-env-')
  for (const env of [{}, { HOME: '' }, { HOME: '   ' }, { HOME: 'relative/home' }]) {
    const error = usageError(() => resolveHome(env, cwd))
    assert.match(wordsOf(error), /\bHOME\b/)
    assert.match(wordsOf(error), /\bOMICOS_HOME\b/)
    await rejectsUsage(readActive({ cwd, env }))
    await rejectsUsage(persistLogin({ cwd, env, workspaceOnly: false }, fakeCredentials()))
  }
  assert.equal(readdirSync(cwd), [], 'no ./.omicos was made')
  // Through the Node API: refused before any request reaches the server.
  const requests = ref.server.requests.length
  await rejectsUsage(login({ server: ref.server.url, cwd, env: { HOME: '' }, email: ADA.email, password: ADA.password, prompts: false }))
  assert.is(ref.server.requests.length, requests, 'no request reached the server')
  assert.is(omicosHome({ HOME: '/home/ada' }), '/home/ada/.omicos')
})

test('a relative OMICOS_HOME is made absolute once, against where omicos runs, and told as given', () => {
  const cwd = tempDir('omicos-env-')
  const choice = resolveHome({ OMICOS_HOME: 'state/omicos', HOME: '/home/ada' }, cwd)
  assert.is(choice.home, join(cwd, 'state', 'omicos'))
  assert.equal(choice.relative, { value: 'state/omicos' })
  assert.equal(resolveHome({ OMICOS_HOME: '/srv/omicos/' }, cwd), { home: '/srv/omicos/', relative: null })
  assert.is(globalCredentialPath({ cwd, env: { OMICOS_HOME: 'state/omicos' } }), join(cwd, 'state', 'omicos', 'cloud_login.json'))
})

test('OMICOS_WORKSPACE must name an existing directory: a usage error otherwise, and it is not created', async () => {
  const base = tempDir('omicos-env-')
  const home = join(base, 'home')
  const missing = join(base, 'no-such-workspace')
  const env = { OMICOS_WORKSPACE: missing }
  const error = await rejectsUsage(findWorkspaceRoot({ cwd: base, env, home }))
  assert.match(wordsOf(error), /OMICOS_WORKSPACE ".*no-such-workspace" is not an existing directory/)
  await rejectsUsage(persistLogin({ home, cwd: base, env, workspaceOnly: true }, fakeCredentials()))
  await rejectsUsage(readActive({ home, cwd: base, env }))
  assert.not.ok(existsSync(missing))
  assert.not.ok(existsSync(home))
  mkdirSync(missing)
  assert.is(await findWorkspaceRoot({ cwd: base, env, home }), missing)
  assert.is(await findWorkspaceRoot({ cwd: base, env: { OMICOS_WORKSPACE: 'no-such-workspace' }, home }), missing, 'relative to cwd')
})

test('the default process name is made one the server accepts', () => {
  const names = ['line\nbreak', 'esc\u001b[31mred', 'bidi\u202eevil', 'x'.repeat(500), `${'y'.repeat(199)}😀tail`, 'lone\ud800surrogate', '\u0007\u0008', '   ']
  for (const name of names) {
    const safe = safeProcessName(name)
    assert.ok(isValidProcessName(safe), `${JSON.stringify(name)} -> ${JSON.stringify(safe)}`)
    assert.ok(safe.length <= PROCESS_NAME_MAX)
  }
  assert.is(safeProcessName('line\nbreak'), 'line_break')
  assert.is(safeProcessName(`${'y'.repeat(199)}😀tail`), 'y'.repeat(199), 'a character is never split')
  assert.is(safeProcessName('   '), 'omicos')
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: 'env\u001b]0;x' }, '/w/proj'), 'env_]0;x')
  assert.is(defaultProcessName({}, `/w/${'z'.repeat(300)}`), 'z'.repeat(PROCESS_NAME_MAX))
  assert.is(defaultProcessName({ CONDA_DEFAULT_ENV: 'scanpy' }, '/w/proj'), 'scanpy')
})

test('a login from a directory whose name holds a newline and runs past 200 characters is accepted, its name made safe', async () => {
  const base = tempDir('omicos-env-')
  const cwd = join(base, `notebook\n${'n'.repeat(240)}`)
  mkdirSync(cwd)
  const home = join(base, 'home')
  const out = await timeout(login({ server: ref.server.url, home, cwd, env: {}, email: ADA.email, password: ADA.password, prompts: false }), 20_000, 'login')
  assert.is(out.kind, 'loggedIn', JSON.stringify(out))
  const stored = JSON.parse(readFileSync(join(home, 'cloud_login.json'), 'utf8'))
  assert.is(stored.process_name, `notebook_${'n'.repeat(PROCESS_NAME_MAX - 'notebook_'.length)}`)
})

test.run()
