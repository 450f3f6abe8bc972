// The credential file, `cloud_login.json`, as bytes on disk: the record (client/credential-record.ts)
// written in one stable form, and read back only after every field is checked.
import type { CredentialFileProblem } from '../../machines/failure.js'
import { engineError } from '../client/engine-error.js'
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

/** A problem of the file's contents, as data (machines/failure.ts `fileInvalid`). */
class Invalid extends Error {
  constructor(readonly problem: CredentialFileProblem) {
    super(problem.problem)
  }
}

const TOKEN_KEYS = new Set(['user_token', 'refresh_token', 'process_token'])

const str = (obj: Record<string, unknown>, key: string, prefix = ''): string => {
  const value = obj[key]
  if (typeof value !== 'string' || value.length === 0) throw new Invalid({ problem: 'missing', field: `${prefix}${key}` })
  if (TOKEN_KEYS.has(key) && value.length > MAX_TOKEN_LENGTH) throw new Invalid({ problem: 'tooLong', field: key, max: MAX_TOKEN_LENGTH })
  if (hasUnsafeChars(value)) throw new Invalid({ problem: 'controlChars', field: `${prefix}${key}` })
  return value
}

const nullableStr = (obj: Record<string, unknown>, key: string): string | null => {
  if (obj[key] === null) return null
  return str(obj, key)
}

const date = (obj: Record<string, unknown>, key: string): string => {
  const value = str(obj, key)
  if (!/^\d{4}-\d\d-\d\dT/.test(value) || Number.isNaN(Date.parse(value))) throw new Invalid({ problem: 'notTime', field: key })
  return value
}

const nullableDate = (obj: Record<string, unknown>, key: string): string | null => (obj[key] === null ? null : date(obj, key))

/** Checks parsed JSON against the format; throws Invalid with the first problem. */
const validate = (data: unknown): CredentialFile => {
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Invalid({ problem: 'notObject' })
  const obj = data as Record<string, unknown>
  if (typeof obj.version === 'number' && obj.version > CREDENTIAL_FILE_VERSION) {
    throw new Invalid({ problem: 'newerVersion', version: obj.version })
  }
  if (obj.version !== CREDENTIAL_FILE_VERSION) throw new Invalid({ problem: 'version' })
  const user = obj.user
  if (!user || typeof user !== 'object' || Array.isArray(user)) throw new Invalid({ problem: 'missing', field: 'user' })
  const u = user as Record<string, unknown>
  const processId = str(obj, 'process_id')
  if (!/^local-[A-Za-z0-9_-]{1,64}$/.test(processId)) throw new Invalid({ problem: 'processId' })
  const authMethod = obj.auth_method
  if (authMethod !== 'password' && authMethod !== 'device') throw new Invalid({ problem: 'authMethod' })
  const serverText = str(obj, 'server')
  let server: string
  try {
    server = parseServerUrl(serverText)
  } catch {
    throw new Invalid({ problem: 'server' })
  }
  const base = str(u, 'cloud_base', 'user.')
  if (base !== cloudBase(server)) throw new Invalid({ problem: 'cloudBase' })
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
  if (!/^[0-9a-f]{32}$/.test(value)) throw new Invalid({ problem: 'notFingerprint', field: key })
  return value
}

const renewer = (value: unknown): NonNullable<CredentialFile['renewing_by']> => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Invalid({ problem: 'notObjectField', field: 'renewing_by' })
  const o = value as Record<string, unknown>
  const optional = (key: string) => (o[key] === null || o[key] === undefined ? null : str(o, key, 'renewing_by.'))
  if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 0) throw new Invalid({ problem: 'notPid', field: 'renewing_by.pid' })
  return { pid: o.pid as number, host: str(o, 'host', 'renewing_by.'), boot: optional('boot'), pidns: optional('pidns') }
}

const skew = (obj: Record<string, unknown>, key: string): number => {
  const value = obj[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Invalid({ problem: 'notInteger', field: key })
  return value
}

/** Parses a credential file's text; any problem is `fileInvalid` naming the path, never quoting the contents. */
export const parseCredentialFile = (text: string, path: string): CredentialFile => {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw engineError('fileInvalid', { path, problem: 'notJson' })
  }
  try {
    return validate(data)
  } catch (error) {
    if (error instanceof Invalid) throw engineError('fileInvalid', { path, ...error.problem })
    throw error
  }
}
