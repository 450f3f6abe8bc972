import { createRequire } from 'node:module'

// Read at run time from the built file's place, dist/server/command-line/, three folders below package.json.
export const VERSION: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version
