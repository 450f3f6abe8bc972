// The machines that get a page in docs/machines/, by the name of their file.
import { deviceLogin, logout, passwordLogin, status } from '../machines/index.js'
import type { MachineDocEntry } from './machine-diagram.js'

export const machineDocs: MachineDocEntry[] = [
  { name: 'password-login', machine: passwordLogin },
  { name: 'device-login', machine: deviceLogin },
  { name: 'logout', machine: logout },
  { name: 'status', machine: status },
]
