// The one storage interface the server's modules speak: a few async calls over SQL that both
// stores understand. SQLite (one file under --data, better-sqlite3, synchronous underneath) is
// the default; PostgreSQL (--database postgres://…) lets several server processes share one
// state. Statements are written once with `?` placeholders; where the dialects differ a module
// asks `sql.dialect`.
// Arrays are for PostgreSQL's array parameters (`?::text[]`), which SQLite has no form of.
export type SqlValue = string | number | null | readonly string[] | readonly number[]

export interface Sql {
  readonly dialect: 'sqlite' | 'postgres'
  all<T>(statement: string, params?: SqlValue[]): Promise<T[]>
  get<T>(statement: string, params?: SqlValue[]): Promise<T | undefined>
  /** Returns the number of rows changed. */
  run(statement: string, params?: SqlValue[]): Promise<number>
  /**
   * One transaction. `lockKeys` serialize transactions that name the same key across every
   * process on the store (PostgreSQL advisory locks; SQLite takes its write lock up front).
   */
  transaction<T>(job: (tx: Sql) => Promise<T>, lockKeys?: string[]): Promise<T>
  close(): Promise<void>
}

/**
 * Whether text can be stored, and so whether looking it up can find anything: PostgreSQL text
 * holds no NUL, and a statement given one fails instead of finding nothing.
 */
export const storableText = (value: string): boolean => !value.includes('\u0000')

/** The greater of two values, in the store's own words. */
export const greatest = (sql: Sql, a: string, b: string): string => (sql.dialect === 'postgres' ? `GREATEST(${a}, ${b})` : `MAX(${a}, ${b})`)

export const isDatabaseUrl = (location: string): boolean => /^postgres(ql)?:\/\//i.test(location)
