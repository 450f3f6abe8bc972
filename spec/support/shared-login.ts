// Support for the shared-login specs: a login through the Node API against the reference
// server in a fresh home, its process token made due, and what the server says afterwards:
// whether a token works, how many registrations it answered, and which process tokens of an
// account it still takes (its table, so a token held by nothing is found without knowing it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import { login } from '../../effects/node/api.js'
import { parseCredentialFile, serializeCredentialFile, type CredentialFile } from '../../effects/store/credential-file.js'
import { sha256 } from '../../server/storage/hashing.js'
import { withStore } from '../../server/storage/store.js'
import { tempDir } from './effects.js'
import { request, type ReferenceServer } from './server.js'
import { timeout } from './wait.js'

export const ADA = { email: 'ada@example.com', password: 'correct horse battery', tier: 'pro' }

export interface SharedLogin {
  home: string
  cwd: string
  file: string
  where: { home: string; cwd: string; env: Record<string, string> }
}

/** A fresh home, and a directory that is its own workspace, logged in as ADA. */
export const sharedLogin = async (ref: ReferenceServer): Promise<SharedLogin> => {
  const base = tempDir('omicos-shared-')
  const home = join(base, 'home')
  const cwd = join(base, 'project')
  mkdirSync(join(cwd, '.git'), { recursive: true })
  const where = { home, cwd, env: {} }
  const out = await timeout(login({ ...where, server: ref.server.url, email: ADA.email, password: ADA.password, prompts: false }), 30_000, 'the login')
  assert.is(out.kind, 'loggedIn', JSON.stringify(out))
  return { home, cwd, file: join(home, 'cloud_login.json'), where }
}

export const readLogin = (file: string): CredentialFile => parseCredentialFile(readFileSync(file, 'utf8'), file)

/** Says in the file that its process token runs out in 10 s (the server keeps it an hour): due for a refresh. */
export const makeDue = (file: string): void => {
  const c = readLogin(file)
  writeFileSync(file, serializeCredentialFile({ ...c, process_token_expires_at: new Date(Date.now() + 10_000).toISOString() }), { mode: 0o600 })
}

export const processTokenWorks = async (ref: ReferenceServer, token: string): Promise<boolean> =>
  (await request(ref.server, '/omicos/processes/current', { headers: { authorization: `Bearer ${token}` } })).status === 200

export const userTokenWorks = async (ref: ReferenceServer, token: string): Promise<boolean> =>
  (await request(ref.server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })).status === 200

/** Process registrations the server answered so far. */
export const registrations = (ref: ReferenceServer): number =>
  ref.server.requests.filter((r) => r.method === 'POST' && r.path === '/omicos/processes' && r.status < 300).length

/** The hashes of the tokens of process `processId` of `accountId` the server still takes. */
export const liveProcessTokens = (ref: ReferenceServer, accountId: string, processId: string): Promise<string[]> =>
  timeout(
    withStore(ref.dataDir, async (store) =>
      (
        await store.sql.all<{ token_hash: string }>('SELECT token_hash FROM process_tokens WHERE account_id = ? AND process_id = ? AND expires_at > ?', [
          accountId,
          processId,
          Date.now(),
        ])
      ).map((row) => row.token_hash),
    ),
    15_000,
    "reading the server's process tokens",
  )

/** Asserts no process token of the login's account is live but the one its file holds. */
export const assertNoneHeldByNothing = async (ref: ReferenceServer, file: string, what: string): Promise<void> => {
  const c = readLogin(file)
  const live = await liveProcessTokens(ref, c.user.account_id, c.process_id)
  assert.equal(live, [sha256(c.process_token)], `${what}: the only live process token is the file's`)
}
