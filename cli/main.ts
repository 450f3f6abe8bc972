#!/usr/bin/env node
// First, before anything else loads: `--password VALUE` leaves the process list.
import './hide-secrets-from-process-list.js'
import { Builtins } from 'clipanion'
import { CliLoginCommand } from './cli-login.command.js'
import { CompletionCommand } from './completion.command.js'
import { LoginCommand } from './login.command.js'
import { exitWhenWritten, quietWhenReaderGoes } from './output-streams.js'
import { lookUpHostsInChildProcess } from '../effects/index.js'
import { CommandLine, runCommandLine } from './run-command-line.js'
import { VERSION } from './version.js'
import { useWords } from './words/current.js'
import { wordsFor } from './words/index.js'

// The language first: the commands' help texts and options are read from the catalog when they
// are registered. English loads nothing more (cli/words/index.ts).
const words = await wordsFor(process.env)
if (words.locale !== 'en') {
  useWords(words)
  LoginCommand.usage = LoginCommand.usageIn(words)
  CliLoginCommand.usage = CliLoginCommand.usageIn(words)
  CompletionCommand.usage = CompletionCommand.usageIn(words)
}

const cli = new CommandLine({ binaryLabel: 'omicOS', binaryName: 'omicos', binaryVersion: VERSION, enableColors: false })
cli.register(LoginCommand)
cli.register(CliLoginCommand)
cli.register(CompletionCommand)
cli.register(Builtins.HelpCommand)
cli.register(Builtins.VersionCommand)

quietWhenReaderGoes(process.stdout, process.stderr, words)
lookUpHostsInChildProcess()
await runCommandLine(cli, process.argv.slice(2))
// The answer is out: whatever is still pending (a DNS look-up, a socket, a timer) is not waited for.
await exitWhenWritten()
