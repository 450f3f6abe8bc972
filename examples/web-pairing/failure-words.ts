// The page's own words for a failure. A front end words failures from `reason` and `details`
// (the engine writes no sentence): this page names the few a browser pairing meets and falls
// back on the failure's kind for the rest, so a reason added later still reads sensibly.
import type { Failure, FailureKind } from 'omicos-auth/machines'

const BY_KIND: Record<FailureKind, string> = {
  usage: 'that cannot be done here',
  refused: 'the server refused the login',
  expired: 'the pairing code expired before it was approved: start the pairing again',
  unreachable: 'the server cannot be reached',
  bad_response: 'the server sent an answer this page cannot use',
  local_files: 'the login could not be kept in this browser',
  internal: 'something went wrong in this page (a bug)',
  cancelled: 'cancelled',
}

const hostOf = (details: object): string => ('host' in details && typeof details.host === 'string' ? details.host : 'the server')

export const describeFailure = (failure: Failure): string => {
  switch (failure.reason) {
    case 'cancelled':
      return `${failure.details.flow} cancelled`
    case 'pairingDenied':
      return 'pairing was declined on the other device'
    case 'network':
    case 'dns':
    case 'connectionRefused':
    case 'timeout':
      return `cannot reach ${hostOf(failure.details)}: ${failure.reason === 'timeout' ? 'no answer in time' : 'check the address and the network'}`
    case 'unusableAddress':
      return failure.details.problem === 'plainHttp'
        ? 'plain http is only allowed for 127.0.0.1, localhost or [::1]; use https'
        : 'that is not a usable server address'
    default:
      return BY_KIND[failure.kind]
  }
}
