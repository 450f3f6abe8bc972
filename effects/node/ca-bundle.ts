// The certificate authorities an https request trusts. Node reads NODE_EXTRA_CA_CERTS itself,
// at start-up, into its default store; SSL_CERT_FILE (what OpenSSL, curl and gh users set) and
// OMICOS_CA_BUNDLE are read here and added to Node's roots. Passing `ca` to an agent replaces
// the default store, and tls.rootCertificates does not hold NODE_EXTRA_CA_CERTS, so once a
// bundle is given that file is added again here.
import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { rootCertificates } from 'node:tls'
import { engineError } from '../client/engine-error.js'
import type { Env } from '../store/home.js'

/** The variables that add trusted CAs, in the order a message names them. */
export const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'OMICOS_CA_BUNDLE'] as const

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

const certificatesIn = (text: string): string[] =>
  (text.match(PEM_BLOCK) ?? []).filter((pem) => {
    try {
      new X509Certificate(pem)
      return true
    } catch {
      return false
    }
  })

/** The PEM certificates of a bundle a user named; unreadable or empty is a usage error naming it. */
const readBundle = (variable: string, file: string): string[] => {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? null
    const problem = code === 'ENOENT' ? 'missing' : code === 'EACCES' ? 'denied' : code === 'EISDIR' ? 'folder' : 'unreadable'
    throw engineError('unusableCaBundle', { variable, path: file, problem, code }, error)
  }
  const pems = certificatesIn(text)
  if (pems.length === 0) throw engineError('unusableCaBundle', { variable, path: file, problem: 'noPem', code: null })
  return pems
}

/**
 * The `ca` option for https agents: undefined (Node's default store, NODE_EXTRA_CA_CERTS
 * included) when neither SSL_CERT_FILE nor OMICOS_CA_BUNDLE is set, else Node's roots, the
 * NODE_EXTRA_CA_CERTS file (skipped when unreadable, as Node does) and the bundles.
 */
export const trustedCas = (env: Env): string[] | undefined => {
  const bundles: string[] = []
  for (const variable of ['SSL_CERT_FILE', 'OMICOS_CA_BUNDLE'] as const) {
    const file = env[variable]?.trim()
    if (file) bundles.push(...readBundle(variable, file))
  }
  if (bundles.length === 0) return undefined
  const extra = env.NODE_EXTRA_CA_CERTS?.trim()
  let nodeExtra: string[] = []
  if (extra) {
    try {
      nodeExtra = certificatesIn(readFileSync(extra, 'utf8'))
    } catch {}
  }
  return [...rootCertificates, ...nodeExtra, ...bundles]
}
