// connection-codes.ts for a browser bundle (package.json `browser` maps one to the other): a
// browser's fetch fails with a bare `TypeError` (`Failed to fetch`), no code and no cause, so
// Node's and undici's tables would match nothing there. What it answers is what
// connection-codes.ts answers for an error without a code (spec/effects/client/connection-codes.spec.ts).
import type { connectionKind as nodeConnectionKind } from './connection-codes.js'

export type { ConnectionKind } from './connection-codes.js'

export const connectionKind: typeof nodeConnectionKind = () => ({ reason: 'network', beforeSending: false })
