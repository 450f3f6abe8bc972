import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { REDACTED, redact } from '../../machines/redact.js'

test('secrets are replaced wherever they sit; their expiries and the user code stay readable', () => {
  const shared = { kind: 'refused', message: 'wrong email or password' }
  const out = redact({
    password: 'hunter2',
    deviceCode: 'dc-secret',
    userCode: 'ABCD-WXYZ',
    session: { userToken: 'ut', refreshToken: 'rt', userTokenExpiresAt: 1, account: { email: 'a@b.c' } },
    tokens: ['t1', 't2'],
    raw: { access_token: 'at', id_token: 'it', process_token_expires_at: 'then' },
    error: shared,
    failure: shared,
    empty: { password: null },
  })
  assert.equal(out, {
    password: REDACTED,
    deviceCode: REDACTED,
    userCode: 'ABCD-WXYZ',
    session: { userToken: REDACTED, refreshToken: REDACTED, userTokenExpiresAt: 1, account: { email: 'a@b.c' } },
    tokens: REDACTED,
    raw: { access_token: REDACTED, id_token: REDACTED, process_token_expires_at: 'then' },
    error: shared,
    failure: shared,
    empty: { password: null },
  })
})

test('a real cycle is cut, not followed forever', () => {
  const a: Record<string, unknown> = { name: 'a' }
  a.self = a
  assert.equal(redact(a), { name: 'a', self: '[circular]' })
})

test.run()
