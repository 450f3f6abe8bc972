// The bin's entry for the plain forms of `omicos login --status` (cli/start.ts loads it). The
// build bundles it apart from the rest of the CLI (dist/cli/status-main.js, its lazily loaded
// request code in dist/cli/status-bundle/), so a status reads one file of code and a few
// small ones, not the chunks the whole CLI is split into: on Node 20 each module loaded costs
// start-up time and memory (scripts/bench-startup.mjs).
import * as statusFlow from '../effects/node/status-flow.js'
import { quietWhenReaderGoes } from './output-streams.js'
import { plainStatusRequest, runStatusCommand } from './status-command.js'

/** Answers `argv` when it is a plain status form; false leaves it to the parser. */
export async function answerStatus(argv: string[]): Promise<boolean> {
  const request = plainStatusRequest(argv)
  if (!request) return false
  quietWhenReaderGoes(process.stdout, process.stderr)
  process.exitCode = await runStatusCommand({ stdout: process.stdout, stderr: process.stderr, env: process.env }, request, async () => statusFlow)
  return true
}
