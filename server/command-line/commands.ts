// The commands of the `omicos-auth-server` bin. Each parses its flags, hands off to the
// programmatic API (index.ts), and turns any failure into one line on stderr and an exit
// code: 2 for bad usage, 1 for everything else. Never a stack trace.
import { Command, Option } from 'clipanion'
import type { Readable } from 'node:stream'
import { printable } from '../device-page/display-text.js'
import { addAccount, listUsers, removeUser } from '../storage/accounts.js'
import { isDatabaseUrl } from '../storage/sql.js'

// The OAuth library takes a second or more to load; only the commands that need it load it.
const loadStartServer = async () => (await import('../http/start-server.js')).startServer
const loadDecidePairing = async () => (await import('../device-page/decide-pairing.js')).decidePairing

export class UsageProblem extends Error {}

const EXIT_FAILED = 1
export const EXIT_USAGE = 2

export const firstLine = (text: string): string => text.split('\n', 1)[0]!.trim()

abstract class ServerCommand extends Command {
  protected abstract run(): Promise<number>

  async execute(): Promise<number> {
    try {
      return await this.run()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      // A message may quote what was typed: never echo a control or bidi character.
      this.context.stderr.write(`error: ${printable(firstLine(message))}\n`)
      return error instanceof UsageProblem ? EXIT_USAGE : EXIT_FAILED
    }
  }

  protected out(line: string): void {
    this.context.stdout.write(`${line}\n`)
  }
}

function seconds(flag: string, value: string | undefined, { allowZero = false } = {}): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!/^\d+$/.test(value) || (!allowZero && n === 0) || n > 2 ** 31)
    throw new UsageProblem(`${flag} must be a whole number${allowZero ? '' : ' above 0'}, not "${value}"`)
  return n
}

async function readPassword(stdin: Readable & { isTTY?: boolean }): Promise<string> {
  if (stdin.isTTY)
    throw new UsageProblem('--password-stdin reads the password from standard input: pipe it in, e.g. printf %s "$PW" | omicos-auth-server users add ...')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    size += buffer.length
    if (size > 4096) throw new UsageProblem('standard input is too long to be a password')
    chunks.push(buffer)
  }
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (!password) throw new UsageProblem('--password-stdin: standard input was empty')
  return password
}

const dataOption = () => Option.String('--data', { description: 'Data directory (holds omicos-auth.sqlite and keys.json); this or --database' })
const databaseOption = () =>
  Option.String('--database', {
    description:
      'PostgreSQL address, postgres://USER@HOST:PORT/DB, instead of --data: several servers on one database act as one (the password from PGPASSWORD or ~/.pgpass)',
  })

/** The store a command works on: a data directory or a PostgreSQL database, exactly one. */
function storeLocation(data: string | undefined, database: string | undefined): string {
  if ((data === undefined) === (database === undefined)) throw new UsageProblem('give either --data DIR or --database postgres://…, one of them')
  if (database !== undefined) {
    if (!isDatabaseUrl(database)) throw new UsageProblem('--database must be an address like postgres://user@host:5432/omicos_auth')
    return database
  }
  if (isDatabaseUrl(data!)) throw new UsageProblem('--data is a directory; for PostgreSQL use --database')
  return data!
}

export class StartCommand extends ServerCommand {
  static override paths = [['start']]
  static override usage = Command.Usage({
    description: 'Run the reference omicOS auth server',
    details: `
      Serves discovery, the token endpoint (password, device code and refresh token grants), RFC 8628 device authorization with its /device verification page, RFC 7009 revocation and the omicOS account and process routes, all documented in docs/server-contract.md.

      With --tls-cert and --tls-key it serves https. Behind a TLS-terminating proxy, --issuer names the public address: the issuer, the endpoints in discovery and the pairing addresses (verification_uri, verification_uri_complete) use it.

      Prints \`listening on URL\` once it accepts connections (then \`issuer URL\` when --issuer is given) and stops cleanly on SIGINT or SIGTERM. State lives in the data directory (SQLite) or, with --database, in PostgreSQL, so a restart keeps accounts, sessions, pending device logins, issued tokens and rate limits; several instances on one --database act as one server.
    `,
    examples: [
      ['Run on port 8787 with data in ./auth-data', '$0 start --port 8787 --data ./auth-data'],
      [
        'Poll every 2 s, codes live 5 minutes, a web page may call it',
        '$0 start --port 8787 --data ./auth-data --interval 2 --device-ttl 300 --cors-origin http://localhost:5173',
      ],
      ['Serve https with a certificate and its key', '$0 start --port 8443 --data ./auth-data --tls-cert cert.pem --tls-key key.pem'],
      ['Behind a TLS-terminating proxy at https://auth.example.com', '$0 start --port 8787 --data ./auth-data --issuer https://auth.example.com'],
      ['One of several instances on one PostgreSQL database', 'PGPASSWORD=... $0 start --port 8787 --database postgres://omicos@db:5432/omicos_auth'],
    ],
  })

  port = Option.String('--port', '0', { description: 'Port to listen on; 0 picks a free one (default 0)' })
  data = dataOption()
  database = databaseOption()
  host = Option.String('--host', '127.0.0.1', { description: 'Address to listen on (default 127.0.0.1)' })
  interval = Option.String('--interval', { description: 'Seconds a device client waits between polls (default 5)' })
  deviceTtl = Option.String('--device-ttl', { description: 'Seconds a device code lives (default 600)' })
  processTokenTtl = Option.String('--process-token-ttl', { description: 'Seconds a process token lives (default 3600)' })
  userTokenTtl = Option.String('--user-token-ttl', { description: 'Seconds a user token (access token) lives; refresh tokens renew it (default 2592000, 30 days)' })
  refreshReuseSeconds = Option.String('--refresh-reuse-seconds', {
    description: 'Seconds after its first use during which a spent refresh token is honoured instead of ending its login (default 5; 0 turns it off)',
  })
  corsOrigins = Option.Array('--cors-origin', [], { description: 'A browser origin allowed to call the API (repeatable)' })
  tlsCert = Option.String('--tls-cert', { description: 'PEM certificate (chain) to serve https with; needs --tls-key' })
  tlsKey = Option.String('--tls-key', { description: 'PEM private key of --tls-cert' })
  issuer = Option.String('--issuer', { description: 'Public address (origin) when behind a TLS-terminating proxy, e.g. https://auth.example.com' })

  protected async run(): Promise<number> {
    const port = seconds('--port', this.port, { allowZero: true })!
    if (port > 65535) throw new UsageProblem(`--port must be at most 65535, not ${port}`)
    for (const origin of this.corsOrigins) {
      if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new UsageProblem(`--cors-origin must be an origin like http://localhost:5173, not "${origin}"`)
    }
    if ((this.tlsCert === undefined) !== (this.tlsKey === undefined)) throw new UsageProblem('--tls-cert and --tls-key go together: give both or neither')
    if (this.issuer !== undefined && !/^https?:\/\/[^/\s?#@]+\/?$/.test(this.issuer)) {
      throw new UsageProblem(`--issuer must be an origin like https://auth.example.com (no path), not "${this.issuer}"`)
    }
    const startServer = await loadStartServer()
    const server = await startServer({
      dataDir: storeLocation(this.data, this.database),
      port,
      host: this.host,
      interval: seconds('--interval', this.interval),
      deviceTtl: seconds('--device-ttl', this.deviceTtl),
      processTokenTtl: seconds('--process-token-ttl', this.processTokenTtl),
      userTokenTtl: seconds('--user-token-ttl', this.userTokenTtl),
      refreshReuseSeconds: seconds('--refresh-reuse-seconds', this.refreshReuseSeconds, { allowZero: true }),
      corsOrigins: this.corsOrigins,
      tls: this.tlsCert !== undefined && this.tlsKey !== undefined ? { certFile: this.tlsCert, keyFile: this.tlsKey } : undefined,
      issuer: this.issuer,
      log: (line) => this.context.stderr.write(`${line}\n`),
    })
    this.out(`listening on ${server.address}`)
    if (server.url !== server.address) this.out(`issuer ${server.url}`)
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        resolve()
      }
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
    await server.close()
    return 0
  }
}

export class UsersAddCommand extends ServerCommand {
  static override paths = [['users', 'add']]
  static override usage = Command.Usage({
    category: 'Accounts',
    description: 'Create an account',
    details:
      'The password is read from standard input (one trailing newline is dropped), so it never shows in the process list or the shell history. The tier is what the account endpoint reports (default `free`).',
    examples: [['Add ada with a password from a variable', 'printf %s "$PW" | $0 users add --email ada@example.com --password-stdin --data ./auth-data']],
  })

  email = Option.String('--email', { required: true, description: 'Email address, the sign-in name' })
  passwordStdin = Option.Boolean('--password-stdin', false, { description: 'Read the password from standard input (required)' })
  tier = Option.String('--tier', 'free', { description: 'Subscription tier (default free)' })
  data = dataOption()
  database = databaseOption()

  protected async run(): Promise<number> {
    if (!this.passwordStdin) throw new UsageProblem('users add needs --password-stdin (the password is read from standard input)')
    const password = await readPassword(this.context.stdin)
    const { accountId } = await addAccount(storeLocation(this.data, this.database), this.email, password, this.tier)
    this.out(`added ${this.email.trim().toLowerCase()} (${accountId})`)
    return 0
  }
}

export class UsersListCommand extends ServerCommand {
  static override paths = [['users', 'list']]
  static override usage = Command.Usage({
    category: 'Accounts',
    description: 'List accounts, one a line: account id, email, tier, creation time',
    examples: [['List the accounts', '$0 users list --data ./auth-data']],
  })

  data = dataOption()
  database = databaseOption()

  protected async run(): Promise<number> {
    for (const user of await listUsers(storeLocation(this.data, this.database))) this.out([user.accountId, user.email, user.tier, user.createdAt].join('\t'))
    return 0
  }
}

export class UsersRemoveCommand extends ServerCommand {
  static override paths = [['users', 'remove']]
  static override usage = Command.Usage({
    category: 'Accounts',
    description: 'Remove an account; its tokens stop working at once',
    examples: [['Remove ada', '$0 users remove --email ada@example.com --data ./auth-data']],
  })

  email = Option.String('--email', { required: true, description: 'Email address of the account' })
  data = dataOption()
  database = databaseOption()

  protected async run(): Promise<number> {
    if (!(await removeUser(storeLocation(this.data, this.database), this.email))) throw new Error(`no account for ${this.email}`)
    this.out(`removed ${this.email.trim().toLowerCase()}`)
    return 0
  }
}

export class ApproveCommand extends ServerCommand {
  static override paths = [['approve']]
  static override usage = Command.Usage({
    category: 'Pairing',
    description: 'Approve a pending device login for an account, as the /device page would',
    details: 'Works while the server runs (same --data directory or --database). The code is case- and dash-insensitive.',
    examples: [['Approve code BCDF-GHJK for ada', '$0 approve BCDF-GHJK --email ada@example.com --data ./auth-data']],
  })

  code = Option.String({ name: 'CODE' })
  email = Option.String('--email', { required: true, description: 'The account that approves' })
  data = dataOption()
  database = databaseOption()

  protected async run(): Promise<number> {
    const decidePairing = await loadDecidePairing()
    const asked = await decidePairing(storeLocation(this.data, this.database), this.code, { approve: true, email: this.email })
    this.out(`approved ${describe(asked)} for ${this.email.trim().toLowerCase()}`)
    return 0
  }
}

export class DenyCommand extends ServerCommand {
  static override paths = [['deny']]
  static override usage = Command.Usage({
    category: 'Pairing',
    description: 'Deny a pending device login; the polling client gets access_denied',
    examples: [['Deny code BCDF-GHJK', '$0 deny BCDF-GHJK --data ./auth-data']],
  })

  code = Option.String({ name: 'CODE' })
  data = dataOption()
  database = databaseOption()

  protected async run(): Promise<number> {
    const decidePairing = await loadDecidePairing()
    const asked = await decidePairing(storeLocation(this.data, this.database), this.code, { approve: false })
    this.out(`denied ${describe(asked)}`)
    return 0
  }
}

function describe(asked: { processName?: string; hostname?: string }): string {
  const name = asked.processName ?? 'the request'
  return asked.hostname ? `${name} on ${asked.hostname}` : name
}
