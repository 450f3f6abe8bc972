// The machines that get a page in docs/machines/, by the name of their file. The login page
// shows its grant children by name; each grant has a page of its own.
import { deviceGrantMachine, loginMachine, logoutMachine, passwordGrantMachine, statusMachine } from '../machines/index.js'
import type { MachineDocEntry } from './machine-diagram.js'

export const machineDocs: MachineDocEntry[] = [
  { name: 'login', machine: loginMachine },
  { name: 'password-grant', machine: passwordGrantMachine },
  { name: 'device-grant', machine: deviceGrantMachine },
  { name: 'logout', machine: logoutMachine },
  { name: 'status', machine: statusMachine },
]
