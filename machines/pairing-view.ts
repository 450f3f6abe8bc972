// What a front end shows while a device login waits for approval, read from a login snapshot
// with its types: the code, the addresses, the deadline, the interval in force, the polls so
// far and a backoff. The grant keeps the login's `context.pairing` up to date after every
// answer, so nothing has to reach into the child grant's snapshot.
import type { SnapshotFrom } from 'xstate'
import type { PairingView } from './device-grant.contract.js'
import type { loginMachine } from './login.machine.js'

/** The pairing a login shows while it waits for approval, or null when it does not wait. */
export const pairingViewOf = (snapshot: SnapshotFrom<typeof loginMachine>): PairingView | null =>
  snapshot.status === 'active' && snapshot.value === 'deviceGrant' ? snapshot.context.pairing : null
