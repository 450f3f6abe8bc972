#!/usr/bin/env node
import { Builtins, Cli } from 'clipanion'
import {
  ApproveCommand, DenyCommand, firstLine, StartCommand, UsersAddCommand, UsersListCommand, UsersRemoveCommand,
} from './server-commands.js'

const cli = new Cli({ binaryLabel: 'omicOS reference auth server', binaryName: 'omicos-auth-server', binaryVersion: '0.1.0', enableColors: false })
for (const command of [StartCommand, UsersAddCommand, UsersListCommand, UsersRemoveCommand, ApproveCommand, DenyCommand]) cli.register(command)
cli.register(Builtins.HelpCommand)
cli.register(Builtins.VersionCommand)

const context = { ...Cli.defaultContext }
const argv = process.argv.slice(2)
// clipanion answers a bad flag with its whole usage; one line on stderr and exit 2 is enough.
let command
try {
  command = cli.process(argv, context)
} catch (error) {
  const message = firstLine(error instanceof Error ? error.message : String(error)).replace(/; did you mean one of:$/, '')
  process.stderr.write(`error: ${message === 'Command not found' ? `unknown command: ${argv.join(' ')}` : message}\nRun "omicos-auth-server --help" for usage.\n`)
  process.exit(2)
}
process.exitCode = await cli.run(command, context)
