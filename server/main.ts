#!/usr/bin/env node
import { Builtins } from 'clipanion'
import { quietWhenReaderGoes } from '../cli/output-streams.js'
import { CommandLine, runCommandLine } from '../cli/run-command-line.js'
import { VERSION } from '../cli/version.js'
import { ApproveCommand, DenyCommand, StartCommand, UsersAddCommand, UsersListCommand, UsersRemoveCommand } from './server-commands.js'

const cli = new CommandLine({ binaryLabel: 'omicOS reference auth server', binaryName: 'omicos-auth-server', binaryVersion: VERSION, enableColors: false })
for (const command of [StartCommand, UsersAddCommand, UsersListCommand, UsersRemoveCommand, ApproveCommand, DenyCommand]) cli.register(command)
cli.register(Builtins.HelpCommand)
cli.register(Builtins.VersionCommand)

quietWhenReaderGoes(process.stdout, process.stderr)
await runCommandLine(cli, process.argv.slice(2))
