// The HTML of the /device page. Stable hooks for tests and for anyone scripting the page:
//
//   every form        hidden input name="csrf"
//   sign-in           form#signin-form (POST /device/login): input#email[name=email],
//                     input#password[name=password], button#signin-submit; a code from
//                     ?user_code= rides along in hidden input name="user_code"
//   enter code        form#code-form (POST /device/verify): input#user_code[name=user_code],
//                     button#code-submit
//   confirm           #confirm-process (process name), #confirm-host (host name), both as the
//                     device reported them and labelled so; #confirm-requested-at (a <time>
//                     with datetime=ISO of the request), #confirm-address (the address the
//                     request came from, as the server saw it); #confirm-prefilled when the
//                     code came in the address (?user_code=);
//                     #confirm-code (the code, ABCD-WXYZ); form#approve-form with
//                     button#approve, form#deny-form with button#deny (POST /device/decide,
//                     name="decision" value="approve" | "deny", hidden name="user_code")
//   outcome           #outcome with data-outcome="approved" | "denied", text in #outcome-message
//   messages          p#error (role=alert, data-reason="wrong_code" | "expired" | "used" |
//                     "paused" | "not_verified" | "credentials" | "rate_limited" |
//                     "session" | "missing")
//   signed in as      #signed-in-as, form#signout-form (POST /device/logout) with button#signout
import type { DeviceRequest } from './device-approval.js'
import { escapeHtml, renderPage } from './page-layout.js'
import { PAGE_WORDS, type PageWords } from './page-words.js'
import type { Language } from '../http/languages.js'

export interface PageMessage {
  reason: string
  text: string
}

const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`

function errorBlock(message?: PageMessage): string {
  return message ? `<p class="message error" id="error" role="alert" data-reason="${escapeHtml(message.reason)}">${escapeHtml(message.text)}</p>` : ''
}

function accountBar(w: PageWords, email: string, csrf: string): string {
  return `<div class="account">
<span>${escapeHtml(w.signedInAs)} <strong id="signed-in-as">${escapeHtml(email)}</strong></span>
<form id="signout-form" method="post" action="/device/logout">${csrfField(csrf)}<button type="submit" id="signout" class="link">${escapeHtml(w.signOut)}</button></form>
</div>`
}

export function signInView(args: { csrf: string; email?: string; userCode?: string; message?: PageMessage; language?: Language }): string {
  const language = args.language ?? 'en'
  const w = PAGE_WORDS[language]
  return renderPage(
    w.signInTitle,
    `<h1>${escapeHtml(w.signInTitle)}</h1>
<p class="lead">${escapeHtml(w.signInLead)}</p>
${errorBlock(args.message)}
<form id="signin-form" method="post" action="/device/login" autocomplete="on">
${csrfField(args.csrf)}
${args.userCode ? `<input type="hidden" name="user_code" value="${escapeHtml(args.userCode)}">` : ''}
<label for="email">${escapeHtml(w.email)}</label>
<input type="email" id="email" name="email" autocomplete="username" required autofocus value="${escapeHtml(args.email ?? '')}">
<label for="password">${escapeHtml(w.password)}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="signin-submit">${escapeHtml(w.signIn)}</button>
</form>`,
    language,
  )
}

export function codeView(args: { csrf: string; email: string; userCode?: string; message?: PageMessage; language?: Language }): string {
  const language = args.language ?? 'en'
  const w = PAGE_WORDS[language]
  return renderPage(
    w.codeTitle,
    `<h1>${escapeHtml(w.codeHeading)}</h1>
<p class="lead">${escapeHtml(w.codeLead)}</p>
${errorBlock(args.message)}
<form id="code-form" method="post" action="/device/verify" autocomplete="off">
${csrfField(args.csrf)}
<label for="user_code">${escapeHtml(w.code)}</label>
<input type="text" id="user_code" name="user_code" placeholder="ABCD-WXYZ" maxlength="32" spellcheck="false" autocapitalize="characters" required autofocus value="${escapeHtml(args.userCode ?? '')}">
<button type="submit" id="code-submit">${escapeHtml(w.continue)}</button>
</form>
${accountBar(w, args.email, args.csrf)}`,
    language,
  )
}

/**
 * `2026-12-02 06:40:12 UTC`: the server's clock, for a browser that runs no script; the page's
 * script (page-layout.ts) shows it in the browser's own zone and language instead.
 */
const utc = (date: Date): string => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`

function ago(w: PageWords, seconds: number): string {
  if (seconds < 10) return w.justNow
  if (seconds < 120) return w.secondsAgo(seconds)
  if (seconds < 7200) return w.minutesAgo(Math.floor(seconds / 60))
  return w.hoursAgo(Math.floor(seconds / 3600))
}

function requestedAt(w: PageWords, at: number | undefined, now: Date): string {
  if (at === undefined) return `<span class="lead">${escapeHtml(w.unknown)}</span>`
  const when = new Date(at * 1000)
  return `<time datetime="${escapeHtml(when.toISOString())}" data-local>${escapeHtml(utc(when))}</time> <span class="lead">(${escapeHtml(ago(w, Math.max(0, Math.round(now.getTime() / 1000 - at))))})</span>`
}

export function confirmView(args: {
  csrf: string
  email: string
  userCode: string
  processName?: string
  hostname?: string
  request: DeviceRequest
  prefilled?: boolean
  now?: Date
  language?: Language
}): string {
  const language = args.language ?? 'en'
  const w = PAGE_WORDS[language]
  const notGiven = `<span class="lead">${escapeHtml(w.notGiven)}</span>`
  const reported = `<span class="source">${escapeHtml(w.reportedByDevice)}</span>`
  const hidden = `${csrfField(args.csrf)}<input type="hidden" name="user_code" value="${escapeHtml(args.userCode)}">`
  const prefilled = args.prefilled ? `<p class="message notice" id="confirm-prefilled">${escapeHtml(w.prefilled)}</p>` : ''
  return renderPage(
    w.confirmTitle,
    `<h1>${escapeHtml(w.confirmHeading)}</h1>
<p class="lead">${escapeHtml(w.confirmLead)}</p>
${prefilled}
<dl class="request">
<dt>${escapeHtml(w.program)} ${reported}</dt><dd id="confirm-process">${args.processName ? escapeHtml(args.processName) : notGiven}</dd>
<dt>${escapeHtml(w.machine)} ${reported}</dt><dd id="confirm-host">${args.hostname ? escapeHtml(args.hostname) : notGiven}</dd>
<dt>${escapeHtml(w.requested)}</dt><dd id="confirm-requested-at">${requestedAt(w, args.request.at, args.now ?? new Date())}</dd>
<dt>${escapeHtml(w.fromAddress)} <span class="source">${escapeHtml(w.asServerSaw)}</span></dt><dd id="confirm-address" class="code">${args.request.address ? escapeHtml(args.request.address) : `<span class="lead">${escapeHtml(w.unknown)}</span>`}</dd>
<dt>${escapeHtml(w.code)}</dt><dd id="confirm-code" class="code">${escapeHtml(args.userCode)}</dd>
<dt>${escapeHtml(w.account)}</dt><dd>${escapeHtml(args.email)}</dd>
</dl>
<div class="actions">
<form id="deny-form" method="post" action="/device/decide">${hidden}<button type="submit" id="deny" name="decision" value="deny" class="secondary">${escapeHtml(w.deny)}</button></form>
<form id="approve-form" method="post" action="/device/decide">${hidden}<button type="submit" id="approve" name="decision" value="approve">${escapeHtml(w.approve)}</button></form>
</div>
${accountBar(w, args.email, args.csrf)}`,
    language,
  )
}

export function outcomeView(args: { csrf: string; email: string; approved: boolean; processName?: string; hostname?: string; language?: Language }): string {
  const language = args.language ?? 'en'
  const w = PAGE_WORDS[language]
  const what = [args.processName, args.hostname && w.onHost(args.hostname)].filter(Boolean).join(language === 'en' ? ' ' : '')
  const subject = what || w.theProgram
  const body = args.approved
    ? `<h1 id="outcome" data-outcome="approved">${escapeHtml(w.connectedTitle)}</h1>
<p class="message success" id="outcome-message">${escapeHtml(w.connected(subject))}</p>`
    : `<h1 id="outcome" data-outcome="denied">${escapeHtml(w.deniedTitle)}</h1>
<p class="message error" id="outcome-message">${escapeHtml(w.denied(subject))}</p>`
  return renderPage(
    args.approved ? w.connectedTitle : w.deniedTitle,
    `${body}
<p><a href="/device">${escapeHtml(w.connectAnother)}</a></p>
${accountBar(w, args.email, args.csrf)}`,
    language,
  )
}
