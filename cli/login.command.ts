import { Command, Option } from 'clipanion'
import { readSecretFromStream } from '../effects/node/prompts.js'
import { exitCodeTable } from './exit-codes.js'
import { emailProblem, normalizeEmail } from '../effects/client/email.js'
import { againCommand, checkProcessName, OmicosCommand, UsageFailure } from './command-base.js'
import { quoted } from './printable-text.js'
import { passwordWarning } from './process-title.js'
import { retryNotice } from './failure-words.js'
import { english } from './words/english.js'
import { renderLogin, renderLogout } from './render-outcome.js'
import { thrownJson } from './render-json.js'
import { runStatusCommand } from './status-command.js'

export class LoginCommand extends OmicosCommand {
  static override paths = [['login']]

  static override usage = Command.Usage({
    description: 'Log in to omicOS with your email and password',
    details: `
      Prompts for what is not given (\`Email:\`, then a hidden \`Password:\`), logs in, registers this process and writes the credentials to \`~/.omicos/cloud_login.json\` (\`OMICOS_HOME\` replaces \`~/.omicos\`), and to the workspace file when this workspace already holds this account's login. With \`--workspace\`, only the workspace file \`<workspace>/.omicos/cloud_login.json\` is written: this workspace switches to that account while the global login stays.

      A wrong password is asked again on a terminal, three tries in all. Without a terminal, pass \`--email\` with \`--password-stdin\`, which reads the password from the first line of a pipe (at most 64 KiB); on a terminal, leave it out to be asked.

      With \`--json\`, standard output holds one JSON object and nothing else, whatever the ending (logged in, already logged in, logged out, not logged in, the status, or an error with its exit code), in the shape \`docs/cli-json.schema.json\` documents; prompts and warnings still go to standard error, and no token or password is ever in it.

      \`--server\` goes with a login, with \`--status --verify\` and with \`--logout\`; with the last two it names the server the current login must be on (otherwise exit 2 and nothing is checked or removed).

      ${exitCodeTable.replace(/\n/g, '\n      ')}
    `,
    examples: [
      ['Log in interactively', '$0 login'],
      ['Log in from a script without leaving the password in shell history', 'printf %s "$PASSWORD" | $0 login --email you@example.com --password-stdin'],
      ['Check the current login (no network)', '$0 login --status'],
      ['Log in against the reference server on this machine', '$0 login --server http://127.0.0.1:4000'],
      ['Log out of this account', '$0 login --logout'],
      ['The current login as JSON, for a script', '$0 login --status --json'],
    ],
  })

  email = Option.String('--email', { description: 'Pass the email directly, skipping the interactive prompt' })
  password = Option.String('--password', { description: 'Pass the password directly (it stays in your shell history; prefer --password-stdin)' })
  passwordStdin = Option.Boolean('--password-stdin', false, { description: 'Read the password from the first line of piped standard input (not a terminal)' })
  name = Option.String('--name', { description: 'Process display name (default: the conda environment name, except conda base, else the current directory name)' })
  force = Option.Boolean('--force', false, { description: 'Log in again even if already logged in' })
  server = Option.String('--server', {
    description: 'Authentication service address (default: OMICOS_SERVER, else https://auth.omicos.cn); with --logout or --status --verify, the server the current login must be on',
  })
  workspace = Option.Boolean('--workspace', false, { description: 'Log in for the current workspace only (writes only its credential file)' })
  status = Option.Boolean('--status', false, { description: "Don't log in: print the current login state (email, process name, config path)" })
  json = Option.Boolean('--json', false, {
    description: 'Print the outcome as one JSON object on stdout, errors included (no tokens; shape: docs/cli-json.schema.json); prompts and warnings stay on stderr',
  })
  verify = Option.Boolean('--verify', false, { description: 'With --status: also ask the server whether the login still works' })
  logout = Option.Boolean('--logout', false, { description: "Log out: revoke this account's tokens and delete its local credentials" })

  async execute(): Promise<number> {
    try {
      this.checkOptions()
      if (this.status) return await runStatusCommand(this.io, { online: this.verify, server: this.server, json: this.json, trace: this.trace })
      const inspect = this.inspector()
      // Loaded here, not at the top: `--version` and `--help` then load no engine code at all.
      const { login, logout } = await import('../effects/node/api.js')
      if (this.logout) {
        const output = await this.withInterrupt((signal) => logout({ server: this.server, inspect, signal, onLockWait: this.onLockWait }))
        return this.print(renderLogout(output, { again: 'omicos login', serverFlag: this.server, json: this.json ? 'login' : undefined }))
      }
      // A bad --server is a usage error of one line, before the --password warning.
      const server = await this.loginServer(this.server, 'password', this.workspace)
      let password = this.password ?? null
      if (this.password !== undefined) {
        this.context.stderr.write(`${passwordWarning(process.platform)}\n`)
      }
      if (this.passwordStdin) password = await readSecretFromStream(this.context.stdin)
      const output = await this.withInterrupt((signal) =>
        login({
          server,
          email: this.email === undefined ? null : normalizeEmail(this.email),
          password,
          name: this.name,
          force: this.force,
          workspace: this.workspace,
          signal,
          inspect,
          prompts: { stdin: this.context.stdin, stdout: this.context.stderr, notice: (failure) => retryNotice(failure), notAnEmail: (problem) => english.t('prompt.notAnEmail', { problem: english.t(`email.${problem}`) }) },
          onLockWait: this.onLockWait,
        }),
      )
      return this.print(renderLogin(output, { again: againCommand('omicos login', server, this.workspace), json: this.json ? 'login' : undefined }))
    } catch (error) {
      if (!this.json) return this.fail(error)
      const { line, code } = thrownJson('login', this.status ? 'status' : this.logout ? 'logout' : 'login', error)
      this.context.stdout.write(`${line}\n`)
      return code
    }
  }

  private checkOptions(): void {
    const loginOnly: Array<[string, unknown]> = [
      ['--email', this.email],
      ['--password', this.password],
      ['--password-stdin', this.passwordStdin || undefined],
      ['--name', this.name],
      ['--force', this.force || undefined],
      ['--workspace', this.workspace || undefined],
    ]
    if (this.status && this.logout) throw new UsageFailure('--status and --logout cannot be used together')
    for (const mode of ['--status', '--logout'] as const) {
      if (mode === '--status' ? !this.status : !this.logout) continue
      const clash = loginOnly.find(([, value]) => value !== undefined)
      if (clash) throw new UsageFailure(`${clash[0]} cannot be used with ${mode}`)
    }
    if (this.verify && !this.status) throw new UsageFailure('--verify goes with --status')
    if (this.status && !this.verify && this.server !== undefined) throw new UsageFailure('--server goes with a login or --status --verify')
    if (this.password !== undefined && this.passwordStdin) throw new UsageFailure('use either --password or --password-stdin, not both')
    if (this.password === '') throw new UsageFailure('--password is empty')
    if (this.email !== undefined) {
      const problem = emailProblem(normalizeEmail(this.email))
      if (problem) throw new UsageFailure(english.t('usage.emailNotAnEmail', { value: quoted(this.email), problem: english.t(`email.${problem}`) }))
    }
    // Reading a terminal to its end would wait with no prompt and echo what is typed.
    if (this.passwordStdin && (this.context.stdin as { isTTY?: boolean }).isTTY) {
      throw new UsageFailure('--password-stdin reads a piped password; on a terminal, leave it out to be asked (hidden)')
    }
    if (this.passwordStdin && this.email === undefined) throw new UsageFailure('--password-stdin needs --email (standard input holds the password)')
    // Checked here, not by the server after the password was accepted.
    checkProcessName(this.name)
  }
}

