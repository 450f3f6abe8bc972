// A child of bench-server/compare.js and paced.js: node-oidc-provider as it comes, device flow
// only, its development keys, storage in a plain Map (the library's own memory adapter is an
// LRU of 1,000 entries, which would drop codes of the larger loads and answer invalid_grant).
// It sends { url } once it listens and exits on "stop" or when its parent goes.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider'
import { CLIENT_ID, DEVICE_GRANT, SCOPE } from './common.js'

const http = createServer()
await new Promise<void>((done) => http.listen(0, '127.0.0.1', done))
const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
const models = new Map<string, AdapterPayload | string>()
const key = (model: string, id: string) => `${model}:${id}`
const payloadOf = (value: AdapterPayload | string | undefined) => (typeof value === 'object' ? value : undefined)
const adapter = (model: string): Adapter => ({
  upsert: async (id, payload) => {
    models.set(key(model, id), payload)
    if (payload.userCode) models.set(key(`${model}:userCode`, payload.userCode), id)
  },
  find: async (id) => payloadOf(models.get(key(model, id))),
  findByUserCode: async (userCode) => payloadOf(models.get(key(model, String(models.get(key(`${model}:userCode`, userCode)))))),
  findByUid: async () => undefined,
  consume: async (id) => {
    const payload = payloadOf(models.get(key(model, id)))
    if (payload) payload.consumed = Math.floor(Date.now() / 1000)
  },
  destroy: async (id) => {
    models.delete(key(model, id))
  },
  revokeByGrantId: async () => {},
})
const provider = new Provider(issuer, {
  adapter,
  clients: [{ client_id: CLIENT_ID, token_endpoint_auth_method: 'none', grant_types: [DEVICE_GRANT], response_types: [], redirect_uris: [] }],
  scopes: SCOPE.split(' '),
  features: { devInteractions: { enabled: false }, deviceFlow: { enabled: true } },
})
// Quiet: the app's error event (Koa's, which the library's types leave out) would log each one.
const events: NodeJS.EventEmitter = provider as unknown as NodeJS.EventEmitter
events.on('error', () => {})
http.on('request', provider.callback())
process.on('disconnect', () => process.exit(0))
process.on('message', (message) => message === 'stop' && process.exit(0))
process.send?.({ url: issuer })
