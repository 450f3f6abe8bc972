export { startServer, type ServerOptions, type RunningServer, type RequestLogEntry } from './http/start-server.js'
export { addAccount, addUser, listUsers, removeUser } from './storage/accounts.js'
export { decidePairing, type PairingDecision } from './device-page/decide-pairing.js'
export { CLIENT_ID, DEVICE_CODE_GRANT } from './oauth/provider.js'
