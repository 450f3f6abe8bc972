// Signing keys and cookie keys are made once and kept under the data directory, so a restart
// keeps issued ID tokens verifiable and signed cookies readable. RSA, because with only an EC
// key the library refuses token requests on `id_token_signed_response_alg` (RS256 default).
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { JWK } from 'oidc-provider'

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
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = privateKey.export({ format: 'jwk' })
  const keys: ServerKeys = {
    jwks: { keys: [{ ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' } as JWK] },
    cookieKeys: [randomBytes(32).toString('base64url')],
  }
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
