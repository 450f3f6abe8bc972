// The server refuses, in what it will show to a person, exactly the characters the client
// refuses in what a server sends it: control characters and the bidi marks, embeddings,
// overrides and isolates that can reorder text on a screen.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hasUnsafeChars as clientRefuses } from '../../effects/client/server-url.js'
import { hasUnsafeChars as serverRefuses, isDisplayText } from '../../server/device-page/display-text.js'
import { CLIENT_ID, DEFAULT_USERS, passwordLogin, referenceServerFor, request, requestDeviceCode, SCOPE } from '../support/server.js'

const ref = referenceServerFor(test)

test('the server and the client agree on every unsafe code point', () => {
  const disagree: string[] = []
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue
    const ch = String.fromCodePoint(cp)
    if (clientRefuses(ch) !== serverRefuses(ch)) disagree.push(`U+${cp.toString(16).toUpperCase().padStart(4, '0')}`)
  }
  assert.equal(disagree, [], 'display-text.ts and effects/client/server-url.ts must refuse the same set')
  for (const cp of [0x200e, 0x200f, 0x202a, 0x202e, 0x2066, 0x2069, 0x0000, 0x001b, 0x007f, 0x009b]) {
    assert.ok(serverRefuses(String.fromCodePoint(cp)), `U+${cp.toString(16)} is refused`)
  }
  assert.not.ok(isDisplayText('ok\ud800'), 'a lone surrogate is refused')
  assert.ok(isDisplayText('Jupyter — 実験 ü'), 'ordinary Unicode text is fine')
})

const UNSAFE_SAMPLES = ['\u202eevil', 'ab\u202dcd', 'x\u2066y\u2069', 'left\u200emark', 'right\u200fmark', 'bell\u0007', 'csi\u009b']

test('a device request with bidi or control characters in process_name or hostname is refused', async () => {
  for (const sample of UNSAFE_SAMPLES) {
    for (const field of ['process_name', 'hostname']) {
      const answer = await requestDeviceCode(ref.server, { [field]: sample })
      assert.is(answer.status, 400, `${field}=${JSON.stringify(sample)}`)
      assert.is(answer.body.error, 'invalid_request', `${field}=${JSON.stringify(sample)}`)
    }
  }
  // The exact request of the finding: %E2%80%AE is U+202E RIGHT-TO-LEFT OVERRIDE.
  const raw = await request(ref.server, '/device/auth', {
    body: `client_id=${CLIENT_ID}&scope=${encodeURIComponent(SCOPE)}&process_name=%E2%80%AEevil`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  assert.is(raw.status, 400)
  assert.is(raw.body.error, 'invalid_request')

  const fine = await requestDeviceCode(ref.server, { process_name: 'Jupyter — 実験', hostname: 'lab-box.local' })
  assert.is(fine.status, 200)
  assert.type(fine.body.user_code, 'string')
})

test('a process registration whose name has bidi or control characters is refused', async () => {
  const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
  const login = await passwordLogin(ref.server, ada.email, ada.password)
  const auth = { authorization: `Bearer ${login.body.access_token}` }
  for (const name of UNSAFE_SAMPLES) {
    const json = await request(ref.server, '/omicos/processes', { headers: auth, json: { process_id: 'local-bidi', name } })
    assert.is(json.status, 400, JSON.stringify(name))
    assert.is(json.body.error, 'invalid_request')
    const form = await request(ref.server, '/omicos/processes', { headers: auth, form: { process_id: 'local-bidi', name } })
    assert.is(form.status, 400, JSON.stringify(name))
  }
  const fine = await request(ref.server, '/omicos/processes', { headers: auth, json: { process_id: 'local-bidi', name: 'Jupyter — 実験' } })
  assert.is(fine.status, 200)
})

test.run()
