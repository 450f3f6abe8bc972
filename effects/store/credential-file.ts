// The credential file, `cloud_login.json`, as bytes on disk: the record (client/credential-record.ts)
// written in one stable form, and read back only after every field is checked.
import { EngineError } from '../client/engine-error.js'
import { CREDENTIAL_FILE_VERSION, type CredentialFile } from '../client/credential-record.js'
import { cloudBase, hasUnsafeChars, parseServerUrl } from '../client/server-url.js'
import { MAX_TOKEN_LENGTH } from '../client/token-response.js'

export {
  CREDENTIAL_FILE_VERSION,
  buildCredentialFile,
  credentialFileFromLogin,
  withRegistration,
  type CredentialFile,
  type CredentialFields,
} from '../client/credential-record.js'

/** The bytes written: stable key order, two-space indent, final newline. */
export const serializeCredentialFile = (file: CredentialFile): string => `${JSON.stringify(file, null, 2)}\n`

class Invalid extends Error {}

const TOKEN_KEYS = new Set(['user_token', 'refresh_token', 'process_token'])

const str = (obj: Record<string, unknown>, key: string, prefix = ''): string => {
  const value = obj[key]
  if (typeof value !== 'string' || value.length === 0) throw new Invalid(`${prefix}${key} is missing or not a string`)
  if (TOKEN_KEYS.has(key) && value.length > MAX_TOKEN_LENGTH) throw new Invalid(`${key} is longer than ${MAX_TOKEN_LENGTH} characters`)
  if (hasUnsafeChars(value)) throw new Invalid(`${prefix}${key} contains control characters`)
  return value
}

const nullableStr = (obj: Record<string, unknown>, key: string): string | null => {
  if (obj[key] === null) return null
  return str(obj, key)
}

const date = (obj: Record<string, unknown>, key: string): string => {
  const value = str(obj, key)
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(Date.parse(value))) throw new Invalid(`${key} is not an ISO 8601 time`)
  return value
}

const nullableDate = (obj: Record<string, unknown>, key: string): string | null => (obj[key] === null ? null : date(obj, key))

/** Checks parsed JSON against the format; throws a plain Error naming the first problem. */
const validate = (data: unknown): CredentialFile => {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Invalid('it is not a JSON object')
  const obj = data as Record<string, unknown>
  if (typeof obj.version === 'number' && obj.version > CREDENTIAL_FILE_VERSION) {
    throw new Invalid(`it has version ${obj.version}, written by a newer omicos`)
  }
  if (obj.version !== CREDENTIAL_FILE_VERSION) throw new Invalid('version is not 1')
  const user = obj.user
  if (!user || typeof user !== 'object' || Array.isArray(user)) throw new Invalid('user is missing')
  const u = user as Record<string, unknown>
  const processId = str(obj, 'process_id')
  if (!/^local-[A-Za-z0-9_-]{1,64}$/.test(processId)) throw new Invalid('process_id is not local-<workspace_id>')
  const authMethod = obj.auth_method
  if (authMethod !== 'password' && authMethod !== 'device') throw new Invalid('auth_method is not password or device')
  const serverText = str(obj, 'server')
  let server: string
  try {
    server = parseServerUrl(serverText)
  } catch {
    throw new Invalid('server is not an https (or loopback http) URL')
  }
  const base = str(u, 'cloud_base', 'user.')
  if (base !== cloudBase(server)) throw new Invalid('user.cloud_base does not match server')
  return {
    version: CREDENTIAL_FILE_VERSION,
    user_token: str(obj, 'user_token'),
    user_token_expires_at: nullableDate(obj, 'user_token_expires_at'),
    refresh_token: nullableStr(obj, 'refresh_token'),
    process_token: str(obj, 'process_token'),
    process_token_expires_at: date(obj, 'process_token_expires_at'),
    process_registered_at: obj.process_registered_at === undefined ? null : nullableDate(obj, 'process_registered_at'),
    // Kept out of the object when absent, so a file that never had it reads back byte for byte.
    ...(obj.process_token_replaced_at === undefined || obj.process_token_replaced_at === null
      ? {}
      : { process_token_replaced_at: date(obj, 'process_token_replaced_at') }),
    process_id: processId,
    process_name: str(obj, 'process_name'),
    auth_method: authMethod,
    server,
    user: {
      account_id: str(u, 'account_id', 'user.'),
      email: str(u, 'email', 'user.'),
      tier: str(u, 'tier', 'user.'),
      cloud_base: base,
    },
    logged_in_at: date(obj, 'logged_in_at'),
    ...(obj.renewing_since === undefined || obj.renewing_since === null ? {} : { renewing_since: date(obj, 'renewing_since') }),
    ...(obj.renewing_by === undefined || obj.renewing_by === null ? {} : { renewing_by: renewer(obj.renewing_by) }),
    ...(obj.renewed_from === undefined || obj.renewed_from === null ? {} : { renewed_from: fingerprint(obj, 'renewed_from') }),
    ...(obj.clock_skew_ms === undefined || obj.clock_skew_ms === null ? {} : { clock_skew_ms: skew(obj, 'clock_skew_ms') }),
  }
}

const fingerprint = (obj: Record<string, unknown>, key: string): string => {
  const value = str(obj, key)
  if (!/^[0-9a-f]{32}$/.test(value)) throw new Invalid(`${key} is not a refresh token fingerprint`)
  return value
}

const renewer = (value: unknown): NonNullable<CredentialFile['renewing_by']> => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Invalid('renewing_by is not an object')
  const o = value as Record<string, unknown>
  const optional = (key: string) => (o[key] === null || o[key] === undefined ? null : str(o, key, 'renewing_by.'))
  if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0) throw new Invalid('renewing_by.pid is not a pid')
  return { pid: o.pid as number, host: str(o, 'host', 'renewing_by.'), boot: optional('boot'), pidns: optional('pidns') }
}

const skew = (obj: Record<string, unknown>, key: string): number => {
  const value = obj[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Invalid(`${key} is not a whole number of milliseconds`)
  return value
}

/** The message for a file that is there but unusable; never quotes its contents. */
export const invalidFileMessage = (path: string, reason: string): string =>
  `${path} is not a valid omicOS credential file (${reason}): move it aside or delete it, then log in again`

/** Parses a credential file's text; any problem is `local_files` naming the path. */
export const parseCredentialFile = (text: string, path: string): CredentialFile => {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new EngineError('local_files', invalidFileMessage(path, 'it is not JSON'))
  }
  try {
    return validate(data)
  } catch (error) {
    if (error instanceof Invalid) throw new EngineError('local_files', invalidFileMessage(path, error.message))
    throw error
  }
}
