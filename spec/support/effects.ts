// Helpers shared by the effects specs: temp directories, credential files with fake values,
// child processes with a time limit, and a tiny loopback HTTP server.
import { spawn } from 'node:child_process'
import { mkdtempSync, realpathSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCredentialFile, type CredentialFile } from '../../effects/store/credential-file.js'
import { timeout } from './wait.js'

export const tempDir = (prefix = 'omicos-effects-'): string => realpathSync(mkdtempSync(join(tmpdir(), prefix)))

export const fakeCredentials = (accountId = 'acct-a', overrides: Partial<Parameters<typeof buildCredentialFile>[0]> = {}): CredentialFile =>
  buildCredentialFile({
    userToken: `user-token-${accountId}`,
    userTokenExpiresAt: Date.parse('2030-01-01T00:00:00Z'),
    refreshToken: `refresh-${accountId}`,
    processToken: `process-token-${accountId}`,
    processTokenExpiresAt: Date.parse('2030-01-01T00:00:00Z'),
    processId: 'local-0123456789abcdef',
    processName: 'base',
    authMethod: 'password',
    server: 'https://auth.omicos.cn',
    accountId,
    email: `${accountId}@example.com`,
    tier: 'free',
    loggedInAt: Date.parse('2026-01-01T00:00:00Z'),
    ...overrides,
  })

/** How to run a helper script next to this file, as TypeScript (tsx) or as built JavaScript. */
export const helperCommand = (name: string): { file: string; execArgv: string[] } => {
  const here = fileURLToPath(import.meta.url)
  const ts = here.endsWith('.ts')
  return { file: join(here, '..', `${name}${ts ? '.ts' : '.js'}`), execArgv: ts ? ['--import', 'tsx'] : [] }
}

export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs a command and collects its output, killed after `ms`. */
export const run = (command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; ms?: number } = {}): Promise<ChildResult> =>
  timeout(
    new Promise<ChildResult>((resolve, reject) => {
      const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('error', reject)
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
      setTimeout(() => child.kill('SIGKILL'), options.ms ?? 20_000).unref()
    }),
    (options.ms ?? 20_000) + 2_000,
    `${command} ${args.join(' ')}`,
  )

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** A loopback HTTP server on a free port answering with `handler`. */
export const startHttp = async (handler: Handler): Promise<{ url: string; close(): Promise<void> }> => {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => handler(req, res, body))
  })
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'listen')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      timeout(
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
        5_000,
        'close',
      ),
  }
}

export const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}
