// The bin's entry for the plain forms of `omicos login --status` (cli/start.cts loads it). The
// build bundles it apart from the rest of the CLI, as one CommonJS file
// (dist/cli/status-main.cjs) that the bin compiles with the V8 code cache the build made for it,
// so a status reads compiled code instead of parsing: on Node 20, parsing and each module loaded
// cost start-up time and memory (scripts/bench-startup.mjs).
import * as statusFlow from '../effects/node/status-flow.js'
import { exitWhenWritten, quietWhenReaderGoes } from './output-streams.js'
import { titleWithoutSecrets } from './process-title.js'
import { runStatusCommand, type StatusRequest } from './status-command.js'
import { wordsFor } from './words/index.js'

/** Answers a plain status form (cli/start.cts decided it is one). */
export async function answerStatus(argv: string[], request: StatusRequest): Promise<void> {
  // As the parsed command line does (cli/hide-secrets-from-process-list.ts): `ps` shows the command.
  if (process.platform !== 'win32') process.title = titleWithoutSecrets('omicos', argv)
  const words = await wordsFor(process.env)
  quietWhenReaderGoes(process.stdout, process.stderr, words)
  statusFlow.lookUpHostsInChildProcess()
  process.exitCode = await runStatusCommand({ stdout: process.stdout, stderr: process.stderr, env: process.env, words }, request, async () => statusFlow)
  // As cli/main.ts: `--status --verify` against a name server that never answers ends with its line.
  await exitWhenWritten()
}
