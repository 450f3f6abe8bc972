// The HTML frame of the server's pages: one stylesheet and one script inline (no outside
// requests, so the page works offline and under a strict CSP that names the script by its
// hash), and escaping for everything that is not ours.
import { createHash } from 'node:crypto'
import { HTML_LANG, type Language } from '../http/languages.js'

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`)
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6474; --line: #d9dde5; --accent: #2952cc; --accent-dark: #1f3fa3; --bad: #b42318; --bad-bg: #fef3f2; --ok: #067647; --ok-bg: #ecfdf3; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: flex-start; justify-content: center; background: #f4f6f9; color: var(--ink); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { width: 100%; max-width: 420px; margin: 64px 16px; background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 32px; box-shadow: 0 1px 3px rgba(16, 24, 40, .06); }
.brand { font-size: 15px; font-weight: 700; color: var(--accent); margin: 0 0 12px; }
h1 { font-size: 22px; line-height: 1.3; margin: 0 0 8px; }
p { margin: 0 0 16px; }
.lead { color: var(--muted); }
label { display: block; font-size: 14px; font-weight: 600; margin: 0 0 6px; }
input[type=email], input[type=password], input[type=text] { width: 100%; font: inherit; padding: 10px 12px; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 16px; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; border-color: var(--accent); }
#user_code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 22px; letter-spacing: .15em; text-align: center; text-transform: uppercase; }
button { font: inherit; font-weight: 600; padding: 10px 16px; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; width: 100%; }
button:hover { background: var(--accent-dark); }
button.secondary { background: #fff; color: var(--ink); border-color: var(--line); }
button.secondary:hover { background: #f4f6f9; }
button.link { background: none; border: none; color: var(--muted); padding: 0; width: auto; font-weight: 400; text-decoration: underline; }
.actions { display: flex; gap: 12px; margin-top: 8px; }
.actions form { flex: 1; }
.message { border-radius: 8px; padding: 10px 12px; margin: 0 0 16px; font-size: 15px; }
.message.error { background: var(--bad-bg); color: var(--bad); border: 1px solid #fecdca; }
.message.success { background: var(--ok-bg); color: var(--ok); border: 1px solid #abefc6; }
.request { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 0 0 16px; }
.request dt { font-size: 13px; color: var(--muted); }
.request dd { margin: 0 0 8px; font-weight: 600; overflow-wrap: anywhere; }
.request dd:last-child { margin-bottom: 0; }
.request .source { font-style: italic; }
.request dd .lead { font-weight: 400; }
.message.notice { background: #eff4ff; color: var(--accent-dark); border: 1px solid #c7d7fe; }
.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; letter-spacing: .1em; }
.account { display: flex; justify-content: space-between; align-items: center; gap: 8px; font-size: 14px; color: var(--muted); border-top: 1px solid var(--line); margin-top: 24px; padding-top: 16px; }
`

// A time is written in UTC by the server (what a browser without scripts shows); this shows it
// in the browser's own time zone, in the page's language, with the zone named.
const LOCAL_TIMES = `for (const time of document.querySelectorAll('time[data-local]')) {
  const at = new Date(time.getAttribute('datetime'))
  if (!Number.isNaN(at.getTime())) time.textContent = new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: 'medium', timeStyle: 'long' }).format(at)
}`

/** The Content-Security-Policy source that allows the page's one script, and no other. */
export const SCRIPT_SOURCE = `'sha256-${createHash('sha256').update(LOCAL_TIMES).digest('base64')}'`

export function renderPage(title: string, body: string, language: Language = 'en'): string {
  return `<!DOCTYPE html>
<html lang="${HTML_LANG[language]}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)} · omicOS</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="brand">omicOS</p>
${body}
</main>
<script>${LOCAL_TIMES}</script>
</body>
</html>`
}

export function renderErrorPage(error: string, description?: string): string {
  return renderPage(
    'Something went wrong',
    `<h1>Something went wrong</h1>
<p class="message error" id="error" role="alert">${escapeHtml(description ?? error)}</p>
<p class="lead">Error code: <span class="code">${escapeHtml(error)}</span></p>`,
  )
}
