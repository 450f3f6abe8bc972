import type { StatusOutput, StatusReport, VerifyResult } from '../machines/contracts.js'
import { DEFAULT_SERVER } from '../effects/client/server-url.js'
import type { Env } from '../effects/node/environment.js'
import { describeProxyRoute } from '../effects/node/proxy-settings.js'
import { exitCodeFor, ExitCode } from './exit-codes.js'
import { describeFailure } from './failure-words.js'
import type { Rendered } from './render-outcome.js'

// `omicos login --status`: the page's email, process name and config path first, then what a
// user debugging a daemon needs. No network unless --verify, and never a token. The last line
// says which proxy a login would go through (for the login's server, else the default one),
// read from `env` as the fetch reads it, without the proxy's credentials.
export function renderStatus(output: StatusOutput, opts: { json: boolean; now?: Date; env?: Env; serverFlag?: string }): Rendered {
  if (output.kind === 'failed') {
    const message = describeFailure(output.failure, { again: 'omicos login', serverFlag: opts.serverFlag, wrongServerHint: 'leave --server out to check that login' })
    if (opts.json) {
      return {
        stdout: [JSON.stringify({ logged_in: false, error: { kind: output.failure.kind, message } })],
        stderr: [],
        code: exitCodeFor(output.failure.kind),
      }
    }
    return { stdout: [], stderr: [`error: ${message}`], code: exitCodeFor(output.failure.kind) }
  }
  const { report, verified } = output
  const code = report.loggedIn && verified?.kind !== 'invalid' ? ExitCode.ok : ExitCode.notLoggedIn
  const env = opts.env ?? process.env
  const proxy = describeProxyRoute(report.loggedIn && report.server ? report.server : env.OMICOS_SERVER || DEFAULT_SERVER, env)
  if (opts.json) return { stdout: [JSON.stringify({ ...statusJson(report, verified), proxy: proxy.route })], stderr: [], code }
  if (!report.loggedIn) {
    return {
      stdout: ['Not logged in.', `config: ${report.configPath}`, proxy.line, 'Run `omicos login` or `omicos cli login` to log in.'],
      stderr: [],
      code,
    }
  }
  const lines = [
    `email: ${report.email}`,
    `process: ${report.processName}`,
    `config: ${report.configPath}`,
    `server: ${report.server}`,
    `account: ${report.accountId}${report.tier ? ` (${report.tier})` : ''}`,
    `method: ${report.authMethod === 'device' ? 'device-code pairing' : 'email / password'}`,
    `logged in: ${report.loggedInAt}`,
    `process id: ${report.processId}`,
    `process token: ${expiry(report.processTokenExpiresAt ?? null, opts.now ?? new Date())}`,
    `daemon uses here: ${report.activePath} (${report.activeSource})`,
  ]
  if (verified) lines.push(verified.kind === 'valid' ? 'online check: the user token works' : `online check: ${verified.message}`)
  lines.push(proxy.line)
  return { stdout: lines, stderr: [], code }
}

const expiry = (at: string | null, now: Date): string => {
  if (!at) return 'no expiry recorded'
  const left = Date.parse(at) - now.getTime()
  if (left <= 0) return `expired at ${at} (renewed on the next daemon start or login)`
  const minutes = Math.round(left / 60_000)
  return `valid until ${at} (${minutes >= 120 ? `${Math.round(minutes / 60)} h` : `${minutes} min`} left)`
}

export const statusJson = (report: StatusReport, verified: VerifyResult | null) => ({
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
  user_token_expires_at: report.userTokenExpiresAt ?? null,
  active_file: report.activePath,
  active_source: report.activeSource,
  ...(verified ? { verified: verified.kind === 'valid' } : {}),
})
