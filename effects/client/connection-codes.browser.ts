// connection-codes.ts for a browser bundle (package.json `browser` maps one to the other): a
// browser's fetch fails with a bare `TypeError` (`Failed to fetch`), no code and no cause, so
// Node's, undici's and llhttp's codes would match nothing there. What it answers is what
// connection-codes.ts answers for an error without a code (spec/effects/client/connection-codes.spec.ts).
import type { exchangeFailure as nodeExchangeFailure } from './connection-codes.js'
import { engineError } from './engine-error.js'
import { timedOut } from './request-failures.js'
import { hostOf } from './server-url.js'

export type { Exchange } from './connection-codes.js'

// No code says the request was not written: one that can act may have reached the server.
export const exchangeFailure: typeof nodeExchangeFailure = (_, { url, sent, acts, expired, timeoutMs, byDeadline }) =>
  expired ? timedOut(url, timeoutMs, acts, sent, byDeadline) : engineError('network', { host: hostOf(url), code: null, status: null, mayHaveReachedServer: acts })
