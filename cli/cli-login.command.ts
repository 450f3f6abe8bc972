import { Option } from 'clipanion'
import { ExitCode, exitCodeTable } from './exit-codes.js'
import { usageIn } from './help-text.js'
import { currentWords } from './words/current.js'
import type { Words } from './words/english.js'
import { againCommand, checkProcessName, OmicosCommand, UsageFailure } from './command-base.js'
import { renderLogin, renderLogout } from './render-outcome.js'
import { thrownJson } from './render-json.js'
import { detectTerminal } from './terminal.js'
import { traceEnabled } from './trace.js'

const t: Words['t'] = (key, values) => currentWords().t(key, values)

export class CliLoginCommand extends OmicosCommand {
  static override paths = [['cli', 'login']]

  static override usage = CliLoginCommand.usageIn(currentWords())

  static usageIn(words: Words) {
    return usageIn(words, {
      description: 'help.cliLogin.description',
      details: 'help.cliLogin.details',
      after: exitCodeTable(words, [ExitCode.notLoggedIn]),
      examples: [
        ['help.cliLogin.example.pair', '$0 cli login'],
        ['help.cliLogin.example.local', '$0 cli login --server http://127.0.0.1:4000'],
        ['help.cliLogin.example.logout', '$0 cli login --logout'],
      ],
    })
  }

  server = Option.String('--server', { description: t('option.serverPairing') })
  logout = Option.Boolean('--logout', false, { description: t('option.logout') })
  name = Option.String('--name', { description: t('option.name') })
  force = Option.Boolean('--force', false, { description: t('option.forcePairing') })
  workspace = Option.Boolean('--workspace', false, { description: t('option.workspace') })
  json = Option.Boolean('--json', false, { description: t('option.jsonPairing') })
  noQr = Option.Boolean('--no-qr', false, { description: t('option.noQr') })

  async execute(): Promise<number> {
    try {
      if (this.logout && (this.name !== undefined || this.force || this.workspace)) {
        throw UsageFailure.of('usage.logoutWith')
      }
      // Checked here, not by the server after the pairing was approved.
      checkProcessName(this.name)
      const inspect = this.inspector()
      // Loaded here, not at the top: `--version` and `--help` then load no engine code at all.
      const { deviceLogin, logout, steadyClock } = await import('../effects/node/api.js')
      if (this.logout) {
        const output = await this.withInterrupt((signal) => logout({ server: this.server, inspect, signal, onLockWait: this.onLockWait }))
        return this.print(renderLogout(output, { again: 'omicos cli login', serverFlag: this.server, json: this.json ? 'cli login' : undefined }, this.words))
      }
      const server = await this.loginServer(this.server, 'device', this.workspace)
      // With --json, stdout is the script's: the pairing screen (address, code, QR code) is drawn on stderr.
      const screen = this.json ? this.context.stderr : this.context.stdout
      const terminal = detectTerminal({ stdout: screen, stderr: this.context.stderr }, this.env)
      const { createDeviceView } = await import('./device-view.js')
      // One steady clock for the pairing's deadline and its countdown (effects/client/clock.ts).
      const pairingNow = steadyClock()
      const view = createDeviceView({
        stdout: screen,
        stderr: this.context.stderr,
        terminal,
        qr: !this.noQr,
        trace: traceEnabled(this.env, this.trace),
        now: pairingNow,
        words: this.words,
      })
      const output = await this.withInterrupt((signal) =>
        deviceLogin({
          server,
          name: this.name,
          force: this.force,
          workspace: this.workspace,
          signal,
          inspect,
          onSnapshot: view.update,
          onResume: view.resumed,
          pairingNow,
          onLockWait: this.onLockWait,
          language: this.json ? undefined : this.language,
        }),
      ).finally(view.stop)
      return this.print(
        renderLogin(output, { again: againCommand('omicos cli login', server, this.workspace), json: this.json ? 'cli login' : undefined }, this.words),
      )
    } catch (error) {
      if (!this.json) return this.fail(error)
      const { line, code } = thrownJson('cli login', this.logout ? 'logout' : 'login', error)
      this.context.stdout.write(`${line}\n`)
      return code
    }
  }
}
