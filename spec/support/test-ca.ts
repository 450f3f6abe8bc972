// A certificate authority made with openssl for one spec file, a server certificate it signs
// for 127.0.0.1 and localhost, and an https front for the reference server: it terminates TLS
// with that certificate and forwards each request to the reference server over http, writing
// the front's address where the server's answers name its own (discovery, the pairing page),
// the way a TLS-terminating proxy in front of it would be configured.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { createServer, type Server } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { timeout } from './wait.js'

export interface TestCa {
  dir: string
  /** the CA certificate, PEM, in a file of its own */
  caFile: string
  serverKey: string
  serverCert: string
  cleanup(): void
}

/** A CA and a server certificate for 127.0.0.1 / localhost, valid for a day. */
export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-test-ca-'))
  const at = (name: string) => join(dir, name)
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 })
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=omicos test CA', '-keyout', at('ca.key'), '-out', at('ca.pem'))
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', at('server.key'), '-out', at('server.csr'))
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n')
  openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    at('server.ext'),
    '-out',
    at('server.pem'),
  )
  return {
    dir,
    caFile: at('ca.pem'),
    serverKey: readFileSync(at('server.key'), 'utf8'),
    serverCert: readFileSync(at('server.pem'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

export interface TlsFront {
  /** https://127.0.0.1:PORT */
  url: string
  port: number
  /** request lines seen, `GET /path` */
  requests: string[]
  close(): Promise<void>
}

/** An https server with the CA's certificate in front of the http server at `upstream`. */
export async function startTlsFront(ca: TestCa, upstream: string): Promise<TlsFront> {
  const requests: string[] = []
  const target = new URL(upstream)
  let ownOrigin = ''
  const server: Server = createServer({ key: ca.serverKey, cert: ca.serverCert }, (req, res) => {
    requests.push(`${req.method} ${req.url}`)
    const headers = { ...req.headers, host: target.host, 'accept-encoding': 'identity' }
    const forward = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      const chunks: Buffer[] = []
      answer.on('data', (chunk: Buffer) => chunks.push(chunk))
      answer.on('end', () => {
        const type = String(answer.headers['content-type'] ?? '')
        let body = Buffer.concat(chunks)
        if (/json|html|text/.test(type)) body = Buffer.from(body.toString('utf8').split(target.origin).join(ownOrigin))
        const out = { ...answer.headers }
        delete out['content-length']
        delete out['transfer-encoding']
        if (typeof out.location === 'string') out.location = out.location.split(target.origin).join(ownOrigin)
        res.writeHead(answer.statusCode ?? 502, { ...out, 'content-length': String(body.length) })
        res.end(body)
      })
    })
    forward.on('error', () => {
      res.writeHead(502)
      res.end()
    })
    req.pipe(forward)
  })
  // A client that rejects the certificate makes the TLS handshake fail: not an error here.
  server.on('tlsClientError', () => {})
  await timeout(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 5_000, 'starting the https front')
  const { port } = server.address() as { port: number }
  ownOrigin = `https://127.0.0.1:${port}`
  return {
    url: ownOrigin,
    port,
    requests,
    close: () =>
      timeout(
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
        5_000,
        'stopping the https front',
      ),
  }
}
