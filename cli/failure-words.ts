import type { Failure } from '../machines/failure.js'
import { isLoopbackHost } from '../effects/client/server-url.js'
import { quoted } from './printable-text.js'
import { approximately } from './terminal.js'

// The one place a machine's failure becomes the line a person reads: the machines carry kinds
// and reason codes, and the command a person would run next is the CLI's to name.
export interface Wording {
  /** the command that would try again: `omicos login` or `omicos cli login` */
  again: string
  /** `--server` as the user typed it, for the wrong-server line */
  serverFlag?: string
  /** the way out of the wrong-server case: what was not done, and what to do */
  wrongServerHint?: string
  /** a cancelled pairing can be picked up again for this long (ms) */
  resumableForMs?: number
}

export function describeFailure(failure: Failure, wording: Wording): string {
  switch (failure.reason) {
    case 'needsTerminal':
      return 'the email and password are needed and there is no terminal to ask on: pass --email with --password-stdin (or --password)'
    case 'wrongCredentials':
      return /\(\d+ tries\)$/.test(failure.message) ? `${failure.message}; run the login again` : failure.message
    case 'renewRejected':
      return `${failure.message}: log in again (\`omicos login\` or \`omicos cli login\`)`
    case 'renewalLost':
      return `${failure.message}: log in again (\`omicos login\` or \`omicos cli login\`)`
    case 'renewAnswerRefusedSpent':
      return `${failure.message}; the server had already replaced the stored refresh token, and what its answer carried was revoked: log in again (\`omicos login\` or \`omicos cli login\`)`
    case 'renewAnswerRefused':
      return `${failure.message}; the user token it carried was revoked and the login is kept as it was`
    case 'pairingDenied':
      return 'pairing was declined on the other device'
    case 'pairingExpired':
      return `the pairing code expired before it was approved: run \`${wording.again}\` again`
    case 'pairingCodeUnusable':
      return `the pairing code can no longer be used (it may have been approved and the answer lost): run \`${wording.again}\` again`
    case 'wrongServer': {
      const flag = wording.serverFlag === undefined ? 'the server given' : `--server ${quoted(wording.serverFlag)}`
      const here = /is on (\S+), not on/.exec(failure.message)?.[1]
      return `${flag} is not the server of the login here${here ? ` (${here})` : ''}: ${wording.wrongServerHint ?? 'leave --server out to act on that login'}`
    }
  }
  if (failure.kind === 'unreachable' && failure.message.startsWith('cannot reach ')) {
    const next = networkNextStep(failure)
    if (next) return `${failure.message}: ${next}`
  }
  if (failure.reason === 'issuerMismatch') {
    const named = /\(it calls itself (\S+)\)/.exec(failure.message)?.[1]
    if (named) return `${failure.message}: if that is the same server, use --server ${named}`
  }
  if (failure.kind === 'cancelled') {
    const left = wording.resumableForMs ?? 0
    return left >= 1000
      ? `login cancelled; the pairing code stays valid for ${approximately(left)}: run ${wording.again} again to continue with it, or add --force for a new one`
      : failure.message === 'login cancelled' || failure.message === 'pairing cancelled'
        ? 'login cancelled'
        : failure.message
  }
  return failure.message
}

/** What to do about a connection that failed, by its reason; null when the message says it. */
function networkNextStep(failure: Failure): string | null {
  switch (failure.reason) {
    case 'dns':
      return 'check the server address and the network (behind a proxy, set HTTPS_PROXY)'
    case 'connectionRefused':
      return 'check that the server runs at that address and port'
    case 'timeout':
      return 'check the network (behind a proxy, set HTTPS_PROXY), then try again'
    case 'network':
      return 'check the network, then try again'
    case 'tls': {
      if (!failure.message.includes('it answers plain http')) return null
      const host = /^cannot reach (\S+): /.exec(failure.message)?.[1]
      return host && isLoopbackHost(host.replace(/:\d+$/, '')) ? `use --server http://${host}` : 'check the address and port: this one takes no https'
    }
  }
  return null
}
