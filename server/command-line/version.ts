import { createRequire } from 'node:module'

// By package name, so it is the server package's own version wherever this file was built
// to: server/dist in the published package, dist/server in the repository (reached through
// the workspace link in node_modules).
export const VERSION: string = (createRequire(import.meta.url)('omicos-auth-server/package.json') as { version: string }).version
