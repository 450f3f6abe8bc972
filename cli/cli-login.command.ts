import { Command, Option } from 'clipanion'
import { ExitCode, exitCodeTableWithout } from './exit-codes.js'
import { againCommand, checkProcessName, OmicosCommand, UsageFailure } from './command-base.js'
import { renderLogin, renderLogout } from './render-outcome.js'
import { thrownJson } from './render-json.js'
import { detectTerminal } from './terminal.js'
import { traceEnabled } from './trace.js'

export class CliLoginCommand extends OmicosCommand {
  static override paths = [['cli', 'login']]

  static override usage = Command.Usage({
    description: 'Log in by pairing this machine from a device already logged in to omicOS',
    details: `
      Prints a pairing address and a short code (RFC 8628 device authorization). Open the address on a device already logged in to omicOS, enter the code and confirm; this machine polls for the answer, registers this process and writes the same credential files as \`omicos login\`.

      If the command is stopped while its code is still valid, running it again for the same server and workspace continues with the same code. \`--force\` starts with a new code.

      The code in bold and the QR code (black on white, whatever the theme) appear only when standard output is a terminal wide enough, the spinner and countdown only when standard error is. \`NO_COLOR\` keeps the QR code (it carries no colour) but drops bold and the link; \`TERM=dumb\` or \`--no-qr\` drops the QR code. The complete pairing address, with the code filled in, is always printed as a line of its own.

      With \`--json\`, standard output holds only one JSON object, the outcome (logged in, already logged in, logged out, not logged in, or an error with its exit code) in the shape \`docs/cli-json.schema.json\` documents, and the pairing lines (address, code, QR code) go to standard error, drawn as on a terminal when standard error is one. No token or code is ever in it.

      With \`--logout\`, \`--server\` names the server the current login must be on (otherwise exit 2 and nothing is removed).

      ${exitCodeTableWithout([ExitCode.notLoggedIn]).replace(/\n/g, '\n      ')}
    `,
    examples: [
      ['Pair this machine', '$0 cli login'],
      ['Pair against the reference server on this machine', '$0 cli login --server http://127.0.0.1:4000'],
      ['Log out of this account', '$0 cli login --logout'],
    ],
  })

  server = Option.String('--server', {
    description: 'Authentication service address (default: OMICOS_SERVER, else https://auth.omicos.cn); with --logout, the server the current login must be on',
  })
  logout = Option.Boolean('--logout', false, { description: "Log out: revoke this account's tokens and delete its local credentials" })
  name = Option.String('--name', { description: 'Process display name (default: the conda environment name, except conda base, else the current directory name)' })
  force = Option.Boolean('--force', false, { description: 'Pair again even if already logged in, with a new code' })
  workspace = Option.Boolean('--workspace', false, { description: 'Log in for the current workspace only (writes only its credential file)' })
  json = Option.Boolean('--json', false, {
    description: 'Print the outcome as one JSON object on stdout, errors included (no tokens; shape: docs/cli-json.schema.json); the pairing screen goes to stderr',
  })
  noQr = Option.Boolean('--no-qr', false, { description: 'Hide the QR code of the pairing address (shown on a terminal wide and tall enough)' })

  async execute(): Promise<number> {
    try {
      if (this.logout && (this.name !== undefined || this.force || this.workspace)) {
        throw new UsageFailure('--logout cannot be used with --name, --force or --workspace')
      }
      // Checked here, not by the server after the pairing was approved.
      checkProcessName(this.name)
      const inspect = this.inspector()
      // Loaded here, not at the top: `--version` and `--help` then load no engine code at all.
      const { deviceLogin, logout } = await import('../effects/node/api.js')
      if (this.logout) {
        const output = await this.withInterrupt((signal) => logout({ server: this.server, inspect, signal, onLockWait: this.onLockWait }))
        return this.print(renderLogout(output, { again: 'omicos cli login', serverFlag: this.server, json: this.json ? 'cli login' : undefined }))
      }
      const server = await this.loginServer(this.server, 'device', this.workspace)
      // With --json, stdout is the script's: the pairing screen (address, code, QR code) is drawn on stderr.
      const screen = this.json ? this.context.stderr : this.context.stdout
      const terminal = detectTerminal({ stdout: screen, stderr: this.context.stderr }, this.env)
      const { createDeviceView } = await import('./device-view.js')
      // One steady clock for the pairing's deadline and its countdown (effects/client/clock.ts).
      const { steadyClock } = await import('../effects/client/clock.js')
      const pairingNow = steadyClock()
      const view = createDeviceView({ stdout: screen, stderr: this.context.stderr, terminal, qr: !this.noQr, trace: traceEnabled(this.env, this.trace), now: pairingNow })
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
        }),
      ).finally(view.stop)
      return this.print(renderLogin(output, { again: againCommand('omicos cli login', server, this.workspace), json: this.json ? 'cli login' : undefined }))
    } catch (error) {
      if (!this.json) return this.fail(error)
      const { line, code } = thrownJson('cli login', this.logout ? 'logout' : 'login', error)
      this.context.stdout.write(`${line}\n`)
      return code
    }
  }
}
