// The one SQLite file under the data directory. WAL mode lets the CLI (`users add`, `approve`)
// write while a running server reads and writes the same file; busy_timeout makes a writer
// wait for the other one instead of failing with SQLITE_BUSY.
import Database from 'better-sqlite3'
import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Sql, SqlValue } from './sql.js'

export type Db = Database.Database

export const DATABASE_FILE = 'omicos-auth.sqlite'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  account_id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  tier TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oidc_models (
  model TEXT NOT NULL,
  id TEXT NOT NULL,
  payload TEXT NOT NULL,
  grant_id TEXT,
  user_code TEXT,
  uid TEXT,
  expires_at INTEGER,
  consumed INTEGER,
  PRIMARY KEY (model, id)
);
CREATE INDEX IF NOT EXISTS oidc_models_grant ON oidc_models (grant_id);
CREATE INDEX IF NOT EXISTS oidc_models_user_code ON oidc_models (model, user_code);
CREATE INDEX IF NOT EXISTS oidc_models_uid ON oidc_models (model, uid);
CREATE INDEX IF NOT EXISTS oidc_models_expiry ON oidc_models (expires_at);
CREATE TABLE IF NOT EXISTS process_tokens (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  process_id TEXT NOT NULL,
  name TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS process_tokens_owner ON process_tokens (account_id, process_id);
CREATE TABLE IF NOT EXISTS device_pacing (
  device_code_hash TEXT PRIMARY KEY,
  interval_s INTEGER NOT NULL,
  last_poll_at INTEGER,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS page_sessions (
  id_hash TEXT PRIMARY KEY,
  csrf TEXT NOT NULL,
  account_id TEXT,
  verified_code TEXT,
  expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS code_guesses (
  key TEXT PRIMARY KEY,
  wrong_codes INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  paused_until INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS code_guesses_expiry ON code_guesses (expires_at);
CREATE TABLE IF NOT EXISTS sign_in_failures (
  email_hash TEXT NOT NULL,
  failed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_failures_email ON sign_in_failures (email_hash, failed_at);
CREATE INDEX IF NOT EXISTS sign_in_failures_age ON sign_in_failures (failed_at);
`

// Columns added after a data directory may already have been created. (page_sessions of older
// files also keep wrong_codes and paused_until, now unused: the pause moved to code_guesses.)
const ADDED_COLUMNS: Array<[table: string, column: string, definition: string]> = [
  ['page_sessions', 'verified_code', 'TEXT'],
  ['device_pacing', 'last_early', 'INTEGER NOT NULL DEFAULT 0'],
  ['process_tokens', 'grant_id', 'TEXT'],
]

function addMissingColumns(db: Db): void {
  for (const [table, column, definition] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`)
  }
}

export function openDatabase(dataDir: string): Db {
  if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, DATABASE_FILE)
  const fresh = !existsSync(file)
  const db = new Database(file)
  if (fresh) chmodSync(file, 0o600)
  db.pragma('journal_mode = WAL')
  db.pragma('busy_timeout = 5000')
  db.pragma('synchronous = NORMAL')
  db.exec(SCHEMA)
  addMissingColumns(db)
  return db
}

/** Opens the database for one short job (a CLI command) and closes it whatever happens. */
export function withDatabase<T>(dataDir: string, job: (db: Db) => T): T {
  const db = openDatabase(dataDir)
  try {
    return job(db)
  } finally {
    db.close()
  }
}

/**
 * The database behind the async storage interface. better-sqlite3 answers at once; a
 * transaction takes the write lock up front (BEGIN IMMEDIATE, so another process waits on
 * busy_timeout rather than failing halfway) and transactions of this process run one at a time (so a job must not start another).
 */
export function sqliteSql(db: Db): Sql {
  const statements = new Map<string, Database.Statement>()
  const prepare = (statement: string): Database.Statement => {
    let prepared = statements.get(statement)
    if (!prepared) {
      prepared = db.prepare(statement)
      statements.set(statement, prepared)
    }
    return prepared
  }
  let queue: Promise<unknown> = Promise.resolve()
  const sql: Sql = {
    dialect: 'sqlite',
    all: async <T>(statement: string, params: SqlValue[] = []) => prepare(statement).all(...params) as T[],
    get: async <T>(statement: string, params: SqlValue[] = []) => prepare(statement).get(...params) as T | undefined,
    run: async (statement: string, params: SqlValue[] = []) => prepare(statement).run(...params).changes,
    transaction<T>(job: (tx: Sql) => Promise<T>): Promise<T> {
      const result = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE')
        try {
          const value = await job(sql)
          db.exec('COMMIT')
          return value
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK')
          throw error
        }
      })
      queue = result.catch(() => {})
      return result
    },
    async close() {
      db.close()
    },
  }
  return sql
}
