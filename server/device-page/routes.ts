// The verification page of RFC 8628 at /device, as a few small routes in front of the
// library's own /device: sign in with email and password, enter the code, see which program
// and machine asked, approve or deny. The decision goes through device-approval.ts onto the
// library's DeviceCode, so the token endpoint answers the polling client by itself.
// Element ids and form names are listed at the top of views.ts.
//
// Both routes that take a code (/device/verify and /device/decide) go through one lookup,
// checkCode, which applies the RFC 8628 §5.1 pause (code-guesses.ts, per account and per
// address). /device/decide then acts only on the code this session verified and was shown.
import { timingSafeEqual } from 'node:crypto'
import type { Context, Middleware } from 'koa'
import { checkPassword, findAccountById, isPlausibleEmail, type Account } from '../storage/accounts.js'
import { createCodeGuesses, guessKeys, type CodeGuesses } from './code-guesses.js'
import type { Sql } from '../storage/sql.js'
import { approveDeviceCode, denyDeviceCode, findPendingDeviceCode, type PendingLookup } from './device-approval.js'
import { codeView, confirmView, outcomeView, signInView, type PageMessage } from './views.js'
import { RouteError } from '../http/http-errors.js'
import { renderErrorPage, SCRIPT_SOURCE } from './page-layout.js'
import { PAGE_WORDS } from './page-words.js'
import { languageOf, type Language } from '../http/languages.js'
import { createPageSessions, SESSION_TTL_MS, type PageSession, type PageSessions } from './page-sessions.js'
import { DEVICE_PAGE_PATH, type OmicosProvider } from '../oauth/provider.js'
import { readBody } from '../http/read-body.js'
import type { SignInLimiter } from '../oauth/sign-in-limiter.js'

export interface DevicePageOptions {
  provider: OmicosProvider
  sql: Sql
  limiter: SignInLimiter
}

const COOKIE = 'omicos_device_session'

const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src ${SCRIPT_SOURCE}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  // The page is in the language the browser asks for.
  Vary: 'Accept-Language',
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

interface PageContext {
  ctx: Context
  options: DevicePageOptions
  sessions: PageSessions
  guesses: CodeGuesses
  session: PageSession
  /** the browser's language (Accept-Language) */
  language: Language
}

function html(ctx: Context, body: string, status = 200): void {
  ctx.status = status
  ctx.type = 'html'
  ctx.body = body
}

function setSessionCookie(ctx: Context, value: string): void {
  ctx.cookies.set(COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    path: DEVICE_PAGE_PATH,
    secure: ctx.secure,
    overwrite: true,
    maxAge: SESSION_TTL_MS,
  })
}

function loadSession(ctx: Context, sessions: PageSessions): Promise<PageSession | undefined> {
  return sessions.find(ctx.cookies.get(COOKIE))
}

async function sessionOrNew(ctx: Context, sessions: PageSessions): Promise<PageSession> {
  const existing = await loadSession(ctx, sessions)
  if (existing) return existing
  const { cookieValue, session } = await sessions.create()
  setSessionCookie(ctx, cookieValue)
  return session
}

function csrfMatches(session: PageSession, sent: unknown): boolean {
  if (typeof sent !== 'string') return false
  const a = Buffer.from(session.csrf)
  const b = Buffer.from(sent)
  return a.length === b.length && timingSafeEqual(a, b)
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '')

async function signedInAccount(page: PageContext): Promise<Account | undefined> {
  if (!page.session.accountId) return undefined
  const account = await findAccountById(page.options.sql, page.session.accountId)
  if (!account) {
    page.session.accountId = null
    await page.sessions.save(page.session)
  }
  return account
}

function pausedMessage(language: Language, waitMs: number): PageMessage {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  return { reason: 'paused', text: PAGE_WORDS[language].paused(seconds) }
}

async function pauseMessage(page: PageContext, account: Account): Promise<PageMessage | undefined> {
  const waitMs = await page.guesses.pausedFor(guessKeys(account.accountId, page.ctx.ip))
  return waitMs > 0 ? pausedMessage(page.language, waitMs) : undefined
}

type CodeCheck = PendingLookup | { kind: 'paused'; waitMs: number } | { kind: 'missing' }

// The one way a typed code is looked up on the page: refused while the account or the address
// is paused, counted as a wrong guess when no such code exists, and pausing on the 5th.
async function checkCode(page: PageContext, account: Account, entered: string): Promise<CodeCheck> {
  if (!entered.trim()) return { kind: 'missing' }
  const keys = guessKeys(account.accountId, page.ctx.ip)
  const start = await page.guesses.begin(keys)
  if (!start.ok) return { kind: 'paused', waitMs: start.waitMs }
  let lookup: PendingLookup
  try {
    lookup = await findPendingDeviceCode(page.options.provider, entered)
  } catch (error) {
    await page.guesses.hit(keys)
    throw error
  }
  if (lookup.kind !== 'not_found') {
    await page.guesses.hit(keys)
    return lookup
  }
  const pausedMs = await page.guesses.miss(keys)
  return pausedMs > 0 ? { kind: 'paused', waitMs: pausedMs } : lookup
}

function checkFailure(language: Language, check: Exclude<CodeCheck, { kind: 'pending' }>): { message: PageMessage; status: number } {
  const w = PAGE_WORDS[language]
  if (check.kind === 'paused') return { message: pausedMessage(language, check.waitMs), status: 429 }
  if (check.kind === 'missing') return { message: { reason: 'missing', text: w.missingCode }, status: 400 }
  const text = { not_found: w.wrongCode, expired: w.expiredCode, used: w.usedCode }[check.kind]
  return { message: { reason: check.kind === 'not_found' ? 'wrong_code' : check.kind, text }, status: 400 }
}

function setPaused(ctx: Context, check: CodeCheck): void {
  if (check.kind === 'paused') ctx.set('Retry-After', String(Math.max(1, Math.ceil(check.waitMs / 1000))))
}

async function showStart(page: PageContext, userCode?: string, message?: PageMessage, status = 200): Promise<void> {
  const { ctx, session, language } = page
  const account = await signedInAccount(page)
  if (!account) {
    html(ctx, signInView({ csrf: session.csrf, userCode, message, language }), status)
    return
  }
  html(ctx, codeView({ csrf: session.csrf, email: account.email, userCode, message: message ?? (await pauseMessage(page, account)), language }), status)
}

async function login(page: PageContext, form: Record<string, unknown>): Promise<void> {
  const { ctx, options, sessions, language } = page
  const w = PAGE_WORDS[language]
  const email = text(form.email).trim()
  const password = text(form.password)
  const userCode = text(form.user_code) || undefined
  if (!email || !password || !isPlausibleEmail(email)) {
    html(ctx, signInView({ csrf: page.session.csrf, email, userCode, message: { reason: 'missing', text: w.missingCredentials }, language }), 400)
    return
  }
  const wait = await options.limiter.retryAfter(email)
  if (wait) {
    ctx.set('Retry-After', String(wait))
    html(ctx, signInView({ csrf: page.session.csrf, email, userCode, message: { reason: 'rate_limited', text: w.signInsLimited(wait) }, language }), 429)
    return
  }
  const account = await checkPassword(options.sql, email, password)
  if (!account) {
    const blocked = await options.limiter.fail(email)
    const message = blocked ? { reason: 'rate_limited', text: w.signInsLimited(blocked) } : { reason: 'credentials', text: w.wrongCredentials }
    html(ctx, signInView({ csrf: page.session.csrf, email, userCode, message, language }), blocked ? 429 : 401)
    return
  }
  await options.limiter.succeed(email)
  // A new session id at sign-in, so an id planted before it is worth nothing after it.
  const { cookieValue, session } = await sessions.create()
  session.accountId = account.accountId
  await sessions.save(session)
  await sessions.destroy(page.session)
  setSessionCookie(ctx, cookieValue)
  ctx.status = 303
  ctx.redirect(userCode ? `${DEVICE_PAGE_PATH}?user_code=${encodeURIComponent(userCode)}` : DEVICE_PAGE_PATH)
}

// A code typed into the form, or one that came in the address (verification_uri_complete,
// ?user_code=): either way it is counted as a guess, and a right one leads to the review, never
// straight to a decision.
async function verify(page: PageContext, form: Record<string, unknown>, account: Account, prefilled = false): Promise<void> {
  const { ctx, session, sessions, language } = page
  const entered = text(form.user_code)
  const check = await checkCode(page, account, entered)
  if (check.kind !== 'pending') {
    const { message, status } = checkFailure(language, check)
    setPaused(ctx, check)
    html(ctx, codeView({ csrf: session.csrf, email: account.email, userCode: check.kind === 'missing' ? undefined : entered, message, language }), status)
    return
  }
  // The code shown for confirmation is the only one /device/decide will take from this session.
  session.verifiedCode = check.code.jti
  await sessions.save(session)
  html(
    ctx,
    confirmView({
      csrf: session.csrf,
      email: account.email,
      userCode: check.userCode,
      processName: check.processName,
      hostname: check.hostname,
      request: check.request,
      prefilled,
      language,
    }),
  )
}

async function decide(page: PageContext, form: Record<string, unknown>, account: Account): Promise<void> {
  const { ctx, session, sessions, options, language } = page
  const decision = text(form.decision)
  if (decision !== 'approve' && decision !== 'deny') throw new RouteError(400, 'invalid_request', 'decision must be approve or deny')
  const check = await checkCode(page, account, text(form.user_code))
  if (check.kind !== 'pending') {
    const { message, status } = checkFailure(language, check)
    setPaused(ctx, check)
    html(ctx, codeView({ csrf: session.csrf, email: account.email, message, language }), status)
    return
  }
  if (!session.verifiedCode || session.verifiedCode !== check.code.jti) {
    // A real code, but not the one this session entered and was shown: enter it first.
    html(ctx, codeView({ csrf: session.csrf, email: account.email, message: { reason: 'not_verified', text: PAGE_WORDS[language].notVerified }, language }), 400)
    return
  }
  session.verifiedCode = null
  await sessions.save(session)
  if (decision === 'approve') await approveDeviceCode(options.provider, check.code, account.accountId)
  else await denyDeviceCode(check.code)
  html(
    ctx,
    outcomeView({ csrf: session.csrf, email: account.email, approved: decision === 'approve', processName: check.processName, hostname: check.hostname, language }),
  )
}

const POST_ROUTES = new Set(['/device/login', '/device/logout', '/device/verify', '/device/decide'])

export function devicePage(options: DevicePageOptions): Middleware {
  const sessions = createPageSessions(options.sql)
  const guesses = createCodeGuesses(options.sql)
  return async (rawCtx, next) => {
    const ctx = rawCtx as Context
    const isPage = ctx.path === DEVICE_PAGE_PATH || ctx.path === `${DEVICE_PAGE_PATH}/`
    if (!isPage && !(ctx.method === 'POST' && POST_ROUTES.has(ctx.path))) return next()
    ctx.set(SECURITY_HEADERS)
    const language = languageOf(ctx.get('accept-language'))
    if (isPage && ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      // The library's own code entry (POST /device) stays closed: codes are typed only where
      // checkCode counts them. (It could not be used anyway: its xsrf secret is handed out only
      // by its GET /device, which this page answers instead.)
      ctx.set('Allow', 'GET, HEAD')
      html(ctx, renderErrorPage('invalid_request', `${ctx.method} is not supported on ${ctx.path}`), 405)
      return
    }
    try {
      if (ctx.method !== 'POST') {
        const session = await sessionOrNew(ctx, sessions)
        const userCode = typeof ctx.query.user_code === 'string' ? ctx.query.user_code.slice(0, 32) : undefined
        const page: PageContext = { ctx, options, sessions, guesses, session, language }
        // Signed in with the code in the address: no need to type it again, the review comes next.
        const account = userCode?.trim() && ctx.method === 'GET' ? await signedInAccount(page) : undefined
        if (account) await verify(page, { user_code: userCode }, account, true)
        else await showStart(page, userCode)
        return
      }
      const form = await readBody(ctx, ['form'])
      const existing = await loadSession(ctx, sessions)
      if (!existing || !csrfMatches(existing, form.csrf)) {
        // An expired session or a forged form: start over with a fresh session and form.
        const session = existing ?? (await sessionOrNew(ctx, sessions))
        await showStart({ ctx, options, sessions, guesses, session, language }, undefined, { reason: 'session', text: PAGE_WORDS[language].formExpired }, 403)
        return
      }
      const page: PageContext = { ctx, options, sessions, guesses, session: existing, language }
      if (ctx.path === '/device/login') return await login(page, form)
      if (ctx.path === '/device/logout') {
        existing.accountId = null
        existing.verifiedCode = null
        await sessions.save(existing)
        ctx.status = 303
        ctx.redirect(DEVICE_PAGE_PATH)
        return
      }
      const account = await signedInAccount(page)
      if (!account) {
        await showStart(page, text(form.user_code) || undefined, { reason: 'session', text: PAGE_WORDS[language].signInFirst }, 401)
        return
      }
      if (ctx.path === '/device/verify') await verify(page, form, account)
      else await decide(page, form, account)
    } catch (error) {
      if (!(error instanceof RouteError)) throw error
      html(ctx, renderErrorPage(error.error, error.description), error.status)
    }
  }
}
