import type { Failure, FailureOf } from '../machines/index.js'
import { isLoopbackHost } from '../effects/client/index.js'
import { quoted } from './printable-text.js'
import { english, type Words } from './words/english.js'

// The one place a failure becomes the line a person reads: the machines and the client carry
// a reason and its details (machines/failure.ts), and the words, in the language of the
// catalog given (cli/words/), are chosen here from them. `--json`'s `error.message` is this
// line in English.
export interface Wording {
  /** the command that would try again: `omicos login` or `omicos cli login` */
  again: string
  /** `--server` as the user typed it, for the wrong-server line */
  serverFlag?: string
  /** the way out of the wrong-server case: what was not done, and what to do */
  wrongServerHint?: 'login' | 'logout' | 'status'
  /** a cancelled pairing can be picked up again for this long (ms) */
  resumableForMs?: number
}

/** A time a server asked to wait: seconds under two minutes ("45 s"), else minutes ("3 min"). */
const wait = (words: Words, ms: number): string => {
  const s = Math.ceil(ms / 1000)
  return s < 120 ? words.t('time.seconds', { count: s }) : words.t('time.minutes', { count: Math.ceil(s / 60) })
}

/** A time left: seconds under 90 s ("30 s"), else minutes ("about 10 min"). */
export const approximately = (words: Words, ms: number): string =>
  ms >= 90_000 ? words.t('time.aboutMinutes', { count: Math.round(ms / 60_000) }) : words.t('time.seconds', { count: Math.max(0, Math.round(ms / 1000)) })

const hostOf = (words: Words, details: { host: string | null }): string => details.host ?? words.t('host.unknown')

const networkCause = (words: Words, code: string | null, status: number | null): string => {
  if (status !== null) return words.t(status === 503 ? 'network.unavailable' : 'network.gateway', { status })
  if (code === null) return words.t('network.other')
  const key = `network.${code}`
  const known = words.t(key as never)
  if (known !== key) return known
  // A certificate code met after the request was sent is still said as a TLS error.
  const tls = words.t(`tls.${code}` as never)
  return tls !== `tls.${code}` ? tls : words.t('network.code', { code })
}

const tlsCause = (words: Words, code: string): string => {
  const key = `tls.${code}`
  const known = words.t(key as never)
  return known === key ? words.t('tls.code', { code }) : known
}

const fieldLine = (words: Words, d: FailureOf<'unusableField'>['details']): string => {
  const label = words.t(`field.name.${d.field}` as never)
  const values = { host: hostOf(words, d), field: label === `field.name.${d.field}` ? d.field : label }
  switch (d.problem) {
    case 'unsafeAddress':
      return words.t('field.unsafeAddress', {
        ...values,
        problem: words.t(`address.${d.address === 'credentials' ? 'userInfo' : d.address}`, { scheme: d.scheme ?? '' }),
      })
    case 'otherSite':
      return words.t('field.otherSite', { ...values, site: d.site ?? words.t('host.unknown') })
    case 'notUserCode':
      return words.t('field.notUserCode', { ...values, min: d.min, max: d.max })
    case 'outOfRange':
      return words.t('field.outOfRange', { ...values, value: d.value === null ? words.t('value.unknown') : d.value, min: d.min, max: d.max })
    default:
      return words.t(`field.${d.problem}`, values)
  }
}

// --- the credential store's files -------------------------------------------------------------

/** A path of the store, with the variable that chose it (`OMICOS_HOME /srv/omicos`). */
const storePath = (words: Words, d: { path: string; variable?: string }): string =>
  d.variable ? words.t('store.path.variable', { variable: d.variable, path: d.path }) : d.path

/** An I/O error, by its code (`EROFS`: the file system is read-only), else the code as it is. */
export const ioCause = (words: Words, code: string | null): string => {
  if (code === null) return words.t('store.cause.unknown')
  const key = `store.cause.${code}`
  const known = words.t(key as never)
  return known === key ? words.t('store.cause.code', { code }) : known
}

const unsafeLine = (words: Words, d: FailureOf<'fileUnsafe'>['details']): string => {
  const path = storePath(words, d)
  switch (d.problem) {
    case 'notOwned':
      return words.t(`store.unsafe.notOwned.${d.entry}`, { path, uid: d.ownerUid })
    case 'notPrivate':
      return 'others' in d
        ? words.t('store.unsafe.notPrivate.acl', { path, others: d.others.join(words.t('store.unsafe.notPrivate.separator')), fix: d.fix })
        : words.t('store.unsafe.notPrivate.mode', { path, mode: d.mode, wanted: d.wanted, fix: d.fix })
    default:
      return words.t(`store.unsafe.${d.problem}`, { path })
  }
}

const ioLine = (words: Words, d: FailureOf<'fileIo'>['details']): string => {
  const values = { path: storePath(words, d), cause: ioCause(words, d.io) }
  switch (d.step) {
    case 'makePrivate':
      return words.t('store.io.makePrivate', { ...values, tool: d.tool })
    case 'writeIn':
      return d.nearest === null ? words.t('store.io.writeIn', values) : words.t('store.io.writeIn.nearest', { ...values, nearest: d.nearest })
    case 'replaceHeld':
      return words.t('store.io.replaceHeld', { ...values, seconds: Math.round(d.waitedMs / 1000) })
    default:
      return words.t(`store.io.${d.step}`, values)
  }
}

const invalidLine = (words: Words, d: FailureOf<'fileInvalid'>['details']): string => {
  const problem =
    d.problem === 'newerVersion'
      ? words.t('store.invalid.newerVersion', { version: d.version })
      : d.problem === 'tooLong'
        ? words.t('store.invalid.tooLong', { field: d.field, max: d.max })
        : words.t(`store.invalid.${d.problem}`, 'field' in d ? { field: d.field } : {})
  return words.t('store.invalid', { path: d.path, problem })
}

const lockHeldLine = (words: Words, d: FailureOf<'lockHeld'>['details']): string => {
  const doing = d.purpose === null ? null : words.t(`lockWait.${d.purpose}`)
  const who =
    d.pid === null
      ? words.t('store.lock.another')
      : doing === null
        ? words.t('store.lock.process', { pid: d.pid })
        : words.t('store.lock.processDoing', { pid: d.pid, doing })
  return words.t('store.lock.held', { path: storePath(words, d), who })
}

/**
 * The two ways to log in again, with the --server and --workspace of `wording.again` (the
 * command that ran, or the login in use), so either works as printed.
 */
const loginAgain = (wording: Wording): { login: string; pair: string } => {
  const rest = wording.again.replace(/^omicos (cli )?login\b/, '')
  return { login: `omicos login${rest}`, pair: `omicos cli login${rest}` }
}

/** The line for `failure`, in the language of `words` (English by default): its cause, then, where one helps, what to do. */
export function describeFailure(failure: Failure, wording: Wording, words: Words = english): string {
  const next = nextStep(failure, words)
  const line = causeLine(failure, wording, words)
  return next === null ? line : words.t('failure.next', { line, next })
}

/** What to do about a connection that failed, by its reason; null when the cause says it. */
function nextStep(failure: Failure, words: Words): string | null {
  switch (failure.reason) {
    case 'dns':
      // A name server that never answered is no misspelt address.
      return words.t(failure.details.code === 'EAI_AGAIN' ? 'next.dnsNoAnswer' : 'next.dns')
    case 'connectionRefused':
    case 'timeout':
    case 'network':
      return words.t(`next.${failure.reason}`)
    case 'tls': {
      const { host, plainHttp } = failure.details
      if (!plainHttp) return null
      return host && isLoopbackHost(host.replace(/:\d+$/, '')) ? words.t('next.plainHttpLoopback', { host }) : words.t('next.plainHttp')
    }
    default:
      return null
  }
}

function causeLine(failure: Failure, wording: Wording, words: Words): string {
  const { t } = words
  if (failure.kind === 'cancelled' && (wording.resumableForMs ?? 0) >= 1000) {
    return t('failure.cancelled.resumable', { left: approximately(words, wording.resumableForMs!), again: wording.again })
  }
  switch (failure.reason) {
    case 'described':
      return failure.details.text
    case 'effectException': {
      const { effect, message } = failure.details
      return effect === null ? t('failure.effectException.unnamed', { message }) : t('failure.effectException', { effect, message })
    }
    case 'needsTerminal':
    case 'storedLoginGone':
    case 'storageRefused':
    case 'noEndpoints':
    case 'pairingDenied':
    case 'noTokenResponse':
      return t(`failure.${failure.reason}`)
    case 'wrongServer': {
      const flag = wording.serverFlag === undefined ? t('server.given') : t('failure.wrongServer.flag', { value: quoted(wording.serverFlag, words) })
      return t('failure.wrongServer', { flag, here: failure.details.here, hint: t(`failure.wrongServer.hint.${wording.wrongServerHint ?? 'login'}`) })
    }
    case 'unusableAddress': {
      const d = failure.details
      if (d.problem === 'credentials') return t('failure.unusableAddress.credentials', { option: d.option })
      const value = d.value === null ? t('value.unsafe') : JSON.stringify(d.value)
      return t('failure.unusableAddress', { option: d.option, value, problem: t(`address.${d.problem}`, { scheme: d.scheme ?? '' }) })
    }
    case 'unusableProcessId':
      return t('failure.unusableProcessId', { processId: JSON.stringify(failure.details.processId) })
    case 'wrongCredentials': {
      const text = failure.details.serverText ?? t('failure.wrongCredentials.default')
      return t('failure.wrongCredentials', { text, count: failure.details.attempts })
    }
    case 'rateLimited':
      return t('failure.rateLimited', { wait: wait(words, failure.details.retryAfterMs) })
    case 'pairingCodeUnusable':
    case 'pairingExpired':
      return t(`failure.${failure.reason}`, { again: wording.again })
    case 'renewRejected':
    case 'renewalLost':
      return t(`failure.${failure.reason}`, { host: hostOf(words, failure.details), ...loginAgain(wording) })
    case 'pairingRequestsLimited':
    case 'registrationNotJson':
    case 'registrationProcessId':
    case 'processTokenExpired':
    case 'tokenTypeNotBearer':
    case 'retryAfterTooLong':
    case 'metadataNotObject':
    case 'noDeviceAuthorization':
    case 'tokenRejectedAtOnce':
      return t(`failure.${failure.reason}`, { host: hostOf(words, failure.details) })
    case 'noPasswordLogin':
      // The pairing with the same server and workspace as the login that was refused.
      return t('failure.noPasswordLogin', { host: hostOf(words, failure.details), pair: wording.again.replace(/^omicos login\b/, 'omicos cli login') })
    case 'fileGone':
      return t('failure.fileGone', { path: failure.details.path })
    case 'loginRejected':
    case 'registrationUnauthorized':
    case 'redirect':
    case 'notJson':
    case 'notObject':
    case 'noMetadata': {
      const status = failure.reason === 'redirect' && failure.details.status === 0 ? '3xx' : failure.details.status
      return t(`failure.${failure.reason}`, { host: hostOf(words, failure.details), status })
    }
    case 'network':
    case 'dns':
    case 'connectionRefused':
      return t('failure.network', { host: hostOf(words, failure.details), cause: networkCause(words, failure.details.code, failure.details.status) })
    case 'tls': {
      const d = failure.details
      if (d.plainHttp || d.code === null) return t('failure.network', { host: hostOf(words, d), cause: t('tls.plainHttp') })
      return t('failure.tls', { host: hostOf(words, d), cause: tlsCause(words, d.code) })
    }
    case 'timeout': {
      const d = failure.details
      // What was left of the command's time is no limit worth naming (a last try may get 0.4 s).
      if (d.afterMs === null || d.deadline) return t('failure.timeout.deadline', { host: hostOf(words, d) })
      return t(d.reading ? 'failure.timeout.reading' : 'failure.timeout', { host: hostOf(words, d), seconds: Math.round(d.afterMs / 100) / 10 })
    }
    case 'proxy': {
      const d = failure.details
      const problem =
        d.problem === 'auth'
          ? t(d.hasCredentials ? 'proxy.authRefused' : 'proxy.authNeeded', { status: d.status, variable: d.variable })
          : d.problem === 'network'
            ? networkCause(words, d.code, null)
            : d.problem === 'status'
              ? t('proxy.status', { status: d.status })
              : t('proxy.closedBeforeTunnel')
      return t('failure.proxy', { host: hostOf(words, d), proxy: d.proxy, variable: d.variable, problem })
    }
    case 'revocationTimeout':
      return t('failure.revocationTimeout', { ms: failure.details.afterMs })
    case 'answerCutShort':
      return t('failure.answerCutShort', { host: hostOf(words, failure.details) })
    case 'malformedHttp':
      return t('failure.malformedHttp', { host: hostOf(words, failure.details), code: failure.details.code })
    case 'registrationField':
      return t('field.missing', { host: hostOf(words, failure.details), field: failure.details.field })
    case 'accountMismatch': {
      const d = failure.details
      return 'askedEmail' in d
        ? t('failure.accountMismatch.asked', { answered: d.answeredEmail, expected: String(d.askedEmail) })
        : t('failure.accountMismatch.stored', { answered: d.answeredEmail, expected: String(d.storedEmail) })
    }
    case 'accountEmailUnusable':
      return t('failure.accountEmailUnusable', { host: hostOf(words, failure.details) })
    case 'tokenTooLong':
      return t('failure.tokenTooLong', { host: hostOf(words, failure.details), field: failure.details.field, max: failure.details.maxLength })
    case 'renewAnswerRefused':
    case 'renewAnswerRefusedSpent':
      return t(`failure.${failure.reason}`, { answer: describeFailure(failure.details.answer, wording, words), ...loginAgain(wording) })
    case 'serverRefused':
    case 'registrationServerError':
    case 'registrationRefused': {
      const d = failure.details
      const code = d.error === '' ? t('serverRefused.unknownError') : d.error
      const why = [code, d.description].filter(Boolean).join(': ')
      return t('failure.serverRefused', {
        host: hostOf(words, d),
        request: t(`request.${d.request}`),
        why: why ? t('failure.serverRefused.why', { why }) : '',
        status: d.status,
      })
    }
    case 'tooLarge':
      return t('failure.tooLarge', { host: hostOf(words, failure.details), mib: failure.details.maxBytes / 1024 / 1024 })
    case 'unusableField':
      return fieldLine(words, failure.details)
    case 'unusableTokenResponse':
      return t(`failure.unusableTokenResponse.${failure.details.field}`, { host: hostOf(words, failure.details) })
    case 'unusableExpiry':
      return t(`failure.unusableExpiry.${failure.details.of}`, { host: hostOf(words, failure.details) })
    case 'issuerMismatch': {
      const d = failure.details
      const values = { host: hostOf(words, d), issuer: String(d.issuer) }
      return d.named === null ? t('failure.issuerMismatch', values) : t('failure.issuerMismatch.named', { ...values, named: d.named })
    }
    case 'endpointOffOrigin': {
      const d = failure.details
      const elsewhere = d.endpointOrigin ?? t('origin.other')
      return t('failure.endpointOffOrigin', { host: hostOf(words, d), field: d.field, elsewhere, issuerOrigin: d.issuerOrigin })
    }
    case 'notAdvertised':
      return t('failure.notAdvertised', { host: hostOf(words, failure.details), field: failure.details.field })
    case 'cancelled':
      return t(`failure.cancelled.${failure.details.flow}`)
    case 'unusableProxy': {
      const d = failure.details
      return d.problem === 'scheme'
        ? t('node.unusableProxy.scheme', { variable: d.variable, scheme: d.scheme, proxy: d.proxy })
        : t('node.unusableProxy.notUrl', { variable: d.variable })
    }
    case 'unusableCaBundle': {
      const d = failure.details
      const problem = d.problem === 'unreadable' && d.code !== null ? t('node.caBundle.unreadableCode', { code: d.code }) : t(`node.caBundle.${d.problem}`)
      return t('node.unusableCaBundle', { variable: d.variable, path: d.path, problem })
    }
    case 'passwordStdin': {
      const d = failure.details
      return d.problem === 'tooLarge' ? t('node.passwordStdin.tooLarge', { kib: d.maxBytes / 1024 }) : t(`node.passwordStdin.${d.problem}`)
    }
    case 'revocationsKept':
      return t('node.revocationsKept', { count: failure.details.count })
    case 'removedWhileUsed':
      return t(`node.removedWhileUsed.${failure.details.during}`, { path: failure.details.path })
    case 'renewalInFlight':
      return t('node.renewalInFlight', { pid: failure.details.pid })
    case 'fileNoHome':
      return t(`store.noHome.${failure.details.home}`)
    case 'workspaceUnusable': {
      const d = failure.details
      if (d.problem === 'homeFolder') return t('store.workspace.homeFolder', { path: d.path ?? t('store.workspace.thisFolder') })
      return t('store.workspace.notDirectory', { variable: d.variable, value: d.value === null ? t('value.unsafe') : JSON.stringify(d.value) })
    }
    case 'fileUnsafe':
      return unsafeLine(words, failure.details)
    case 'fileIo':
      return ioLine(words, failure.details)
    case 'fileInvalid':
      return invalidLine(words, failure.details)
    case 'lockHeld':
      return lockHeldLine(words, failure.details)
    case 'lockLost':
      return t('store.lock.lost', { path: storePath(words, failure.details) })
    case 'lockPairing':
      return t('store.lock.pairing')
  }
}

/**
 * What the password prompt says before asking again: the server's reason for a wrong
 * password, or the wait it asked for.
 */
export function retryNotice(failure: Failure, words: Words = english): string {
  switch (failure.reason) {
    case 'wrongCredentials':
      return failure.details.serverText ?? words.t('failure.wrongCredentials.default')
    case 'rateLimited':
      return words.t('notice.rateLimited', { host: hostOf(words, failure.details), seconds: Math.ceil(failure.details.retryAfterMs / 1000) })
    default:
      return describeFailure(failure, { again: 'omicos login' }, words)
  }
}
