import type { StatusLogin, StatusOutput, StatusReport, VerifyResult } from '../machines/index.js'
import { DEFAULT_SERVER, hostOf, SKEW_WORTH_TELLING_MS } from '../effects/client/index.js'
import { describeProxyRoute, type Env, type ProxyRouteFacts } from '../effects/node/status-flow.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { approximately, describeFailure } from './failure-words.js'
import { textWidth, wrapWords } from './terminal.js'
import { english, type Words } from './words/english.js'
import { envelope, jsonError, jsonLine, NO_STATUS, type JsonCommand } from './render-json.js'
import type { Rendered } from './render-outcome.js'

// `omicos login --status`: who is logged in, where and until when first (local times, in the
// zone TZ names, and how far off), then the page's email, process name and config path, then
// what a user debugging a daemon needs, each line within 80 columns. No network unless --verify, and never a token. The last line
// says which proxy a login would go through (for the login's server, else the default one),
// read from `env` as the fetch reads it, without the proxy's credentials.
export function renderStatus(
  output: StatusOutput,
  opts: { json: boolean; now?: Date; env?: Env; serverFlag?: string; command?: JsonCommand; words?: Words },
): Rendered {
  const command = opts.command ?? 'login'
  // --json stays English; the lines are in the words given.
  const words = opts.words ?? english
  const { t } = words
  const now = opts.now ?? new Date()
  // Logging in again as a hint says: with --workspace for a workspace's login, which would
  // otherwise go to the global file too and replace another account's global login there.
  const again = output.report?.loggedIn && output.report.activeSource === 'workspace' ? 'omicos login --workspace' : 'omicos login'
  if (output.kind === 'failed') {
    const message = describeFailure(output.failure, { again, serverFlag: opts.serverFlag, wrongServerHint: 'status' })
    const code = exitCodeFor(output.failure.kind)
    // What the files say stays on show when only the server's part failed (--verify).
    const local = output.report?.loggedIn ? output.report : null
    if (opts.json) {
      const fields = local ? { ...statusJson(local, null, now), proxy: null } : NO_STATUS
      return { stdout: [jsonLine({ ...envelope(command, 'status', 'failed', code, jsonError(output.failure, message)), ...fields })], stderr: [], code }
    }
    const line = describeFailure(output.failure, { again, serverFlag: opts.serverFlag, wrongServerHint: 'status' }, words)
    return { stdout: local ? reportLines(words, local, now) : [], stderr: [t('line.error', { line })], code }
  }
  const { report, verified } = output
  // A user token that ran out and was not renewed is no login (the page's exit table: 1).
  const expired = report.loggedIn && userTokenState(report.userTokenExpiresAt ?? null, now) === 'expired'
  const code = report.loggedIn && !expired && verified?.kind !== 'invalid' ? ExitCode.ok : ExitCode.notLoggedIn
  const env = opts.env ?? process.env
  const proxy = describeProxyRoute(report.loggedIn && report.server ? report.server : env.OMICOS_SERVER || DEFAULT_SERVER, env)
  if (opts.json) {
    const outcome = report.loggedIn ? 'reported' : 'notLoggedIn'
    return {
      stdout: [jsonLine({ ...envelope(command, 'status', outcome, code, null), ...statusJson(report, verified, now), proxy: proxy.route })],
      stderr: [],
      code,
    }
  }
  if (!report.loggedIn) {
    return {
      stdout: [
        t('status.notLoggedIn'),
        t('status.line.config', { path: report.configPath }),
        ...storeNotes(words, report),
        proxyLine(words, proxy.facts),
        t('status.logInHint'),
      ],
      stderr: [],
      code,
    }
  }
  const lines = [...summaryLines(words, report, now, output.renewed), ...reportLines(words, report, now, verified ?? null)]
  if (verified) {
    lines.push(verified.kind === 'valid' ? t('status.online.valid') : t('status.online.failed', { line: describeFailure(verified.failure, { again }, words) }))
  }
  lines.push(proxyLine(words, proxy.facts))
  return { stdout: lines.flatMap((line) => line.split('\n')).flatMap((line) => fitted(line, WIDTH)), stderr: [], code }
}

const WIDTH = 80

/**
 * Who, where and until when, in the words of the catalog: the first lines a person reads. A
 * workspace login is named as one, since `config:` below names the global file either way.
 */
const summaryLines = (words: Words, report: StatusReport, now: Date, renewed: boolean): string[] => {
  const at = report.userTokenExpiresAt ? new Date(report.userTokenExpiresAt) : null
  const values = {
    email: report.email ?? '',
    host: (report.server && hostOf(report.server)) || (report.server ?? ''),
    until: at ? localTime(words, at) : '',
    relative: at ? relativeTime(words, at, now) : '',
  }
  const workspace = report.activeSource === 'workspace' && report.activePath ? report.activePath.replace(/[/\\]\.omicos[/\\][^/\\]+$/, '') : null
  const lines = [
    !at ? words.t('status.summary.noExpiry', values) : at.getTime() <= now.getTime() ? words.t('status.summary.expired', values) : words.t('status.summary', values),
  ]
  if (workspace) lines.push(words.t('status.summary.workspace', { root: workspace }))
  if (renewed && at) lines.push(words.t('status.renewed', values))
  lines.push('')
  return lines
}

/** The region whose way of writing a date the catalog's language follows. */
const DATE_LOCALES: Record<string, string> = { en: 'en-GB', 'zh-Hans': 'zh-CN', 'zh-Hant': 'zh-TW' }

/** `when` as a person here reads it: local time, in the zone TZ names (`Wed 6 Jan 2027, 10:00 CET`). */
export const localTime = (words: Words, when: Date): string =>
  when.toLocaleString(DATE_LOCALES[words.locale] ?? 'en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  })

/** How far `when` is from `now`: `in 29 days`, `3 h ago`. */
export const relativeTime = (words: Words, when: Date, now: Date): string => {
  const ms = when.getTime() - now.getTime()
  const span = timeLeft(words, Math.abs(ms))
  return words.t(ms >= 0 ? 'status.in' : 'status.ago', { span })
}

/** A line cut at spaces into lines of at most `width`, the rest indented; a word longer stays whole. */
export const fitted = (line: string, width: number): string[] => {
  if (textWidth(line) <= width) return [line]
  // Chinese breaks beside its characters, not only at spaces (cli/terminal.ts).
  if (textWidth(line) !== line.length) return wrapWords(line, width).map((part, i) => (i === 0 ? part : `  ${part}`))
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
const reportLines = (words: Words, report: StatusReport, now: Date, verified: VerifyResult | null = null): string[] => {
  const { t } = words
  const userToken = report.userTokenExpiresAt ?? null
  const loggedInAt = report.loggedInAt ? new Date(report.loggedInAt) : null
  return [
    t('status.line.email', { email: String(report.email) }),
    t('status.line.process', { process: String(report.processName) }),
    t('status.line.config', { path: report.configPath }),
    t('status.line.server', { server: String(report.server) }),
    report.tier
      ? t('status.line.accountTier', { account: String(report.accountId), tier: report.tier })
      : t('status.line.account', { account: String(report.accountId) }),
    t(report.authMethod === 'device' ? 'status.line.method.device' : 'status.line.method.password'),
    loggedInAt
      ? t('status.line.loggedIn', { when: localTime(words, loggedInAt), relative: relativeTime(words, loggedInAt, now) })
      : t('status.line.loggedInUnknown'),
    t('status.line.processId', { id: String(report.processId) }),
    t('status.line.processToken', {
      state: report.processTokenReplacedAt ? replacedLine(words, report.processTokenReplacedAt) : expiry(words, report.processTokenExpiresAt ?? null, now),
    }),
    t('status.line.userToken', { state: userTokenLine(words, userToken, now) }),
    ...userTokenWarning(words, userToken, now, report.activeSource === 'workspace'),
    ...skewLine(words, verified?.clockSkewMs ?? report.clockSkewMs ?? null),
    t(report.activeSource === 'workspace' ? 'status.daemonUses.workspace' : 'status.daemonUses.global'),
    `  ${report.activePath}`,
    ...report.logins.flatMap((login) => loginLine(words, login, report.activePath)),
    ...storeNotes(words, report),
  ]
}

/** The proxy a login would go through, or why none. */
const proxyLine = (words: Words, facts: ProxyRouteFacts): string => {
  const { t } = words
  switch (facts.kind) {
    case 'unusable':
      return facts.failure === null
        ? t('status.proxy.noServer')
        : t('status.proxy.unusable', { message: describeFailure(facts.failure, { again: 'omicos login' }, words) })
    case 'direct':
      return facts.bypassedBy ? t('status.proxy.directBypassed', { host: facts.host, variable: facts.bypassedBy }) : t('status.proxy.direct', { host: facts.host })
    case 'proxy':
      return t('status.proxy.via', { proxy: facts.proxy, variable: facts.from, host: facts.host })
  }
}

const roughly = (words: Words, ms: number): string =>
  ms >= 1.5 * 86_400_000
    ? words.t('status.about.days', { count: Math.round(ms / 86_400_000) })
    : ms >= 2 * 3_600_000
      ? words.t('status.about.hours', { count: Math.round(ms / 3_600_000) })
      : approximately(words, ms)

/** The clock here and the server's, when they differ by more than NTP would leave. */
const skewLine = (words: Words, skew: number | null): string[] => {
  if (skew === null || Math.abs(skew) < SKEW_WORTH_TELLING_MS) return []
  return [words.t(skew > 0 ? 'status.clock.ahead' : 'status.clock.behind', { amount: roughly(words, Math.abs(skew)) })]
}

/** A user token this close to its end is worth a warning: a daemon cannot log in again by itself. */
export const USER_TOKEN_WARNING_MS = 3 * 24 * 3600_000

export type UserTokenState = 'valid' | 'expiresSoon' | 'expired' | 'noExpiry'

export const userTokenState = (at: string | null, now: Date): UserTokenState => {
  if (!at) return 'noExpiry'
  const left = Date.parse(at) - now.getTime()
  return left <= 0 ? 'expired' : left < USER_TOKEN_WARNING_MS ? 'expiresSoon' : 'valid'
}

const userTokenLine = (words: Words, at: string | null, now: Date): string => {
  if (!at) return words.t('status.noExpiry')
  const left = Date.parse(at) - now.getTime()
  const values = { when: localTime(words, new Date(at)), relative: relativeTime(words, new Date(at), now) }
  return words.t(left <= 0 ? 'status.userToken.expired' : 'status.userToken.expires', values)
}

/**
 * The warning of a user token near or past its end, with the commands that log in again. A
 * workspace login is logged in again with --workspace: without it, the login would also go to
 * the global file and replace the global login of another account. The server needs no
 * --server: a login without one uses the current login's, and says so.
 */
const userTokenWarning = (words: Words, at: string | null, now: Date, workspace: boolean): string[] => {
  const flag = workspace ? ' --workspace' : ''
  switch (userTokenState(at, now)) {
    case 'expired':
      return [words.t('status.warning.expired', { login: `omicos login${flag}`, pair: `omicos cli login${flag}` })]
    case 'expiresSoon':
      return [words.t('status.warning.expiresSoon', { left: timeLeft(words, Date.parse(at!) - now.getTime()), login: `omicos login --force${flag}` })]
    default:
      return []
  }
}

// Three short lines, so a long address or path does not push the login past 80 columns.
const loginLine = ({ t }: Words, login: StatusLogin, activePath: string | null): string[] => [
  t(LOGIN_LINES[login.source === 'workspace' ? 'workspace' : 'global'][login.path === activePath ? 1 : 0], { email: login.email }),
  t('status.login.on', { server: login.server, process: login.processName }),
  t('status.login.in', { path: login.path }),
]

const LOGIN_LINES = {
  global: ['status.login.global', 'status.login.globalUsed'],
  workspace: ['status.login.workspace', 'status.login.workspaceUsed'],
} as const

/** What the read found and did to the files: temps removed, copies that disagree. */
const storeNotes = ({ t }: Words, report: StatusReport): string[] => [
  ...(report.sweptTemps.length > 0 ? [t('status.sweptTemps'), ...report.sweptTemps.map((path) => `  ${path}`)] : []),
  ...(report.twinsDiffer ? [t('status.twinsDiffer')] : []),
]

const timeLeft = ({ t }: Words, ms: number): string => {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 120) return t('status.span.minutes', { count: minutes })
  const hours = Math.round(minutes / 60)
  return hours < 72 ? t('status.span.hours', { count: hours }) : t('status.span.days', { count: Math.round(hours / 24) })
}

// Every registration rotates the process token; one whose answer was lost took the stored token with it.
const replacedLine = (words: Words, at: string): string => words.t('status.processToken.replaced', { when: localTime(words, new Date(at)) })

const expiry = (words: Words, at: string | null, now: Date): string => {
  if (!at) return words.t('status.noExpiry')
  const left = Date.parse(at) - now.getTime()
  if (left <= 0) return words.t('status.processToken.expired', { when: localTime(words, new Date(at)) })
  return words.t('status.processToken.valid', { when: localTime(words, new Date(at)), relative: relativeTime(words, new Date(at), now) })
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
