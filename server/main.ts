#!/usr/bin/env node
import { Builtins } from 'clipanion'
import { ApproveCommand, DenyCommand, StartCommand, UsersAddCommand, UsersListCommand, UsersRemoveCommand } from './command-line/commands.js'
import { quietWhenReaderGoes, runCommandLine, ServerCommandLine } from './command-line/run-command-line.js'
import { VERSION } from './command-line/version.js'

const cli = new ServerCommandLine({ binaryLabel: 'omicOS reference auth server', binaryName: 'omicos-auth-server', binaryVersion: VERSION, enableColors: false })
for (const command of [StartCommand, UsersAddCommand, UsersListCommand, UsersRemoveCommand, ApproveCommand, DenyCommand]) cli.register(command)
cli.register(Builtins.HelpCommand)
cli.register(Builtins.VersionCommand)

quietWhenReaderGoes(process.stdout, process.stderr)
await runCommandLine(cli, process.argv.slice(2))
