// Signing keys and cookie keys are made once and kept under the data directory, so a restart
// keeps issued ID tokens verifiable and signed cookies readable. RSA, because with only an EC
// key the library refuses token requests on `id_token_signed_response_alg` (RS256 default).
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JWK } from 'oidc-provider'
import type { Sql } from './sql.js'

export interface ServerKeys {
  jwks: { keys: JWK[] }
  cookieKeys: string[]
}

export const KEYS_FILE = 'keys.json'

export function loadOrCreateKeys(dataDir: string): ServerKeys {
  const file = join(dataDir, KEYS_FILE)
  if (existsSync(file)) {
    chmodSync(file, 0o600)
    return JSON.parse(readFileSync(file, 'utf8')) as ServerKeys
  }
  const keys = newKeys()
  // `wx` so that two processes starting at once cannot both write: the loser reads the winner's keys.
  try {
    writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return JSON.parse(readFileSync(file, 'utf8')) as ServerKeys
    throw error
  }
  chmodSync(file, 0o600)
  return keys
}

function newKeys(): ServerKeys {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = privateKey.export({ format: 'jwk' })
  return {
    jwks: { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' } as JWK] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  }
}

/**
 * The keys of a shared database: every instance signs and reads cookies with the same ones, so
 * a token or a page session from one instance is good at another. The first instance to start
 * writes them; one that loses the race reads the winner's.
 */
export async function loadOrCreateSharedKeys(sql: Sql): Promise<ServerKeys> {
  const stored = await sql.get<{ value: string }>("SELECT value FROM server_keys WHERE name = 'keys'")
  if (stored) return JSON.parse(stored.value) as ServerKeys
  await sql.run("INSERT INTO server_keys (name, value) VALUES ('keys', ?) ON CONFLICT (name) DO NOTHING", [JSON.stringify(newKeys())])
  const written = await sql.get<{ value: string }>("SELECT value FROM server_keys WHERE name = 'keys'")
  return JSON.parse(written!.value) as ServerKeys
}
