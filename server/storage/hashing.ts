import { createHash } from 'node:crypto'

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex')

/** What logs and tests may see of a device code: enough to tell codes apart, never the code. */
export const deviceCodeId = (deviceCode: string): string => sha256(deviceCode).slice(0, 12)
