// The one filter for server text: what a hostile server can put in an error_description or a
// field value, and what must come out (one line, nothing invisible, no secret the process holds).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { heldSecrets, holdSecrets, releaseSecrets } from '../../../effects/client/held-secrets.js'
import { refusal } from '../../../effects/client/refusal.js'
import { describeFailure } from '../../../cli/failure-words.js'
import { REDACTED, sanitizeServerText, serverErrorCode, serverText } from '../../../effects/client/sanitize-server-text.js'

const PASSWORD = 'correct horse battery'
const TOKEN = 'eyJhbGciOi.user-token.signature'

test.before.each(() => releaseSecrets())
test.after(() => releaseSecrets())

test('control, bidi and other format characters are removed; whitespace becomes one space', () => {
  assert.is(sanitizeServerText('wrong\u001b[2J password\r\nfor\tyou'), 'wrong[2J password for you')
  assert.is(sanitizeServerText('abc\u202edcba\u2066x\u2069'), 'abcdcbax')
  assert.is(sanitizeServerText('zero\u200bwidth\u200d joiner\u00ad soft\ufeff bom'), 'zerowidth joiner soft bom')
  assert.is(sanitizeServerText('line\u2028sep\u2029para\u0085nel'), 'line sep para nel')
  assert.is(sanitizeServerText('tag\u{E0041}\u{E0042} chars'), 'tag chars')
  assert.is(sanitizeServerText('lone \ud800 surrogate \udc00 here'), 'lone surrogate here')
  assert.is(sanitizeServerText('\u0007\u0000  '), '')
  // Letters of any script are text, not format characters.
  assert.is(sanitizeServerText('mot de passe erroné, пароль, 密码'), 'mot de passe erroné, пароль, 密码')
})

test('the length is capped with an ellipsis', () => {
  const long = 'x'.repeat(10_000)
  const line = sanitizeServerText(long)
  assert.is(line.length, 160)
  assert.ok(line.endsWith('...'))
  assert.is(sanitizeServerText(long, { maxLength: 20 }).length, 20)
})

test('every held secret is redacted, also URL-encoded, form-encoded, JSON-escaped or split by invisible characters', () => {
  holdSecrets(PASSWORD, TOKEN)
  const echoes = [
    `wrong password "${PASSWORD}" (token ${TOKEN})`,
    `wrong password ${encodeURIComponent(PASSWORD)}`,
    `body was password=${new URLSearchParams({ p: PASSWORD }).toString().slice(2)}`,
    `Authorization: Bearer ${TOKEN}`,
    `wrong password ${PASSWORD.split('').join('\u200b')}`,
    `wrong password ${'\u200b'.repeat(5000)}${PASSWORD}`,
  ]
  for (const echo of echoes) {
    const line = sanitizeServerText(echo)
    assert.not.ok(line.includes(PASSWORD), line)
    assert.not.ok(line.includes(TOKEN), line)
    assert.not.ok(line.includes('horse battery'), line)
    assert.ok(line.includes(REDACTED), line)
  }
  const quoted = 'say "hi" \\ back'
  holdSecrets(quoted)
  assert.is(sanitizeServerText(`got ${JSON.stringify(quoted).slice(1, -1)}`), `got ${REDACTED}`)
})

test('a secret cut by the length cap leaves no prefix behind', () => {
  holdSecrets(TOKEN)
  for (let pad = 140; pad < 160; pad++) {
    const line = sanitizeServerText(`${'a'.repeat(pad)} ${TOKEN} tail`)
    assert.not.ok(line.includes(TOKEN.slice(0, 6)), `pad ${pad}: ${line}`)
  }
})

test('values shorter than 6 characters are not held; the registry is bounded and newest-kept', () => {
  holdSecrets('abc12', '', null, 42, undefined)
  assert.equal(heldSecrets(), [])
  assert.is(sanitizeServerText('abc12 stays'), 'abc12 stays')
  for (let i = 0; i < 100; i++) holdSecrets(`secret-number-${i}`)
  assert.is(heldSecrets().length, 64)
  assert.ok(heldSecrets().includes('secret-number-99'))
  assert.not.ok(heldSecrets().includes('secret-number-0'))
  // Only the newest are kept, but a secret the caller passes is always redacted.
  assert.is(sanitizeServerText('secret-number-0', { secrets: ['secret-number-0'] }), REDACTED)
})

test('error codes are printable ASCII or a placeholder; error descriptions are text or null', () => {
  assert.is(serverErrorCode('invalid_grant'), 'invalid_grant')
  assert.is(serverErrorCode('bad\u001bcode'), null)
  assert.is(serverErrorCode('x'.repeat(65)), null)
  assert.is(serverErrorCode(42), null)
  holdSecrets(PASSWORD.replace(/ /g, '-'))
  assert.is(serverErrorCode(PASSWORD.replace(/ /g, '-')), REDACTED)
  assert.is(serverText(undefined), null)
  assert.is(serverText('\u200b \u202e'), null)
})

test('refusals: host, what was asked, the cleaned error and description, the status; worded by the CLI', () => {
  holdSecrets(TOKEN)
  const line = (error: { failure: Parameters<typeof describeFailure>[0] }) => describeFailure(error.failure, { again: 'omicos login' })
  const refused = refusal('https://auth.example/process', 'processRegistration', {
    status: 400,
    body: { error: 'invalid_request', error_description: `bad header: Authorization: Bearer ${TOKEN}\u001b[31m` },
  })
  assert.equal(refused.failure.details, {
    host: 'auth.example',
    request: 'processRegistration',
    error: 'invalid_request',
    description: `bad header: Authorization: Bearer ${REDACTED}[31m`,
    status: 400,
  })
  assert.is(line(refused), `auth.example refused to register the process: invalid_request: bad header: Authorization: Bearer ${REDACTED}[31m (HTTP 400)`)
  assert.is(line(refusal('https://auth.example/token', 'login', { status: 500, body: null })), 'auth.example refused the login (HTTP 500)')
  assert.is(line(refusal('https://auth.example/token', 'login', { status: 400, body: { error: 42 } })), 'auth.example refused the login: unknown error (HTTP 400)')
})

test.run()
