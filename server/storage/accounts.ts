// Accounts with scrypt password hashes (node:crypto, a random salt per password). The stored
// form names its parameters, so they can be raised later without breaking old hashes.
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'
import { withDatabase, type Db } from './database.js'

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>

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
    N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM,
  })
  return timingSafeEqual(actual, expected)
}

// Checked against this when the email is unknown, so an unknown email costs as much time as
// a wrong password and the two cannot be told apart by timing.
const DECOY_HASH = hashPassword(randomBytes(16).toString('hex'))

function toAccount(row: AccountRow): Account {
  return { accountId: row.account_id, email: row.email, tier: row.tier, createdAt: row.created_at }
}

export function insertAccount(db: Db, email: string, password: string, tier = 'free'): Account {
  const normalized = normalizeEmail(email)
  if (!isPlausibleEmail(normalized)) throw new Error(`not an email address: ${email}`)
  if (password.length === 0) throw new Error('the password is empty')
  if (findAccountByEmail(db, normalized)) throw new Error(`an account for ${normalized} already exists`)
  const account: Account = {
    accountId: `acct_${randomBytes(12).toString('base64url')}`,
    email: normalized,
    tier,
    createdAt: new Date().toISOString(),
  }
  db.prepare('INSERT INTO accounts (account_id, email, password_hash, tier, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(account.accountId, account.email, hashPassword(password), account.tier, account.createdAt)
  return account
}

export function findAccountByEmail(db: Db, email: string): Account | undefined {
  const row = db.prepare('SELECT * FROM accounts WHERE email = ?').get(normalizeEmail(email)) as AccountRow | undefined
  return row && toAccount(row)
}

export function findAccountById(db: Db, accountId: string): Account | undefined {
  const row = db.prepare('SELECT * FROM accounts WHERE account_id = ?').get(accountId) as AccountRow | undefined
  return row && toAccount(row)
}

/** The account when the email and password match, otherwise undefined (unknown email or wrong password alike). */
export async function checkPassword(db: Db, email: string, password: string): Promise<Account | undefined> {
  const row = db.prepare('SELECT * FROM accounts WHERE email = ?').get(normalizeEmail(email)) as AccountRow | undefined
  const ok = await passwordMatches(password, row?.password_hash ?? DECOY_HASH)
  return ok && row ? toAccount(row) : undefined
}

export function addUser(dataDir: string, email: string, password: string, tier?: string): { accountId: string } {
  const account = withDatabase(dataDir, (db) => insertAccount(db, email, password, tier))
  return { accountId: account.accountId }
}

export function listUsers(dataDir: string): Account[] {
  return withDatabase(dataDir, (db) =>
    (db.prepare('SELECT * FROM accounts ORDER BY created_at, email').all() as AccountRow[]).map(toAccount))
}

export function removeUser(dataDir: string, email: string): boolean {
  return withDatabase(dataDir, (db) => {
    const account = findAccountByEmail(db, email)
    if (!account) return false
    db.transaction(() => {
      db.prepare('DELETE FROM accounts WHERE account_id = ?').run(account.accountId)
      db.prepare('DELETE FROM process_tokens WHERE account_id = ?').run(account.accountId)
    })()
    return true
  })
}
