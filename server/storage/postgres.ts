// PostgreSQL as the store (`--database postgres://…`), for more than one server process on one
// state. The schema is created and migrated here, under an advisory lock so that instances
// starting together do it once. Millisecond times are BIGINT, read back as numbers.
import pg from 'pg'
import type { Sql, SqlValue } from './sql.js'

const MIGRATION_LOCK = 'omicos-auth-server schema'

// Each entry runs once, in order, recorded in schema_migrations.
const MIGRATIONS: string[] = [
  `
CREATE TABLE accounts (
  account_id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  tier TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE oidc_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at BIGINT,
  consumed BIGINT,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_models_grant ON oidc_models (grant_id);
CREATE INDEX oidc_models_user_code ON oidc_models (model, user_code);
CREATE INDEX oidc_models_uid ON oidc_models (model, uid);
CREATE INDEX oidc_models_expiry ON oidc_models (expires_at);
CREATE TABLE process_tokens (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  process_id TEXT NOT NULL,
  name TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX process_tokens_owner ON process_tokens (account_id, process_id);
CREATE TABLE device_pacing (
  device_code_hash TEXT PRIMARY KEY,
  interval_s INTEGER NOT NULL,
  last_poll_at BIGINT,
  expires_at BIGINT NOT NULL,
  last_early INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE page_sessions (
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  account_id TEXT,
  verified_code TEXT,
  expires_at BIGINT NOT NULL
);
CREATE TABLE code_guesses (
  key TEXT PRIMARY KEY,
  wrong_codes INTEGER NOT NULL,
  window_start BIGINT NOT NULL,
  paused_until BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX code_guesses_expiry ON code_guesses (expires_at);
CREATE TABLE sign_in_failures (
  email_hash TEXT NOT NULL,
  failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email_hash, failed_at);
CREATE INDEX sign_in_failures_age ON sign_in_failures (failed_at);
CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  // A process token ends with the grant of the user token that registered it (process-tokens.ts).
  `ALTER TABLE process_tokens ADD COLUMN grant_id TEXT;`,
]

const NUMERIC_TYPES = new Set([20 /* int8 */, 1700 /* numeric */])

function placeholders(statement: string): string {
  let n = 0
  return statement.replace(/\?/g, () => `$${++n}`)
}

// Each statement the server runs is a named prepared statement: PostgreSQL parses and plans it
// once per connection instead of once per request (a device poll runs two). The server's
// statements are a fixed set; past MAX_NAMED, a statement runs unnamed.
const MAX_NAMED = 500
type Statements = Map<string, { name: string; text: string }>

const queryConfig = (statements: Statements, statement: string, values: SqlValue[]): pg.QueryConfig => {
  let known = statements.get(statement)
  if (!known) {
    if (statements.size >= MAX_NAMED) return { text: placeholders(statement), values }
    known = { name: `omicos_${statements.size}`, text: placeholders(statement) }
    statements.set(statement, known)
  }
  return { ...known, values }
}

type Query = (config: pg.QueryConfig) => Promise<pg.QueryResult>

function on(query: Query, statements: Statements, transaction: Sql['transaction'], close: Sql['close']): Sql {
  const run = (statement: string, params: SqlValue[]) => query(queryConfig(statements, statement, params))
  return {
    dialect: 'postgres',
    all: async <T>(statement: string, params: SqlValue[] = []) => (await run(statement, params)).rows as T[],
    get: async <T>(statement: string, params: SqlValue[] = []) => (await run(statement, params)).rows[0] as T | undefined,
    run: async (statement: string, params: SqlValue[] = []) => (await run(statement, params)).rowCount ?? 0,
    transaction,
    close,
  }
}

// Every statement here is prepared once per connection and reaches its rows by key. Two settings,
// made once on each connection before its first statement, keep that cheap at any size:
// - plan_cache_mode: left to choose, PostgreSQL plans a statement with array parameters (the
//   batched device polls) again on every run, which measured as half of its work per poll;
// - enable_seqscan off: a plan kept for the life of a connection may have been made while the
//   tables were empty, when scanning them looks cheapest, and would go on scanning them whole on
//   every run once they have grown (measured: the batched poll statement scanning 3,000 pacing
//   rows for two polls). With scans priced out, the planner takes the index or row id; a
//   statement with no other way (an expiry sweep) still scans.
// Start-up options would save the round trip, but they replace PGOPTIONS and poolers such as
// PgBouncer refuse them; a server that refuses the settings (older than 12) only loses the gain.
const planned = new WeakSet<pg.PoolClient>()

async function checkout(pool: pg.Pool): Promise<pg.PoolClient> {
  const client = await pool.connect()
  if (!planned.has(client)) {
    planned.add(client)
    await client.query("SELECT set_config('plan_cache_mode', 'force_generic_plan', false), set_config('enable_seqscan', 'off', false)").catch(() => {})
  }
  return client
}

// As pg's own pool.query: a connection whose query failed is closed rather than reused.
async function onPool(pool: pg.Pool, config: pg.QueryConfig): Promise<pg.QueryResult> {
  const client = await checkout(pool)
  try {
    const result = await client.query(config)
    client.release()
    return result
  } catch (error) {
    client.release(error as Error)
    throw error
  }
}

async function inTransaction<T>(pool: pg.Pool, job: (client: pg.PoolClient) => Promise<T>, lockKeys: string[]): Promise<T> {
  const client = await checkout(pool)
  try {
    await client.query('BEGIN')
    try {
      // Sorted, so two transactions that lock the same keys take them in the same order.
      for (const key of [...new Set(lockKeys)].sort()) await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key])
      const result = await job(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    }
  } finally {
    client.release()
  }
}

export async function openPostgres(url: string): Promise<Sql> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        NUMERIC_TYPES.has(oid) ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  // An idle connection the database dropped: the next query takes a new one.
  pool.on('error', () => {})
  const statements: Statements = new Map()
  const close = async () => {
    await pool.end()
  }
  const transaction: Sql['transaction'] = (job, lockKeys = []) =>
    inTransaction(
      pool,
      (client) => {
        // Inside a transaction a nested one is the same one.
        const tx: Sql = on(
          (config) => client.query(config),
          statements,
          (inner) => inner(tx),
          close,
        )
        return job(tx)
      },
      lockKeys,
    )
  try {
    await inTransaction(
      pool,
      async (client) => {
        await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())')
        const { rows } = await client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations')
        for (let version = (rows[0]?.version ?? 0) + 1; version <= MIGRATIONS.length; version++) {
          await client.query(MIGRATIONS[version - 1]!)
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version])
        }
      },
      [MIGRATION_LOCK],
    )
  } catch (error) {
    await pool.end().catch(() => {})
    throw new Error(`cannot use the PostgreSQL database: ${(error as Error).message}`)
  }
  return on((config) => onPool(pool, config), statements, transaction, close)
}
