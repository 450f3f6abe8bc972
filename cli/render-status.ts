import type { StatusLogin, StatusOutput, StatusReport, VerifyResult } from '../machines/index.js'
import { DEFAULT_SERVER, hostOf, SKEW_WORTH_TELLING_MS } from '../effects/client/index.js'
import { describeProxyRoute, type Env } from '../effects/node/status-flow.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { describeFailure } from './failure-words.js'
import { approximately } from './terminal.js'
import { english } from './words/english.js'
import { envelope, jsonError, jsonLine, NO_STATUS, type JsonCommand } from './render-json.js'
import type { Rendered } from './render-outcome.js'

// `omicos login --status`: who is logged in, where and until when first (local times, in the
// zone TZ names, and how far off), then the page's email, process name and config path, then
// what a user debugging a daemon needs, each line within 80 columns. No network unless --verify, and never a token. The last line
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
  // A user token that ran out and was not renewed is no login (the page's exit table: 1).
  const expired = report.loggedIn && userTokenState(report.userTokenExpiresAt ?? null, now) === 'expired'
  const code = report.loggedIn && !expired && verified?.kind !== 'invalid' ? ExitCode.ok : ExitCode.notLoggedIn
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
  const lines = [...summaryLines(report, now, output.renewed), ...reportLines(report, now, verified ?? null)]
  if (verified) lines.push(verified.kind === 'valid' ? 'online check: the user token works' : `online check: ${describeFailure(verified.failure, { again: 'omicos login' })}`)
  lines.push(proxy.line)
  return { stdout: lines.flatMap((line) => line.split('\n')).flatMap((line) => fitted(line, WIDTH)), stderr: [], code }
}

const WIDTH = 80

/**
 * Who, where and until when, in the words of the catalog: the first lines a person reads. A
 * workspace login is named as one, since `config:` below names the global file either way.
 */
const summaryLines = (report: StatusReport, now: Date, renewed: boolean): string[] => {
  const at = report.userTokenExpiresAt ? new Date(report.userTokenExpiresAt) : null
  const values = { email: report.email ?? '', host: (report.server && hostOf(report.server)) || (report.server ?? ''), until: at ? localTime(at) : '', relative: at ? relativeTime(at, now) : '' }
  const workspace = report.activeSource === 'workspace' && report.activePath ? report.activePath.replace(/[/\\]\.omicos[/\\][^/\\]+$/, '') : null
  const lines = [
    !at
      ? english.t('status.summary.noExpiry', values)
      : at.getTime() <= now.getTime()
        ? english.t('status.summary.expired', values)
        : english.t('status.summary', values),
  ]
  if (workspace) lines.push(english.t('status.summary.workspace', { root: workspace }))
  if (renewed && at) lines.push(english.t('status.renewed', values))
  lines.push('')
  return lines
}

/** `when` as a person here reads it: local time, in the zone TZ names (`Wed 6 Jan 2027, 10:00 CET`). */
export const localTime = (when: Date): string =>
  when.toLocaleString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })

/** How far `when` is from `now`: `in 29 days`, `3 h ago`. */
export const relativeTime = (when: Date, now: Date): string => {
  const ms = when.getTime() - now.getTime()
  const span = timeLeft(Math.abs(ms))
  return english.t(ms >= 0 ? 'status.in' : 'status.ago', { span })
}

/** A line cut at spaces into lines of at most `width`, the rest indented; a word longer stays whole. */
export const fitted = (line: string, width: number): string[] => {
  if (line.length <= width) return [line]
  const out: string[] = []
  let current = ''
  // A command in backticks is one word: cut, it would no longer read as one to copy.
  for (const word of line.match(/(?:`[^`]*`|[^ `])+/g) ?? []) {
    const next = current ? `${current} ${word}` : word
    if (next.length > width && current.trim()) {
      out.push(current)
      current = `  ${word}`
    } else current = next
  }
  if (current.trim()) out.push(current)
  return out
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
    `logged in: ${report.loggedInAt ? `${localTime(new Date(report.loggedInAt))} (${relativeTime(new Date(report.loggedInAt), now)})` : ''}`,
    `process id: ${report.processId}`,
    `process token: ${report.processTokenReplacedAt ? replacedLine(report.processTokenReplacedAt) : expiry(report.processTokenExpiresAt ?? null, now)}`,
    `user token: ${userTokenLine(userToken, now)}`,
    ...userTokenWarning(userToken, now),
    ...skewLine(verified?.clockSkewMs ?? report.clockSkewMs ?? null),
    `daemon uses here: the ${report.activeSource} login, in`,
    `  ${report.activePath}`,
    ...report.logins.flatMap((login) => loginLine(login, report.activePath)),
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
  return left <= 0 ? `expired ${localTime(new Date(at))} (${relativeTime(new Date(at), now)})` : `expires ${localTime(new Date(at))} (${relativeTime(new Date(at), now)})`
}

const userTokenWarning = (at: string | null, now: Date): string[] => {
  switch (userTokenState(at, now)) {
    case 'expired':
      return ['warning: user token expired: log in again (`omicos login` or `omicos cli login`)']
    case 'expiresSoon':
      return [`warning: the user token expires in ${timeLeft(Date.parse(at!) - now.getTime())}: log in again soon (\`omicos login --force\`)`]
    default:
      return []
  }
}

// Three short lines, so a long address or path does not push the login past 80 columns.
const loginLine = (login: StatusLogin, activePath: string | null): string[] => [
  `${login.source} login${login.path === activePath ? ' (used here)' : ''}: ${login.email}`,
  `  on ${login.server}, process "${login.processName}"`,
  `  in ${login.path}`,
]

/** What the read found and did to the files: temps removed, copies that disagree. */
const storeNotes = (report: StatusReport): string[] => [
  ...(report.sweptTemps.length > 0 ? ['removed stale temp files left by an interrupted write:', ...report.sweptTemps.map((path) => `  ${path}`)] : []),
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
  `replaced ${localTime(new Date(at))}\n  by a registration whose answer was lost;\n  registered again on the next daemon start or login`

const expiry = (at: string | null, now: Date): string => {
  if (!at) return 'no expiry recorded'
  const left = Date.parse(at) - now.getTime()
  if (left <= 0) return `expired ${localTime(new Date(at))} (renewed on the next daemon start or login)`
  return `valid until ${localTime(new Date(at))} (${relativeTime(new Date(at), now)})`
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
