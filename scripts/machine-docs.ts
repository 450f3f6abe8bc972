// The machines that get a page in docs/machines/, by the name of their file. The login page
// shows its grant children by name; each grant has a page of its own. The running machines carry
// no descriptions (a front end would bundle them): each is drawn from its definition with the
// words of its `<name>.descriptions.ts` merged back in, so the pages read as if written in it.
import { createMachine, type AnyStateMachine } from 'xstate'
import { deviceGrantMachine, loginMachine, logoutMachine, passwordGrantMachine, statusMachine } from '../machines/index.js'
import type { MachineDescriptions } from '../machines/descriptions.js'
import { deviceGrantDescriptions } from '../machines/device-grant.descriptions.js'
import { loginDescriptions } from '../machines/login.descriptions.js'
import { logoutDescriptions } from '../machines/logout.descriptions.js'
import { passwordGrantDescriptions } from '../machines/password-grant.descriptions.js'
import { statusDescriptions } from '../machines/status.descriptions.js'
import type { MachineDocEntry } from './machine-diagram.js'

interface StateConfig {
  description?: string
  states?: Record<string, StateConfig>
}

/** The state config with the description of each state, by its path, written in. */
const withDescriptions = (config: StateConfig, states: MachineDescriptions['states'], path: string[]): StateConfig => {
  const described: StateConfig = { ...config }
  const description = path.length ? states[path.join('.')] : undefined
  if (description !== undefined) described.description = description
  if (config.states) {
    described.states = Object.fromEntries(Object.entries(config.states).map(([key, state]) => [key, withDescriptions(state, states, [...path, key])]))
  }
  return described
}

/** The same machine (definition and implementations) with its descriptions merged into its config. */
export const describedMachine = (machine: AnyStateMachine, descriptions: MachineDescriptions): AnyStateMachine =>
  createMachine(
    { ...withDescriptions(machine.config as StateConfig, descriptions.states, []), description: descriptions.machine } as AnyStateMachine['config'],
    machine.implementations as never,
  )

/** Each machine with the words that describe it: the docs are drawn from these. */
export const machineDescriptions: { name: string; machine: AnyStateMachine; descriptions: MachineDescriptions }[] = [
  { name: 'login', machine: loginMachine, descriptions: loginDescriptions },
  { name: 'password-grant', machine: passwordGrantMachine, descriptions: passwordGrantDescriptions },
  { name: 'device-grant', machine: deviceGrantMachine, descriptions: deviceGrantDescriptions },
  { name: 'logout', machine: logoutMachine, descriptions: logoutDescriptions },
  { name: 'status', machine: statusMachine, descriptions: statusDescriptions },
]

export const machineDocs: MachineDocEntry[] = machineDescriptions.map(({ name, machine, descriptions }) => ({
  name,
  machine: describedMachine(machine, descriptions),
}))
