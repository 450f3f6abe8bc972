import { Option } from 'clipanion'
import { exitCodeTable } from './exit-codes.js'
import { emailProblem, normalizeEmail, readSecretFromStream } from '../effects/index.js'
import { usageIn } from './help-text.js'
import { currentWords } from './words/current.js'
import { againCommand, checkProcessName, OmicosCommand, promptLabels, UsageFailure } from './command-base.js'
import { quoted } from './printable-text.js'

import { passwordWarning } from './process-title.js'
import { retryNotice } from './failure-words.js'
import type { Words } from './words/english.js'
import { renderLogin, renderLogout } from './render-outcome.js'
import { thrownJson } from './render-json.js'
import { runStatusCommand } from './status-command.js'

const t: Words['t'] = (key, values) => currentWords().t(key, values)

export class LoginCommand extends OmicosCommand {
  static override paths = [['login']]

  static override usage = LoginCommand.usageIn(currentWords())

  static usageIn(words: Words) {
    return usageIn(words, {
      description: 'help.login.description',
      details: 'help.login.details',
      after: exitCodeTable(words),
      examples: [
        ['help.login.example.interactive', '$0 login'],
        ['help.login.example.script', 'printf %s "$PASSWORD" | $0 login --email you@example.com --password-stdin'],
        ['help.login.example.status', '$0 login --status'],
        ['help.login.example.local', '$0 login --server http://127.0.0.1:4000'],
        ['help.login.example.logout', '$0 login --logout'],
        ['help.login.example.json', '$0 login --status --json'],
      ],
    })
  }

  email = Option.String('--email', { description: t('option.email') })
  password = Option.String('--password', { description: t('option.password') })
  passwordStdin = Option.Boolean('--password-stdin', false, { description: t('option.passwordStdin') })
  name = Option.String('--name', { description: t('option.name') })
  force = Option.Boolean('--force', false, { description: t('option.force') })
  server = Option.String('--server', { description: t('option.server') })
  workspace = Option.Boolean('--workspace', false, { description: t('option.workspace') })
  status = Option.Boolean('--status', false, { description: t('option.status') })
  json = Option.Boolean('--json', false, { description: t('option.json') })
  verify = Option.Boolean('--verify', false, { description: t('option.verify') })
  logout = Option.Boolean('--logout', false, { description: t('option.logout') })

  async execute(): Promise<number> {
    try {
      this.checkOptions()
      if (this.status) return await runStatusCommand(this.io, { online: this.verify, server: this.server, json: this.json, trace: this.trace })
      const inspect = this.inspector()
      // Loaded here, not at the top: `--version` and `--help` then load no engine code at all.
      const { login, logout } = await import('../effects/node/api.js')
      if (this.logout) {
        const output = await this.withInterrupt((signal) => logout({ server: this.server, inspect, signal, onLockWait: this.onLockWait }))
        return this.print(renderLogout(output, { again: 'omicos login', serverFlag: this.server, json: this.json ? 'login' : undefined }, this.words))
      }
      // A bad --server is a usage error of one line, before the --password warning.
      const server = await this.loginServer(this.server, 'password', this.workspace)
      let password = this.password ?? null
      if (this.password !== undefined) {
        this.context.stderr.write(`${passwordWarning(process.platform, this.words)}\n`)
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
          prompts: {
            stdin: this.context.stdin,
            stdout: this.context.stderr,
            notice: (failure) => retryNotice(failure, this.words),
            notAnEmail: (problem) => this.words.t('prompt.notAnEmail', { problem: this.words.t(`email.${problem}`) }),
            labels: promptLabels(this.words),
          },
          onLockWait: this.onLockWait,
          language: this.json ? undefined : this.language,
        }),
      )
      return this.print(renderLogin(output, { again: againCommand('omicos login', server, this.workspace), json: this.json ? 'login' : undefined }, this.words))
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
    if (this.status && this.logout) throw UsageFailure.of('usage.statusAndLogout')
    for (const mode of ['--status', '--logout'] as const) {
      if (mode === '--status' ? !this.status : !this.logout) continue
      const clash = loginOnly.find(([, value]) => value !== undefined)
      if (clash) throw UsageFailure.of('usage.notWith', { option: clash[0], mode })
    }
    if (this.verify && !this.status) throw UsageFailure.of('usage.verifyWithStatus')
    if (this.status && !this.verify && this.server !== undefined) throw UsageFailure.of('usage.serverWithVerify')
    if (this.password !== undefined && this.passwordStdin) throw UsageFailure.of('usage.passwordTwice')
    if (this.password === '') throw UsageFailure.of('usage.passwordEmpty')
    if (this.email !== undefined) {
      const problem = emailProblem(normalizeEmail(this.email))
      const email = this.email
      if (problem) throw UsageFailure.worded((words) => words.t('usage.emailNotAnEmail', { value: quoted(email, words), problem: words.t(`email.${problem}`) }))
    }
    // Reading a terminal to its end would wait with no prompt and echo what is typed.
    if (this.passwordStdin && (this.context.stdin as { isTTY?: boolean }).isTTY) {
      throw UsageFailure.of('usage.passwordStdinTerminal')
    }
    if (this.passwordStdin && this.email === undefined) throw UsageFailure.of('usage.passwordStdinEmail')
    // Checked here, not by the server after the password was accepted.
    checkProcessName(this.name)
  }
}
