// Emails as typed: normalized the same way everywhere (NFKC, trimmed), and one that still is
// not an email says why.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { emailProblem, normalizeEmail } from '../../../effects/client/email.js'

test('full-width letters and ＠ (a Chinese input method) become ASCII; spaces around are trimmed', () => {
  assert.is(normalizeEmail('ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ'), 'ada@example.com')
  assert.is(normalizeEmail('ada＠example.com'), 'ada@example.com')
  assert.is(normalizeEmail(' ada@example.com \t'), 'ada@example.com')
  assert.is(normalizeEmail('\u3000ada@example.com\u3000'), 'ada@example.com', 'an ideographic space too')
})

test('what is not an email says why, as a code a front end words', () => {
  assert.is(emailProblem('ada@example.com'), null)
  assert.is(emailProblem('ada.example.com'), 'noAt')
  assert.is(emailProblem('ada@@example.com'), 'manyAt')
  assert.is(emailProblem('ada lovelace@example.com'), 'space')
  assert.is(emailProblem('@example.com'), 'noLocalPart')
  assert.is(emailProblem('ada@'), 'noDomain')
  assert.is(emailProblem(''), 'empty')
  assert.is(emailProblem('ada\u001b@example.com'), 'controlChars')
})

test.run()
