// The machines that get a page in docs/machines/, by the name of their file. The login page
// shows its grant children by name; each grant has a page of its own.
import { deviceGrant, login, logout, passwordGrant, status } from '../machines/index.js'
import type { MachineDocEntry } from './machine-diagram.js'

export const machineDocs: MachineDocEntry[] = [
  { name: 'login', machine: login },
  { name: 'password-grant', machine: passwordGrant },
  { name: 'device-grant', machine: deviceGrant },
  { name: 'logout', machine: logout },
  { name: 'status', machine: status },
]
