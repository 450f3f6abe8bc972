#!/usr/bin/env node
import { Builtins, Cli } from 'clipanion'
import { CliLoginCommand } from './cli-login.command.js'
import { firstLine } from './command-base.js'
import { ExitCode } from './exit-codes.js'
import { LoginCommand } from './login.command.js'
import { VERSION } from './version.js'

const cli = new Cli({ binaryLabel: 'omicOS', binaryName: 'omicos', binaryVersion: VERSION, enableColors: false })
cli.register(LoginCommand)
cli.register(CliLoginCommand)
cli.register(Builtins.HelpCommand)
cli.register(Builtins.VersionCommand)

const context = { ...Cli.defaultContext }
const argv = process.argv.slice(2)
// clipanion reports a bad flag with its whole usage on stdout and exit 1; the table wants one
// line on stderr and exit 2.
let command
try {
  command = cli.process(argv, context)
} catch (error) {
  process.stderr.write(`error: ${firstLine(error instanceof Error ? error.message : String(error))}\nRun "omicos --help" for usage.\n`)
  process.exit(ExitCode.usage)
}
process.exitCode = await cli.run(command, context)
