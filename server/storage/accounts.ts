// Accounts with scrypt password hashes (node:crypto, a random salt per password). The stored
// form names its parameters, so they can be raised later without breaking old hashes.
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { withDatabase } from './database.js'
import { storableText, type Sql } from './sql.js'
import { withStore } from './store.js'

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>

const COST = { N: 16384, r: 8, p: 1 }
const KEY_LENGTH = 32
const MAXMEM = 64 * 1024 * 1024

export interface Account {
  accountId: string
  email: string
  tier: string
  createdAt: string
}

interface AccountRow {
  account_id: string
  email: string
  password_hash: string
  tier: string
  created_at: string
}

const EMAIL = /^[^\s@]+@[^\s@]+$/

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

export function isPlausibleEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email)
}

function hashPassword(password: string): string {
  const salt = randomBytes(16)
  const key = scryptSync(password, salt, KEY_LENGTH, { ...COST, maxmem: MAXMEM })
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$')
  if (kind !== 'scrypt' || !salt || !key) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  })
  return timingSafeEqual(actual, expected)
}

// Checked against this when the email is unknown, so an unknown email costs as much time as
// a wrong password and the two cannot be told apart by timing.
const DECOY_HASH = hashPassword(randomBytes(16).toString('hex'))

function toAccount(row: AccountRow): Account {
  return { accountId: row.account_id, email: row.email, tier: row.tier, createdAt: row.created_at }
}

function newAccount(email: string, password: string, tier: string): { account: Account; passwordHash: string } {
  const normalized = normalizeEmail(email)
  if (!isPlausibleEmail(normalized)) throw new Error(`not an email address: ${email}`)
  if (password.length === 0) throw new Error('the password is empty')
  const account: Account = {
    accountId: `acct_${randomBytes(12).toString('base64url')}`,
    email: normalized,
    tier,
    createdAt: new Date().toISOString(),
  }
  return { account, passwordHash: hashPassword(password) }
}

const INSERT = 'INSERT INTO accounts (account_id, email, password_hash, tier, created_at) VALUES (?, ?, ?, ?, ?)'

export async function insertAccount(sql: Sql, email: string, password: string, tier = 'free'): Promise<Account> {
  const { account, passwordHash } = newAccount(email, password, tier)
  if (await findAccountByEmail(sql, account.email)) throw new Error(`an account for ${account.email} already exists`)
  try {
    await sql.run(INSERT, [account.accountId, account.email, passwordHash, account.tier, account.createdAt])
  } catch (error) {
    // Added at the same moment through another process: the unique email decides.
    if (await findAccountByEmail(sql, account.email)) throw new Error(`an account for ${account.email} already exists`)
    throw error
  }
  return account
}

export async function findAccountByEmail(sql: Sql, email: string): Promise<Account | undefined> {
  if (!storableText(email)) return undefined
  const row = await sql.get<AccountRow>('SELECT * FROM accounts WHERE email = ?', [normalizeEmail(email)])
  return row && toAccount(row)
}

export async function findAccountById(sql: Sql, accountId: string): Promise<Account | undefined> {
  const row = await sql.get<AccountRow>('SELECT * FROM accounts WHERE account_id = ?', [accountId])
  return row && toAccount(row)
}

/** The account when the email and password match, otherwise undefined (unknown email or wrong password alike). */
export async function checkPassword(sql: Sql, email: string, password: string): Promise<Account | undefined> {
  const row = storableText(email) ? await sql.get<AccountRow>('SELECT * FROM accounts WHERE email = ?', [normalizeEmail(email)]) : undefined
  const ok = await passwordMatches(password, row?.password_hash ?? DECOY_HASH)
  return ok && row ? toAccount(row) : undefined
}

/** Adds an account to a data directory, at once (SQLite only); `addAccount` takes any store. */
export function addUser(dataDir: string, email: string, password: string, tier = 'free'): { accountId: string } {
  return withDatabase(dataDir, (db) => {
    const { account, passwordHash } = newAccount(email, password, tier)
    if (db.prepare('SELECT 1 FROM accounts WHERE email = ?').get(account.email)) throw new Error(`an account for ${account.email} already exists`)
    db.prepare(INSERT).run(account.accountId, account.email, passwordHash, account.tier, account.createdAt)
    return { accountId: account.accountId }
  })
}

/** `location`: a data directory or a `postgres://` address. */
export async function addAccount(location: string, email: string, password: string, tier?: string): Promise<{ accountId: string }> {
  const account = await withStore(location, ({ sql }) => insertAccount(sql, email, password, tier))
  return { accountId: account.accountId }
}

export function listUsers(location: string): Promise<Account[]> {
  return withStore(location, async ({ sql }) => (await sql.all<AccountRow>('SELECT * FROM accounts ORDER BY created_at, email')).map(toAccount))
}

export function removeUser(location: string, email: string): Promise<boolean> {
  return withStore(location, async ({ sql }) => {
    const account = await findAccountByEmail(sql, email)
    if (!account) return false
    await sql.transaction(async (tx) => {
      await tx.run('DELETE FROM accounts WHERE account_id = ?', [account.accountId])
      await tx.run('DELETE FROM process_tokens WHERE account_id = ?', [account.accountId])
    })
    return true
  })
}
