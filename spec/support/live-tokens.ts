// Asks the reference server, after a run, which of the tokens it issued still work, and checks
// that each one that does is held by a file of the sandbox: a credential file, or the
// revocation queue (tokens owed a revocation the server could not be asked about yet). A token
// alive that nothing holds would stay valid for its whole lifetime with nobody to end it.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as assert from 'uvu/assert'
import type { CliSandbox } from './cli.js'
import type { HostileServer } from './hostile-server.js'
import { CLIENT_ID, request, type ReferenceServer } from './server.js'

type Kind = 'access_token' | 'refresh_token' | 'process_token'
const KINDS: Kind[] = ['access_token', 'process_token', 'refresh_token']

/** Every token the upstream issued through `hostile` (its answers as sent, before any script changed them). */
export function issuedTokens(hostile: HostileServer, since = 0): Array<{ kind: Kind; token: string }> {
  const found = new Map<string, Kind>()
  for (const text of hostile.answers.slice(since)) {
    let json: Record<string, unknown>
    try {
      json = JSON.parse(text)
    } catch {
      continue
    }
    for (const kind of KINDS) if (typeof json?.[kind] === 'string') found.set(json[kind] as string, kind)
  }
  return [...found].map(([token, kind]) => ({ kind, token }))
}

/** Every string a file under `dir` holds, as tokens in JSON (credential files, temps, the queue). */
function heldTokens(dir: string, into = new Set<string>()): Set<string> {
  if (!existsSync(dir)) return into
  for (const name of readdirSync(dir)) {
    const file = join(dir, name)
    const stat = lstatSync(file)
    if (stat.isDirectory()) heldTokens(file, into)
    else if (stat.isFile()) {
      const text = readFileSync(file, 'utf8')
      for (const match of text.matchAll(/"([^"\\]{6,})"/g)) into.add(match[1]!)
    }
  }
  return into
}

const works = async (server: ReferenceServer['server'], kind: Kind, token: string): Promise<boolean> => {
  if (kind === 'access_token') return (await request(server, '/omicos/account', { headers: { authorization: `Bearer ${token}` } })).status === 200
  if (kind === 'process_token') return (await request(server, '/omicos/processes/current', { headers: { authorization: `Bearer ${token}` } })).status === 200
  // Presenting a live refresh token would rotate it; only tokens nothing holds are asked, last.
  return (await request(server, '/token', { form: { grant_type: 'refresh_token', refresh_token: token, client_id: CLIENT_ID } })).status === 200
}

/**
 * Fails naming the kind of the first token the server issued through `hostile` (from its
 * answer number `since` on) that still works and that no file of `boxes` holds. Resolves to how
 * many issued tokens nothing holds (each asked about, and found dead).
 */
export async function assertNoLiveTokenUnheld(ref: ReferenceServer, hostile: HostileServer, boxes: CliSandbox[], since = 0): Promise<number> {
  const held = new Set<string>()
  for (const box of boxes) {
    heldTokens(box.home, held)
    heldTokens(join(box.workspace, '.omicos'), held)
  }
  const issued = issuedTokens(hostile, since).filter(({ token }) => !held.has(token))
  // Access and process tokens first: asking about a refresh token that works would spend it.
  issued.sort((a, b) => Number(a.kind === 'refresh_token') - Number(b.kind === 'refresh_token'))
  for (const { kind, token } of issued) {
    assert.not.ok(await works(ref.server, kind, token), `a live ${kind} (${token.slice(0, 4)}...) that no file holds`)
  }
  return issued.length
}

/** The credential file's JSON after a failed registration: the earlier one, plus the replaced marker. */
export function assertOnlyMarked(file: string, before: Buffer | null): void {
  assert.ok(before, 'there was a file before')
  const earlier = JSON.parse(before!.toString('utf8'))
  const now = JSON.parse(readFileSync(file, 'utf8'))
  assert.type(now.process_token_replaced_at, 'string', 'the process token is marked as replaced')
  assert.ok(!Number.isNaN(Date.parse(now.process_token_replaced_at)))
  delete now.process_token_replaced_at
  assert.equal(now, earlier, 'nothing but the marker changed')
}
