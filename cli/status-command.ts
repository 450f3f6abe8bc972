import { printFailure, printRendered, traceInspector, withInterrupt, type CommandIo } from './command-io.js'
import { thrownJson } from './render-json.js'
import { renderStatus } from './render-status.js'
import { waitLines } from './wait-lines.js'
import type { InspectionEvent } from 'xstate'

// `omicos login --status`, once its options are known: run by the login command, and by the
// bin itself for the plain forms (cli/start.cts decides, cli/status-main.ts runs), which then load
// no command-line parser and none of the login code. Both go through here, so both print the same.

export interface StatusRequest {
  /** --verify: ask the server too */
  online: boolean
  /** --server, with --verify: the server the login must be on */
  server?: string
  json: boolean
  trace: boolean
}

type StatusFlow = typeof import('../effects/node/status-flow.js')

/** `flow`: the engine's status, loaded when first needed unless the caller has it already. */
export async function runStatusCommand(
  io: CommandIo,
  request: StatusRequest,
  flow: () => Promise<StatusFlow> = () => import('../effects/node/status-flow.js'),
): Promise<number> {
  try {
    const trace = traceInspector(io, request.trace)
    // --verify waits on the server: said on a terminal, as a login's waits are.
    const speak = request.online && (io.stderr as { isTTY?: boolean }).isTTY ? waitLines((line) => io.stderr.write(`${line}\n`), io.words) : undefined
    const inspect =
      trace && speak
        ? (event: InspectionEvent) => {
            trace(event)
            speak(event)
          }
        : (trace ?? speak)
    const { status } = await flow()
    const output = await withInterrupt(io, (signal) => status({ online: request.online, server: request.server, env: io.env, inspect, signal }))
    return printRendered(io, renderStatus(output, { json: request.json, serverFlag: request.server, command: 'login', words: io.words }))
  } catch (error) {
    if (!request.json) return printFailure(io, error)
    const { line, code } = thrownJson('login', 'status', error)
    io.stdout.write(`${line}\n`)
    return code
  }
}
