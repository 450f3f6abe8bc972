// node-reasons.ts for a browser bundle (package.json `browser` maps one to the other): no effect
// of a page gives a reason of the Node effects, so their kinds are not shipped to it. In such a
// bundle FAILURE_REASONS and isFailureReason() know only the reasons of failure.ts.
import type { NODE_REASON_KIND as NodeReasonKind } from './node-reasons.js'

export const NODE_REASON_KIND = {} as typeof NodeReasonKind
