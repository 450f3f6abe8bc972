export { startServer, type ServerOptions, type RunningServer, type RequestLogEntry } from './start-server.js'
export { addUser, listUsers, removeUser } from './accounts.js'
export { decidePairing, type PairingDecision } from './decide-pairing.js'
export { CLIENT_ID, DEVICE_CODE_GRANT } from './provider.js'
