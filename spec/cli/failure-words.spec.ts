// Failures are data, worded in one place: every reason has words in every catalog present, the
// English catalog reads the same through i18next (so another language is a file of the same
// shape), every word of the catalog is used, and no module of machines/ or effects/client/
// holds a sentence for a person.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { describeFailure, ioCause, retryNotice, type Wording } from '../../cli/failure-words.js'
import { TLS_CODES } from '../../effects/client/connection-codes.js'
import { en } from '../../cli/words/en.js'
import { CATALOGS, english, wordsFrom, type Words } from '../../cli/words/index.js'
import { FAILURE_REASONS, REASON_KIND, type Failure, type FailureDetails, type FailureReason } from '../../machines/failure.js'

/** The error codes the catalog has words for under `prefix.` (`network.ECONNREFUSED`). */
const codesIn = (prefix: string): string[] =>
  Object.keys(en)
    .filter((key) => key.startsWith(`${prefix}.`) && /^[A-Z]/.test(key.slice(prefix.length + 1)))
    .map((key) => key.slice(prefix.length + 1))

// Details of every reason, each variant its words depend on. A new reason does not compile
// until it has samples here.
const SAMPLES: { [R in FailureReason]: FailureDetails[R][] } = {
  needsTerminal: [{}],
  wrongServer: [{ here: 'https://auth.omicos.cn', asked: 'http://127.0.0.1:4000' }],
  unusableAddress: [
    { option: '--server', value: 'ftp://x', problem: 'scheme', scheme: 'ftp' },
    { option: 'OMICOS_SERVER', value: null, problem: 'credentials', scheme: null },
    ...(['controlChars', 'notUrl', 'userInfo', 'plainHttp', 'queryOrFragment'] as const).map((problem) => ({
      option: '--server',
      value: null,
      problem,
      scheme: null,
    })),
  ],
  noEndpoints: [{}],
  unusableProcessId: [{ processId: 'web my page' }],
  wrongCredentials: [
    { serverText: null, attempts: 1 },
    { serverText: 'the account is locked', attempts: 3 },
  ],
  rateLimited: [
    { host: 'auth.omicos.cn', retryAfterMs: 16_000 },
    { host: null, retryAfterMs: 600_000 },
  ],
  pairingDenied: [{}],
  pairingCodeUnusable: [{}],
  pairingRequestsLimited: [{ host: 'auth.omicos.cn' }],
  renewRejected: [{ host: null }, { host: 'auth.omicos.cn' }],
  loginRejected: [{ host: 'auth.omicos.cn', status: 401 }],
  registrationUnauthorized: [{ host: 'auth.omicos.cn', status: 403 }],
  renewalLost: [{ host: 'auth.omicos.cn' }],
  fileGone: [{ path: '/home/you/.omicos/cloud_login.json' }],
  storedLoginGone: [{ place: 'sessionStorage' }],
  storageRefused: [{ place: 'sessionStorage' }],
  pairingExpired: [{}],
  network: [
    ...codesIn('network').map((code) => ({ host: 'auth.omicos.cn', code, status: null, mayHaveReachedServer: false })),
    { host: 'auth.omicos.cn', code: 'EWHATEVER', status: null, mayHaveReachedServer: true },
    { host: 'auth.omicos.cn', code: 'CERT_HAS_EXPIRED', status: null, mayHaveReachedServer: true },
    { host: null, code: null, status: null, mayHaveReachedServer: true },
    { host: 'auth.omicos.cn', code: null, status: 503, mayHaveReachedServer: false },
    { host: 'auth.omicos.cn', code: null, status: 502, mayHaveReachedServer: true },
  ],
  tls: [
    ...codesIn('tls').map((code) => ({ host: 'auth.omicos.cn', code, plainHttp: false, mayHaveReachedServer: false })),
    { host: 'auth.omicos.cn', code: 'ERR_SSL_UNKNOWN', plainHttp: false, mayHaveReachedServer: false },
    { host: 'auth.omicos.cn', code: 'ERR_SSL_WRONG_VERSION_NUMBER', plainHttp: true, mayHaveReachedServer: false },
    { host: '127.0.0.1:4000', code: 'EPROTO', plainHttp: true, mayHaveReachedServer: false },
  ],
  dns: [
    { host: 'no-such.example', code: 'ENOTFOUND', status: null, mayHaveReachedServer: false },
    { host: 'auth.omicos.cn', code: 'EAI_AGAIN', status: null, mayHaveReachedServer: false },
  ],
  connectionRefused: [{ host: '127.0.0.1:1', code: 'ECONNREFUSED', status: null, mayHaveReachedServer: false }],
  timeout: [
    { host: 'auth.omicos.cn', afterMs: null, reading: false, deadline: true, mayHaveReachedServer: false },
    { host: 'auth.omicos.cn', afterMs: 5_000, reading: false, deadline: false, mayHaveReachedServer: true },
    { host: 'auth.omicos.cn', afterMs: 300, reading: true, deadline: false, mayHaveReachedServer: true },
    { host: 'auth.omicos.cn', afterMs: 412, reading: false, deadline: true, mayHaveReachedServer: false },
  ],
  proxy: [
    { host: 'auth.omicos.cn', proxy: 'http://proxy:3128', variable: 'HTTPS_PROXY', problem: 'auth', status: 407, hasCredentials: true },
    { host: 'auth.omicos.cn', proxy: 'http://proxy:3128', variable: 'HTTPS_PROXY', problem: 'auth', status: 407, hasCredentials: false },
    { host: 'auth.omicos.cn', proxy: 'http://proxy:3128', variable: 'HTTPS_PROXY', problem: 'closedBeforeTunnel' },
    { host: 'auth.omicos.cn', proxy: 'http://proxy:3128', variable: 'HTTPS_PROXY', problem: 'status', status: 403 },
    { host: 'auth.omicos.cn', proxy: 'http://proxy:3128', variable: 'HTTPS_PROXY', problem: 'network', code: 'ETIMEDOUT' },
  ],
  revocationTimeout: [{ afterMs: 3_000 }],
  serverRefused: (['login', 'deviceAuthorization', 'deviceToken', 'account', 'processRegistration', 'processCheck', 'revocation', 'renewal'] as const).flatMap(
    (request) => [
      { host: 'auth.omicos.cn', request, error: 'invalid_request', description: 'bad header', status: 400 },
      { host: 'auth.omicos.cn', request, error: '', description: null, status: 400 },
      { host: null, request, error: null, description: null, status: 500 },
    ],
  ),
  redirect: [
    { host: 'auth.omicos.cn', status: 307 },
    { host: 'auth.omicos.cn', status: 0 },
  ],
  tooLarge: [{ host: 'auth.omicos.cn', maxBytes: 1024 * 1024 }],
  notJson: [{ host: 'auth.omicos.cn', status: 200 }],
  notObject: [{ host: 'auth.omicos.cn', status: 200 }],
  retryAfterTooLong: [{ host: null }],
  unusableField: [
    { host: null, field: 'device_code', problem: 'missing' },
    { host: null, field: 'user_code', problem: 'controlChars' },
    { host: null, field: 'verification_uri', problem: 'tooLong' },
    { host: null, field: 'verification_uri', problem: 'unsafeAddress', address: 'plainHttp', scheme: null },
    { host: null, field: 'verification_uri', problem: 'unsafeAddress', address: 'scheme', scheme: 'javascript' },
    { host: 'auth.omicos.cn', field: 'token_endpoint', problem: 'notHttps' },
    { host: null, field: 'verification_uri', problem: 'otherSite', site: 'auth.omicos.cn' },
    { host: null, field: 'verification_uri_complete', problem: 'hidesSecret' },
    { host: null, field: 'user_code', problem: 'notUserCode', min: 4, max: 20 },
    { host: null, field: 'expires_in', problem: 'outOfRange', value: -1, min: 1, max: 86_400 },
    { host: 'auth.omicos.cn', field: 'token expires_in', problem: 'outOfRange', value: null, min: 1, max: 315_360_000 },
  ],
  unusableTokenResponse: [
    { host: 'auth.omicos.cn', field: 'access_token' },
    { host: 'auth.omicos.cn', field: 'token_type' },
    { host: 'auth.omicos.cn', field: 'refresh_token' },
  ],
  unusableExpiry: [
    { host: 'auth.omicos.cn', of: 'processToken' },
    { host: 'auth.omicos.cn', of: 'process' },
  ],
  issuerMismatch: [
    { host: 'evil.example', issuer: 'https://auth.omicos.cn', named: null },
    { host: '127.0.0.1:4000', issuer: 'http://127.0.0.1:4000', named: 'http://localhost:4000' },
  ],
  endpointOffOrigin: [
    { host: 'auth.omicos.cn', field: 'token_endpoint', endpointOrigin: 'https://evil.example', issuerOrigin: 'https://auth.omicos.cn' },
    { host: 'auth.omicos.cn', field: 'token_endpoint', endpointOrigin: null, issuerOrigin: 'https://auth.omicos.cn' },
  ],
  noMetadata: [{ host: 'auth.omicos.cn', status: 404 }],
  metadataNotObject: [{ host: 'auth.omicos.cn' }],
  notAdvertised: [{ host: 'auth.omicos.cn', field: 'omicos_process_endpoint' }],
  noDeviceAuthorization: [{ host: 'auth.omicos.cn' }],
  noPasswordLogin: [{ host: 'auth.omicos.cn' }],
  tokenRejectedAtOnce: [{ host: 'auth.omicos.cn' }],
  malformedHttp: [{ host: 'auth.omicos.cn', code: 'HPE_INVALID_CHUNK_SIZE', mayHaveReachedServer: true }],
  answerCutShort: [{ host: 'auth.omicos.cn', mayHaveReachedServer: true }],
  registrationServerError: [{ host: 'auth.omicos.cn', request: 'processRegistration', error: 'server_error', description: null, status: 500 }],
  registrationRefused: [{ host: 'auth.omicos.cn', request: 'processRegistration', error: 'invalid_request', description: 'name too long', status: 400 }],
  registrationNotJson: [{ host: 'auth.omicos.cn' }],
  registrationField: [{ host: 'auth.omicos.cn', field: 'process_token' }],
  registrationProcessId: [{ host: 'auth.omicos.cn' }],
  processTokenExpired: [{ host: 'auth.omicos.cn' }],
  tokenTypeNotBearer: [{ host: 'auth.omicos.cn' }],
  tokenTooLong: [{ host: 'auth.omicos.cn', field: 'access_token', maxLength: 8192 }],
  accountMismatch: [
    { askedEmail: 'ada@example.com', answeredEmail: 'eve@example.com' },
    { storedEmail: 'ada@example.com', answeredEmail: 'eve@example.com' },
  ],
  accountEmailUnusable: [{ host: 'auth.omicos.cn' }],
  renewAnswerRefused: [{ answer: { kind: 'bad_response', reason: 'tokenTypeNotBearer', details: { host: 'auth.omicos.cn' } } }],
  renewAnswerRefusedSpent: [{ answer: { kind: 'bad_response', reason: 'unusableTokenResponse', details: { host: 'auth.omicos.cn', field: 'token_type' } } }],
  noTokenResponse: [{}],
  effectException: [
    { effect: 'pollToken', message: 'stop' },
    { effect: null, message: 'x is not a function' },
  ],
  cancelled: (['login', 'pairing', 'logout', 'status', 'request', 'deviceAuthorization'] as const).map((flow) => ({ flow })),
  unusableProxy: [
    { variable: 'HTTPS_PROXY', problem: 'notUrl' },
    { variable: 'ALL_PROXY', problem: 'scheme', scheme: 'socks5', proxy: 'socks5://proxy:1080' },
  ],
  unusableCaBundle: [
    ...(['missing', 'denied', 'folder', 'noPem'] as const).map((problem) => ({ variable: 'SSL_CERT_FILE', path: '/etc/ssl/ca.pem', problem, code: null })),
    { variable: 'OMICOS_CA_BUNDLE', path: '/etc/ssl/ca.pem', problem: 'unreadable', code: 'ELOOP' },
    { variable: 'OMICOS_CA_BUNDLE', path: '/etc/ssl/ca.pem', problem: 'unreadable', code: null },
  ],
  passwordStdin: [{ problem: 'terminal' }, { problem: 'tooLarge', maxBytes: 64 * 1024 }, { problem: 'empty' }],
  revocationsKept: [{ count: 1 }, { count: 3 }],
  removedWhileUsed: [
    { path: '/home/you/.omicos/cloud_login.json', during: 'renewal' },
    { path: '/work/ws/.omicos/cloud_login.json', during: 'realignment' },
  ],
  renewalInFlight: [{ pid: 4242 }],
  // the credential store's files
  fileNoHome: [{ home: 'unset' }, { home: 'relative' }],
  workspaceUnusable: [
    { problem: 'notDirectory', variable: 'OMICOS_WORKSPACE', value: 'no-such-dir' },
    { problem: 'notDirectory', variable: 'OMICOS_WORKSPACE', value: null },
    { problem: 'homeFolder', path: '/home/you' },
    { problem: 'homeFolder', path: null },
  ],
  fileUnsafe: [
    ...(['symlink', 'notDirectory', 'notRegular', 'tooLarge', 'vanished'] as const).map((problem) => ({ path: '/home/you/.omicos/cloud_login.json', problem })),
    { path: '/srv/omicos', variable: 'OMICOS_HOME', problem: 'symlink' },
    { path: '/home/you/.omicos', variable: 'OMICOS_HOME', problem: 'notOwned', entry: 'dir', ownerUid: 0 },
    { path: '/home/you/.omicos/cloud_login.json', problem: 'notOwned', entry: 'file', ownerUid: 1001 },
    { path: '/home/you/.omicos/cloud_login.json', problem: 'notPrivate', mode: '0644', wanted: '0600', fix: 'chmod 600 /home/you/.omicos/cloud_login.json' },
    {
      path: 'C:\\Users\\you\\.omicos\\cloud_login.json',
      problem: 'notPrivate',
      others: ['BUILTIN\\Users', 'Everyone'],
      fix: 'icacls "C:\\Users\\you\\.omicos\\cloud_login.json" /inheritance:r /grant:r "PC\\you:(F)"',
    },
  ],
  fileIo: [
    ...codesIn('store.cause').map((io) => ({ path: '/home/you/.omicos/cloud_login.json', step: 'write' as const, io })),
    ...(['open', 'create', 'read', 'write', 'remove', 'list', 'lock'] as const).map((step) => ({ path: '/home/you/.omicos', step, io: 'EWHATEVER' })),
    { path: '/home/you/.omicos', step: 'read', io: null },
    { path: '/home/you/.omicos', variable: 'OMICOS_HOME', step: 'makePrivate', tool: 'chmod 700', io: 'EPERM' },
    { path: 'C:\\Users\\you\\.omicos', step: 'makePrivate', tool: 'icacls', io: 'EACLLEFT' },
    { path: '/srv/omicos', variable: 'OMICOS_HOME', step: 'writeIn', nearest: null, io: 'EROFS' },
    { path: '/srv/omicos/home', step: 'writeIn', nearest: '/srv/omicos', io: 'EACCES' },
    { path: 'C:\\Users\\you\\.omicos\\cloud_login.json', step: 'replaceHeld', waitedMs: 5_000, io: 'EBUSY' },
  ],
  fileInvalid: [
    ...(['notJson', 'notObject', 'version', 'processId', 'authMethod', 'server', 'cloudBase'] as const).map((problem) => ({
      path: '/w/.omicos/cloud_login.json',
      problem,
    })),
    ...(['missing', 'controlChars', 'notTime', 'notFingerprint', 'notObjectField', 'notPid', 'notInteger'] as const).map((problem) => ({
      path: '/w/.omicos/cloud_login.json',
      problem,
      field: 'user.email',
    })),
    { path: '/w/.omicos/cloud_login.json', problem: 'newerVersion', version: 2 },
    { path: '/w/.omicos/cloud_login.json', problem: 'tooLong', field: 'user_token', max: 16_384 },
  ],
  lockHeld: [
    { path: '/home/you/.omicos/cloud_login.json', pid: 4242, purpose: 'renew' },
    ...(['login', 'register', 'logout', 'repair', 'write'] as const).map((purpose) => ({ path: '/home/you/.omicos/cloud_login.json', pid: 4242, purpose })),
    { path: '/home/you/.omicos/cloud_login.json', pid: 4242, purpose: null },
    { path: '/home/you/.omicos/cloud_login.json', pid: null, purpose: null },
  ],
  lockLost: [{ path: '/home/you/.omicos/cloud_login.json' }],
  lockPairing: [{ path: '/home/you/.omicos/pending/device-0123456789abcdef.json' }],
  described: [{ text: 'cannot write /home/you/.omicos/cloud_login.json: disk full' }, { text: 'the lock is held by process 42', code: 'lockHeld' }],
}

const failures: Failure[] = FAILURE_REASONS.flatMap((reason) =>
  (SAMPLES[reason] as object[]).map(
    (details) => ({ kind: reason === 'described' ? 'local_files' : REASON_KIND[reason as keyof typeof REASON_KIND], reason, details }) as Failure,
  ),
)

const WORDINGS: Wording[] = [
  { again: 'omicos cli login' },
  { again: 'omicos login', serverFlag: 'http://127.0.0.1:4000', wrongServerHint: 'logout' },
  { again: 'omicos cli login', resumableForMs: 600_000 },
  { again: 'omicos login', wrongServerHint: 'status' },
]

/** Every catalog present: English as a plain object, and each through i18next. */
const catalogs = async (): Promise<Words[]> => [
  english,
  await wordsFrom('en', en),
  ...(await Promise.all(Object.entries(CATALOGS).map(async ([tag, load]) => wordsFrom(tag, await load())))),
]

test('every TLS code the client tells apart has words', () => {
  assert.equal(
    codesIn('tls')
      .filter((code) => code !== 'plainHttp')
      .sort(),
    [...TLS_CODES].sort(),
  )
})

test('every reason has samples, and every sample has a kind from the table', () => {
  assert.equal(Object.keys(SAMPLES).sort(), [...FAILURE_REASONS].sort())
  for (const failure of failures) assert.ok(failure.kind, failure.reason)
})

test('every reason has one line of words in every catalog, with nothing left unfilled', async () => {
  for (const words of await catalogs()) {
    for (const failure of failures) {
      for (const wording of WORDINGS) {
        const line = describeFailure(failure, wording, words)
        const seen = `${words.locale} ${failure.reason} ${JSON.stringify(failure.details)}: ${line}`
        assert.ok(line.length > 0, seen)
        assert.not.match(line, /\{\{|\}\}|undefined|\bnull\b|NaN|\[object/, seen)
        assert.not.match(
          line,
          /\b(failure|field|address|network|tls|proxy|request|time|host|value|server|notice|serverRefused|node|caBundle|store|lockWait)\.[a-zA-Z]/,
          seen,
        )
        assert.not.match(line, /\n/, seen)
      }
    }
  }
})

test('a Chinese line is glued with Chinese punctuation, not an English colon or comma the code put in', async () => {
  const han = '[\\u3400-\\u9fff\\uff08\\uff09\\uff1a\\uff0c]'
  const glue = new RegExp(`${han}[:,] |[:,] ${han}`)
  for (const words of await catalogs()) {
    if (!words.locale.startsWith('zh')) continue
    for (const failure of failures) {
      for (const wording of WORDINGS) {
        const line = describeFailure(failure, wording, words)
        assert.not.match(line, glue, `${words.locale} ${failure.reason} ${JSON.stringify(failure.details)}: ${line}`)
      }
    }
  }
})

test('the English catalog reads the same through i18next as without it', async () => {
  const [plain, throughLibrary] = (await catalogs()) as [Words, Words]
  for (const failure of failures) {
    for (const wording of WORDINGS) {
      assert.is(describeFailure(failure, wording, throughLibrary), describeFailure(failure, wording, plain!), `${failure.reason} ${JSON.stringify(failure.details)}`)
    }
    if (failure.reason === 'wrongCredentials' || failure.reason === 'rateLimited') assert.is(retryNotice(failure, throughLibrary), retryNotice(failure, plain!))
  }
})

test('text a server sent is put in as it is, never read again as a key or a placeholder', async () => {
  const sneaky = '{{host}} $t(failure.noTokenResponse) {{count}}'
  for (const words of await catalogs()) {
    const line = describeFailure({ kind: 'refused', reason: 'wrongCredentials', details: { serverText: sneaky, attempts: 2 } }, { again: 'omicos login' }, words)
    assert.ok(line.startsWith(`${sneaky}`), `${words.locale}: ${line}`)
    if (words.locale === 'en') assert.is(line, `${sneaky} (2 tries); run the login again`)
  }
})

test('every word of the English catalog is used, by a failure or by name in cli/', () => {
  const used = new Set<string>()
  const recording: Words = {
    locale: 'en',
    t: (key, values) => {
      used.add(key)
      if (typeof values?.count === 'number') used.add(`${key}_${new Intl.PluralRules('en').select(values.count)}`)
      return english.t(key, values)
    },
  }
  for (const failure of failures) {
    for (const wording of WORDINGS) describeFailure(failure, wording, recording)
    retryNotice(failure, recording)
  }
  // Words for other lines than failures are named in cli/ by their key, or by a key's prefix
  // and a code (`email.${problem}`).
  const cli = readdirSync('cli', { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.ts') && !name.startsWith('words'))
    .map((name) => readFileSync(join('cli', name), 'utf8'))
    .join('\n')
  const named = (key: string) => cli.includes(`'${key}'`) || cli.includes(`\`${key.slice(0, key.lastIndexOf('.') + 1)}\${`)
  const plurals = Object.keys(en).filter((key) => /_(one|other)$/.test(key))
  const unused = Object.keys(en).filter((key) => !used.has(key) && !plurals.includes(key) && !named(key))
  assert.equal(unused, [], 'words nothing uses')
})

test('log in again, as printed: with the --server and --workspace of the command that ran or of the login in use', () => {
  const rejected: Failure = { kind: 'refused', reason: 'renewRejected', details: { host: '127.0.0.1:4000' } }
  const lost: Failure = { kind: 'refused', reason: 'renewalLost', details: { host: '127.0.0.1:4000' } }
  const spent: Failure = {
    kind: 'bad_response',
    reason: 'renewAnswerRefusedSpent',
    details: { answer: { kind: 'bad_response', reason: 'tokenTypeNotBearer', details: { host: '127.0.0.1:4000' } } },
  }
  for (const failure of [rejected, lost, spent]) {
    assert.match(describeFailure(failure, { again: 'omicos login' }), /log in again \(`omicos login` or `omicos cli login`\)$/)
    assert.match(describeFailure(failure, { again: 'omicos login --workspace' }), /log in again \(`omicos login --workspace` or `omicos cli login --workspace`\)$/)
    assert.match(
      describeFailure(failure, { again: 'omicos cli login --server http://127.0.0.1:4000' }),
      /log in again \(`omicos login --server http:\/\/127\.0\.0\.1:4000` or `omicos cli login --server http:\/\/127\.0\.0\.1:4000`\)$/,
    )
  }
})

test('network time-outs: the time named is a limit, never what was left of the command; each has a next step', async () => {
  const timeout = (afterMs: number | null, deadline: boolean, reading = false): Failure => ({
    kind: 'unreachable',
    reason: 'timeout',
    details: { host: 'auth.omicos.cn', afterMs, reading, deadline, mayHaveReachedServer: false },
  })
  const silentName: Failure = {
    kind: 'unreachable',
    reason: 'dns',
    details: { host: 'auth.omicos.cn', code: 'EAI_AGAIN', status: null, mayHaveReachedServer: false },
  }
  const unknownName: Failure = {
    kind: 'unreachable',
    reason: 'dns',
    details: { host: 'auth.omicos.cn', code: 'ENOTFOUND', status: null, mayHaveReachedServer: false },
  }
  const again = { again: 'omicos login' }
  assert.is(
    describeFailure(timeout(412, true), again),
    'cannot reach auth.omicos.cn: timed out (no answer in the time allowed): check the network (behind a proxy, set HTTPS_PROXY), then try again',
  )
  assert.is(describeFailure(timeout(412, true), again), describeFailure(timeout(null, true), again))
  assert.match(describeFailure(timeout(5_000, false), again), /^cannot reach auth\.omicos\.cn: timed out after 5 s: check the network/)
  assert.is(
    describeFailure(silentName, again),
    'cannot reach auth.omicos.cn: no answer from the name server (DNS): check the network and the name server it uses (behind a proxy, set HTTPS_PROXY), then try again',
  )
  assert.match(describeFailure(unknownName, again), /host not found \(DNS\): check the server address/)
  for (const words of await catalogs()) {
    for (const failure of [timeout(412, true), timeout(300, true, true), silentName]) {
      const line = describeFailure(failure, again, words)
      assert.not.match(line, /0\.4|0\.3|412|300/, `${words.locale}: ${line}`)
    }
  }
})

// The modules every front end reuses, and the Node effects under them, speak in codes: a string
// of three words or more is a sentence for a person, and has no place there (state
// descriptions, in `*.descriptions.ts`, are for the diagrams of docs/machines/ and no front end
// bundles them).
const SENTENCE = /[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}/
// Not for a person: what a developer who misused the API reads, an OAuth scope, and the
// prompts' English labels for an embedder of the Node API that passes none of its own (the CLI
// passes its catalog's).
const NOT_FOR_A_PERSON = [
  '" effect was not provided: pass it with machine.provide({ actors })',
  'the snapshot is not of a login that waits for approval: start a new login',
  'inspect takes an inspector wrapped by secretSafeInspector() of omicos-auth/client, the same copy of the package, which replaces the secrets first',
  'openid email offline_access',
  'Email cannot be empty',
  'Password cannot be empty',
  // the store's: a Node without a flag it needs, and a cause whose code is what is worded
  ' is missing on this platform',
  'whoami named no user',
]
const SPEAKING_IN_CODES = ['machines', 'effects/client', 'effects/node', 'effects/store']

const sourcesIn = (dirs: string[]): ts.SourceFile[] => {
  const files: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (path.endsWith('.ts') && !path.endsWith('.descriptions.ts')) files.push(path)
    }
  }
  for (const dir of dirs) walk(dir)
  return files.map((file) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true))
}

const where = (source: ts.SourceFile, node: ts.Node) => `${source.fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`

test('no module of machines/, effects/client/, effects/node/ or effects/store/ builds a sentence for a person', () => {
  const sources = sourcesIn(SPEAKING_IN_CODES)
  assert.ok(sources.length > 30, `${sources.length} files`)
  const found: string[] = []
  for (const source of sources) {
    const visit = (node: ts.Node) => {
      if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
        const parent = node.parent
        const describes = ts.isPropertyAssignment(parent) && parent.name.getText() === 'description'
        if (!describes && SENTENCE.test(node.text) && !NOT_FOR_A_PERSON.includes(node.text)) found.push(`${where(source, node)}: ${JSON.stringify(node.text)}`)
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  assert.equal(found, [])
})

// A failure of their own is built with `engineError(reason, details)`: the worded forms,
// `new EngineError(kind, text)` and `described(...)`, are left to an embedder's own effects.
test('no effect of machines/, effects/client/, effects/node/ or effects/store/ words a failure itself', () => {
  const found: string[] = []
  for (const source of sourcesIn(SPEAKING_IN_CODES)) {
    if (source.fileName === join('machines', 'failure.ts') || source.fileName === join('effects', 'client', 'engine-error.ts')) continue
    const visit = (node: ts.Node) => {
      const args = ts.isNewExpression(node) || ts.isCallExpression(node) ? [...(node.arguments ?? [])] : []
      const callee = ts.isNewExpression(node) || ts.isCallExpression(node) ? node.expression.getText(source) : ''
      const worded = callee === 'EngineError' && args.length >= 2 && (ts.isStringLiteralLike(args[0]!) || !ts.isObjectLiteralExpression(args[1]!))
      if (worded || callee === 'described') found.push(`${where(source, node)}: ${node.getText(source).slice(0, 80)}`)
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  assert.equal(found, [])
})

test('an I/O error is worded by its code in every catalog, an unknown code said as it is', async () => {
  for (const words of await catalogs()) {
    const codes = codesIn('store.cause')
    assert.ok(codes.includes('EROFS') && codes.includes('EACCES') && codes.includes('ENOSPC'), codes.join())
    for (const code of codes) assert.not.match(ioCause(words, code), /^store\.|EROFS|EACCES|ENOSPC/, `${words.locale} ${code}`)
    assert.match(ioCause(words, 'EWHATEVER'), /EWHATEVER/, words.locale)
    assert.not.match(ioCause(words, null), /store\./, words.locale)
  }
  assert.is(ioCause(english, 'EROFS'), 'the file system is read-only')
  assert.is(ioCause(english, 'EWHATEVER'), 'error EWHATEVER')
})

test.run()
