import type { StatusLogin, StatusOutput, StatusReport, VerifyResult } from '../machines/contracts.js'
import { DEFAULT_SERVER } from '../effects/client/server-url.js'
import type { Env } from '../effects/store/home.js'
import { describeProxyRoute } from '../effects/node/proxy-settings.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { describeFailure } from './failure-words.js'
import { approximately } from './terminal.js'
import { SKEW_WORTH_TELLING_MS } from '../effects/client/clock.js'
import { envelope, jsonError, jsonLine, NO_STATUS, type JsonCommand } from './render-json.js'
import type { Rendered } from './render-outcome.js'

// `omicos login --status`: the page's email, process name and config path first, then what a
// user debugging a daemon needs. No network unless --verify, and never a token. The last line
// says which proxy a login would go through (for the login's server, else the default one),
// read from `env` as the fetch reads it, without the proxy's credentials.
export function renderStatus(
  output: StatusOutput,
  opts: { json: boolean; now?: Date; env?: Env; serverFlag?: string; command?: JsonCommand },
): Rendered {
  const command = opts.command ?? 'login'
  const now = opts.now ?? new Date()
  if (output.kind === 'failed') {
    const message = describeFailure(output.failure, { again: 'omicos login', serverFlag: opts.serverFlag, wrongServerHint: 'status' })
    const code = exitCodeFor(output.failure.kind)
    // What the files say stays on show when only the server's part failed (--verify).
    const local = output.report?.loggedIn ? output.report : null
    if (opts.json) {
      const fields = local ? { ...statusJson(local, null, now), proxy: null } : NO_STATUS
      return { stdout: [jsonLine({ ...envelope(command, 'status', 'failed', code, jsonError(output.failure, message)), ...fields })], stderr: [], code }
    }
    return { stdout: local ? reportLines(local, now) : [], stderr: [`error: ${message}`], code }
  }
  const { report, verified } = output
  const code = report.loggedIn && verified?.kind !== 'invalid' ? ExitCode.ok : ExitCode.notLoggedIn
  const env = opts.env ?? process.env
  const proxy = describeProxyRoute(report.loggedIn && report.server ? report.server : env.OMICOS_SERVER || DEFAULT_SERVER, env)
  if (opts.json) {
    const outcome = report.loggedIn ? 'reported' : 'notLoggedIn'
    return { stdout: [jsonLine({ ...envelope(command, 'status', outcome, code, null), ...statusJson(report, verified, now), proxy: proxy.route })], stderr: [], code }
  }
  if (!report.loggedIn) {
    return {
      stdout: ['Not logged in.', `config: ${report.configPath}`, ...storeNotes(report), proxy.line, 'Run `omicos login` or `omicos cli login` to log in.'],
      stderr: [],
      code,
    }
  }
  const lines = reportLines(report, now, verified ?? null)
  if (verified) lines.push(verified.kind === 'valid' ? 'online check: the user token works' : `online check: ${describeFailure(verified.failure, { again: 'omicos login' })}`)
  lines.push(proxy.line)
  return { stdout: lines, stderr: [], code }
}

/** The lines of a login the files hold, from the page's fields to the notes on the files. */
const reportLines = (report: StatusReport, now: Date, verified: VerifyResult | null = null): string[] => {
  const userToken = report.userTokenExpiresAt ?? null
  return [
    `email: ${report.email}`,
    `process: ${report.processName}`,
    `config: ${report.configPath}`,
    `server: ${report.server}`,
    `account: ${report.accountId}${report.tier ? ` (${report.tier})` : ''}`,
    `method: ${report.authMethod === 'device' ? 'device-code pairing' : 'email / password'}`,
    `logged in: ${report.loggedInAt}`,
    `process id: ${report.processId}`,
    `process token: ${report.processTokenReplacedAt ? replacedLine(report.processTokenReplacedAt) : expiry(report.processTokenExpiresAt ?? null, now)}`,
    `user token: ${userTokenLine(userToken, now)}`,
    ...userTokenWarning(userToken, now),
    ...skewLine(verified?.clockSkewMs ?? report.clockSkewMs ?? null),
    `daemon uses here: ${report.activePath} (${report.activeSource})`,
    ...report.logins.map((login) => loginLine(login, report.activePath)),
    ...storeNotes(report),
  ]
}

const roughly = (ms: number): string =>
  ms >= 1.5 * 86_400_000 ? `about ${Math.round(ms / 86_400_000)} days` : ms >= 2 * 3_600_000 ? `about ${Math.round(ms / 3_600_000)} h` : approximately(ms)

/** The clock here and the server's, when they differ by more than NTP would leave. */
const skewLine = (skew: number | null): string[] => {
  if (skew === null || Math.abs(skew) < SKEW_WORTH_TELLING_MS) return []
  return [`clock: this machine's clock is ${roughly(Math.abs(skew))} ${skew > 0 ? 'ahead of' : 'behind'} the server's, by its last answer (the server's expiry times are corrected for it; set the clock right)`]
}

/** A user token this close to its end is worth a warning: a daemon cannot log in again by itself. */
export const USER_TOKEN_WARNING_MS = 3 * 24 * 3600_000

export type UserTokenState = 'valid' | 'expiresSoon' | 'expired' | 'noExpiry'

export const userTokenState = (at: string | null, now: Date): UserTokenState => {
  if (!at) return 'noExpiry'
  const left = Date.parse(at) - now.getTime()
  return left <= 0 ? 'expired' : left < USER_TOKEN_WARNING_MS ? 'expiresSoon' : 'valid'
}

const userTokenLine = (at: string | null, now: Date): string => {
  if (!at) return 'no expiry recorded'
  const left = Date.parse(at) - now.getTime()
  return left <= 0 ? `expired at ${at}` : `expires ${at} (${timeLeft(left)} left)`
}

const userTokenWarning = (at: string | null, now: Date): string[] => {
  switch (userTokenState(at, now)) {
    case 'expired':
      return ['warning: the user token has expired: log in again (`omicos login` or `omicos cli login`)']
    case 'expiresSoon':
      return [`warning: the user token expires in ${timeLeft(Date.parse(at!) - now.getTime())}: log in again soon (\`omicos login --force\`)`]
    default:
      return []
  }
}

const loginLine = (login: StatusLogin, activePath: string | null): string =>
  `${login.source} login: ${login.email} on ${login.server} (process "${login.processName}") in ${login.path}${login.path === activePath ? ', used here' : ''}`

/** What the read found and did to the files: temps removed, copies that disagree. */
const storeNotes = (report: StatusReport): string[] => [
  ...(report.sweptTemps.length > 0 ? [`removed stale temp files left by an interrupted write: ${report.sweptTemps.join(', ')}`] : []),
  ...(report.twinsDiffer
    ? ['warning: the global and workspace copies of this login differ (an interrupted write); the daemon mends them on its next start, or log in again']
    : []),
]

const timeLeft = (ms: number): string => {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 120) return `${minutes} min`
  const hours = Math.round(minutes / 60)
  return hours < 72 ? `${hours} h` : `${Math.round(hours / 24)} days`
}

// Every registration rotates the process token; one whose answer was lost took the stored token with it.
const replacedLine = (at: string): string =>
  `replaced at ${at} by a registration whose answer was lost (registered again on the next daemon start or login)`

const expiry = (at: string | null, now: Date): string => {
  if (!at) return 'no expiry recorded'
  const left = Date.parse(at) - now.getTime()
  if (left <= 0) return `expired at ${at} (renewed on the next daemon start or login)`
  const minutes = Math.round(left / 60_000)
  return `valid until ${at} (${minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`} left)`
}

export const statusJson = (report: StatusReport, verified: VerifyResult | null, now: Date = new Date()) => ({
  logged_in: report.loggedIn,
  email: report.email ?? null,
  process_name: report.processName ?? null,
  config: report.configPath,
  server: report.server ?? null,
  account_id: report.accountId ?? null,
  tier: report.tier ?? null,
  auth_method: report.authMethod ?? null,
  logged_in_at: report.loggedInAt ?? null,
  process_id: report.processId ?? null,
  process_token_expires_at: report.processTokenExpiresAt ?? null,
  process_token_replaced_at: report.processTokenReplacedAt ?? null,
  user_token_expires_at: report.userTokenExpiresAt ?? null,
  user_token_state: report.loggedIn ? userTokenState(report.userTokenExpiresAt ?? null, now) : null,
  active_file: report.activePath,
  active_source: report.activeSource,
  verified: verified ? verified.kind === 'valid' : null,
  logins: report.logins.map((login) => ({
    path: login.path,
    source: login.source,
    email: login.email,
    account_id: login.accountId,
    server: login.server,
    process_name: login.processName,
    auth_method: login.authMethod,
    user_token_expires_at: login.userTokenExpiresAt,
    process_token_expires_at: login.processTokenExpiresAt,
    process_token_replaced_at: login.processTokenReplacedAt,
    used_here: login.path === report.activePath,
  })),
  swept_temps: report.sweptTemps,
  twins_differ: report.twinsDiffer,
  clock_skew_ms: verified?.clockSkewMs ?? report.clockSkewMs ?? null,
})
