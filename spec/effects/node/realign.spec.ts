// Credential realignment against the reference server: a global login made from workspace X
// names X's process; the daemon of another workspace Y, falling back to the global file, gets a
// process of its own in Y's workspace file instead of rotating X's under it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { login } from '../../../effects/node/api.js'
import { checkProcessToken } from '../../../effects/client/omicos-api.js'
import { refreshProcessToken, resolveCredentials } from '../../../effects/node/resolver.js'
import { resolveWorkspace } from '../../../effects/store/workspace.js'
import { referenceServerFor } from '../../support/server.js'
import { timeout } from '../../support/wait.js'
import { tempDir } from '../../support/effects.js'

const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }
const ref = referenceServerFor(test, { users: [ADA] })

test('refreshProcessToken in another workspace registers its own process in its workspace file; the global file stays', async () => {
  const base = tempDir()
  const home = join(base, 'home')
  const x = join(base, 'x')
  const y = join(base, 'y')
  for (const dir of [x, y]) mkdirSync(join(dir, '.git'), { recursive: true })
  const out = await timeout(
    login({ server: ref.server.url, home, cwd: x, env: {}, email: ADA.email, password: ADA.password, prompts: false }),
    15_000,
    'login from x',
  )
  assert.is(out.kind, 'loggedIn')
  const globalFile = join(home, 'cloud_login.json')
  const globalBefore = readFileSync(globalFile, 'utf8')
  const global = JSON.parse(globalBefore)
  assert.is(global.process_id, (await resolveWorkspace({ cwd: x, env: {}, home })).processId)
  assert.is((await resolveCredentials({ home, cwd: y, env: {} }))?.source, 'global', 'y falls back to the global file')

  const ownY = (await resolveWorkspace({ cwd: y, env: {}, home })).processId
  const realigned = await timeout(refreshProcessToken({ home, cwd: y, env: {}, minValidityMs: 60_000 }), 10_000, 'realign')
  const yFile = join(y, '.omicos', 'cloud_login.json')
  assert.is(realigned?.realigned, true)
  assert.is(realigned?.source, 'workspace')
  assert.is(realigned?.path, yFile)
  assert.equal(realigned?.written, [yFile])
  assert.is(realigned?.credentials.process_id, ownY)
  assert.is(realigned?.credentials.process_name, 'y')
  assert.is(realigned?.credentials.user_token, global.user_token)
  assert.is(statSync(yFile).mode & 0o777, 0o600)
  assert.is(JSON.parse(readFileSync(join(y, '.omicos', 'workspace.json'), 'utf8')).workspace_id, ownY.slice('local-'.length))
  assert.is(readFileSync(globalFile, 'utf8'), globalBefore, 'the global file is left alone')

  // Both processes live side by side: y did not rotate x's token.
  assert.is((await checkProcessToken({ fetch }, ref.server.url, global.process_token)).kind, 'valid')
  const yCheck = await checkProcessToken({ fetch }, ref.server.url, realigned!.credentials.process_token)
  assert.is(yCheck.kind === 'valid' && yCheck.processId, ownY)

  // From now on y uses its own file, and x keeps the global one: plain refreshes, nothing to do.
  const again = await timeout(refreshProcessToken({ home, cwd: y, env: {}, minValidityMs: 60_000 }), 10_000, 'refresh y')
  assert.is(again?.source, 'workspace')
  assert.is(again?.refreshed, false)
  assert.not.ok(again?.realigned)
  const inX = await timeout(refreshProcessToken({ home, cwd: x, env: {}, minValidityMs: 60_000 }), 10_000, 'refresh x')
  assert.is(inX?.source, 'global')
  assert.is(inX?.refreshed, false)
  assert.not.ok(existsSync(join(x, '.omicos')), 'x gets no workspace file')
})

test.run()
