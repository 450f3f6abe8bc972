// Where the server keeps its state: a data directory (SQLite, the default) or a PostgreSQL
// database named by its address. Everything else takes the store's Sql and keys and does not
// know which one it is.
import { openDatabase, sqliteSql } from './database.js'
import { loadOrCreateKeys, loadOrCreateSharedKeys, type ServerKeys } from './keys.js'
import { isDatabaseUrl, type Sql } from './sql.js'

export interface Store {
  sql: Sql
  keys: ServerKeys
  close(): Promise<void>
}

/** `location` is a data directory, or a `postgres://` address. */
export async function openStore(location: string): Promise<Store> {
  if (isDatabaseUrl(location)) {
    // Loaded only when asked for: a server on a data directory never loads the driver.
    const { openPostgres } = await import('./postgres.js')
    const sql = await openPostgres(location)
    try {
      return { sql, keys: await loadOrCreateSharedKeys(sql), close: () => sql.close() }
    } catch (error) {
      await sql.close().catch(() => {})
      throw error
    }
  }
  const db = openDatabase(location)
  try {
    const sql = sqliteSql(db)
    return { sql, keys: loadOrCreateKeys(location), close: () => sql.close() }
  } catch (error) {
    db.close()
    throw error
  }
}

/** Opens the store for one short job (a CLI command) and closes it whatever happens. */
export async function withStore<T>(location: string, job: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(location)
  try {
    return await job(store)
  } finally {
    await store.close()
  }
}
