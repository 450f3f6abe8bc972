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

export interface PageMessage {
  reason: string
  text: string
}

const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`

function errorBlock(message?: PageMessage): string {
  return message ? `<p class="message error" id="error" role="alert" data-reason="${escapeHtml(message.reason)}">${escapeHtml(message.text)}</p>` : ''
}

function accountBar(email: string, csrf: string): string {
  return `<div class="account">
<span>Signed in as <strong id="signed-in-as">${escapeHtml(email)}</strong></span>
<form id="signout-form" method="post" action="/device/logout">${csrfField(csrf)}<button type="submit" id="signout" class="link">Sign out</button></form>
</div>`
}

export function signInView(args: { csrf: string; email?: string; userCode?: string; message?: PageMessage }): string {
  return renderPage('Sign in to connect a device', `<h1>Sign in to connect a device</h1>
<p class="lead">A program on one of your machines asked to use your omicOS account. Sign in to review the request.</p>
${errorBlock(args.message)}
<form id="signin-form" method="post" action="/device/login" autocomplete="on">
${csrfField(args.csrf)}
${args.userCode ? `<input type="hidden" name="user_code" value="${escapeHtml(args.userCode)}">` : ''}
<label for="email">Email</label>
<input type="email" id="email" name="email" autocomplete="username" required autofocus value="${escapeHtml(args.email ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" id="signin-submit">Sign in</button>
</form>`)
}

export function codeView(args: { csrf: string; email: string; userCode?: string; message?: PageMessage }): string {
  return renderPage('Enter your code', `<h1>Enter the code from your terminal</h1>
<p class="lead">Type the 8-letter code your terminal shows, with or without the dash.</p>
${errorBlock(args.message)}
<form id="code-form" method="post" action="/device/verify" autocomplete="off">
${csrfField(args.csrf)}
<label for="user_code">Code</label>
<input type="text" id="user_code" name="user_code" placeholder="ABCD-WXYZ" maxlength="32" spellcheck="false" autocapitalize="characters" required autofocus value="${escapeHtml(args.userCode ?? '')}">
<button type="submit" id="code-submit">Continue</button>
</form>
${accountBar(args.email, args.csrf)}`)
}

/** `2026-12-02 06:40:12 UTC`: the server's clock, not the browser's, so no script is needed. */
const utc = (date: Date): string => `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`

function ago(seconds: number): string {
  if (seconds < 10) return 'just now'
  if (seconds < 120) return `${seconds} seconds ago`
  if (seconds < 7200) return `${Math.floor(seconds / 60)} minutes ago`
  return `${Math.floor(seconds / 3600)} hours ago`
}

function requestedAt(at: number | undefined, now: Date): string {
  if (at === undefined) return '<span class="lead">unknown</span>'
  const when = new Date(at * 1000)
  return `<time datetime="${escapeHtml(when.toISOString())}">${escapeHtml(utc(when))}</time> <span class="lead">(${escapeHtml(ago(Math.max(0, Math.round(now.getTime() / 1000 - at))))})</span>`
}

export function confirmView(args: {
  csrf: string; email: string; userCode: string; processName?: string; hostname?: string; request: DeviceRequest; prefilled?: boolean; now?: Date
}): string {
  const notGiven = '<span class="lead">not given</span>'
  const reported = '<span class="source">reported by the device</span>'
  const hidden = `${csrfField(args.csrf)}<input type="hidden" name="user_code" value="${escapeHtml(args.userCode)}">`
  const prefilled = args.prefilled
    ? '<p class="message notice" id="confirm-prefilled">The code came with the address you opened. Check that it is the code your terminal shows.</p>'
    : ''
  return renderPage('Approve this device?', `<h1>Connect this program to your account?</h1>
<p class="lead">Approve only if you started this sign-in yourself and the code matches the one in your terminal.</p>
${prefilled}
<dl class="request">
<dt>Program ${reported}</dt><dd id="confirm-process">${args.processName ? escapeHtml(args.processName) : notGiven}</dd>
<dt>Machine ${reported}</dt><dd id="confirm-host">${args.hostname ? escapeHtml(args.hostname) : notGiven}</dd>
<dt>Requested</dt><dd id="confirm-requested-at">${requestedAt(args.request.at, args.now ?? new Date())}</dd>
<dt>From address <span class="source">as this server saw it</span></dt><dd id="confirm-address" class="code">${args.request.address ? escapeHtml(args.request.address) : '<span class="lead">unknown</span>'}</dd>
<dt>Code</dt><dd id="confirm-code" class="code">${escapeHtml(args.userCode)}</dd>
<dt>Account</dt><dd>${escapeHtml(args.email)}</dd>
</dl>
<div class="actions">
<form id="deny-form" method="post" action="/device/decide">${hidden}<button type="submit" id="deny" name="decision" value="deny" class="secondary">Deny</button></form>
<form id="approve-form" method="post" action="/device/decide">${hidden}<button type="submit" id="approve" name="decision" value="approve">Approve</button></form>
</div>
${accountBar(args.email, args.csrf)}`)
}

export function outcomeView(args: { csrf: string; email: string; approved: boolean; processName?: string; hostname?: string }): string {
  const what = [args.processName, args.hostname && `on ${args.hostname}`].filter(Boolean).join(' ')
  const subject = what ? escapeHtml(what) : 'The program'
  const body = args.approved
    ? `<h1 id="outcome" data-outcome="approved">Device connected</h1>
<p class="message success" id="outcome-message">${subject} is now signed in to your account. You can close this page and return to your terminal.</p>`
    : `<h1 id="outcome" data-outcome="denied">Request denied</h1>
<p class="message error" id="outcome-message">${subject} was not given access. If you did not start this sign-in, you can ignore it.</p>`
  return renderPage(args.approved ? 'Device connected' : 'Request denied', `${body}
<p><a href="/device">Connect another device</a></p>
${accountBar(args.email, args.csrf)}`)
}
