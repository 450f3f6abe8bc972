// A real terminal for the CLI specs: `omicos ...` run in a detached tmux pane of a given size,
// on a tmux server of its own (a socket in the sandbox), so a pty is its stdin, stdout and
// stderr. The screen is read with capture-pane, what the CLI wrote with pipe-pane. Every wait is
// bounded (uvu has no per-test timeout).
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CLI_BIN, type CliSandbox } from './cli.js'
import { timeout } from './wait.js'

export function tmux(socket: string, args: string[], ms = 10_000): Promise<string> {
  const child = spawn('tmux', ['-S', socket, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const done = new Promise<string>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`tmux ${args[0]} exited ${code}: ${err}`)))),
  )
  return timeout(done, ms, `tmux ${args[0]}`).catch((error) => {
    child.kill('SIGKILL')
    throw error
  })
}

export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export interface PaneOptions {
  env?: Record<string, string>
  /** a file stdout is redirected to, instead of the pane */
  stdoutTo?: string
  /** the pane's size (default 100×60) */
  columns?: number
  rows?: number
}

export type Pane = Awaited<ReturnType<typeof inTmux>>

/**
 * Runs `omicos ...args` in a detached tmux pane: a real pty for stdin, stdout and stderr. The
 * socket is returned so the caller's `after` hook can kill the server if a test failed early.
 */
export async function inTmux(box: CliSandbox, args: string[], options: PaneOptions = {}) {
  const root = join(box.home, '..')
  const socket = join(root, 'tmux.sock')
  const raw = join(root, 'pane.raw')
  const script = join(root, 'run.sh')
  const env = { OMICOS_HOME: box.home, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ...options.env }
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `cd ${shellQuote(box.workspace)}`,
      // Ctrl-C reaches the whole foreground group: the shell keeps going to report the exit code
      // (a trapped signal is back to its default in the child).
      'trap : INT',
      // A clean environment: no CI, NO_COLOR or OMICOS_* from the test runner.
      `env -i ${Object.entries(env)
        .map(([k, v]) => `${k}=${shellQuote(v)}`)
        .join(
          ' ',
        )} TERM="$TERM" ${shellQuote(process.execPath)} ${shellQuote(CLI_BIN)} ${args.map(shellQuote).join(' ')}${options.stdoutTo ? ` > ${shellQuote(options.stdoutTo)}` : ''}`,
      'echo "EXIT=$?"',
      'sleep 60',
    ].join('\n'),
    { mode: 0o755 },
  )
  const size = ['-x', String(options.columns ?? 100), '-y', String(options.rows ?? 60)]
  await tmux(socket, ['-f', '/dev/null', 'new-session', '-d', ...size, '-s', 'pair', script])
  await tmux(socket, ['pipe-pane', '-o', '-t', 'pair', `cat >> ${shellQuote(raw)}`])
  // The screen and the history above it, wrapped lines joined.
  const screen = () => tmux(socket, ['capture-pane', '-p', '-J', '-t', 'pair', '-S', '-100'])
  // Only what is on the screen now, row by row as the terminal shows it (wrapped lines apart).
  const visibleRows = async () => (await tmux(socket, ['capture-pane', '-p', '-t', 'pair'])).replace(/\n$/, '').split('\n')
  // With -e the colours come too (SGR sequences), as the terminal shows them.
  const screenWithColours = () => tmux(socket, ['capture-pane', '-p', '-e', '-t', 'pair'])
  const waitFor = async (pattern: RegExp, ms = 15_000): Promise<{ match: RegExpMatchArray; text: string }> => {
    const until = Date.now() + ms
    for (;;) {
      const text = await screen()
      const match = text.match(pattern)
      if (match) return { match, text }
      if (Date.now() > until) throw new Error(`no ${pattern} on the tmux screen within ${ms} ms:\n${text}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return {
    socket,
    screen,
    visibleRows,
    screenWithColours,
    waitFor,
    keys: (...keys: string[]) => tmux(socket, ['send-keys', '-t', 'pair', ...keys]),
    raw: () => (existsSync(raw) ? readFileSync(raw, 'utf8') : ''),
    stop: () => tmux(socket, ['kill-server']).catch(() => {}),
  }
}
