/**
 * What a machine and each of its states mean, in words for the generated docs
 * (docs/machines/): `machine` for the machine, `states` by state path (`awaitingApproval.waiting`).
 * Kept beside each machine in `<name>.descriptions.ts`, never in the machine's definition: a
 * front end bundles the machine, not its documentation. spec/machines/diagrams.spec.ts
 * requires one for every state, and none for a state that does not exist.
 */
export interface MachineDescriptions {
  machine: string
  states: Readonly<Record<string, string>>
}
