// What the device grant and each of its states mean, for docs/machines/device-grant.md:
// `npm run visualize` merges them into the definition of device-grant.machine.ts. The running
// machine does not carry them, so a front end that bundles it ships no documentation.
import type { MachineDescriptions } from './descriptions.js'

export const deviceGrantDescriptions: MachineDescriptions = {
  machine:
    'The device authorization grant (RFC 8628): asks for a pairing code, and polls the token endpoint, paced as section 3.5 says, until the code is approved, declined or dead.',
  states: {
    requestingCode: 'Asks the device authorization endpoint for a device code and a user code.',
    awaitingApproval: 'The address and the user code are out; waits for the other device. The code dies at context.deadline.',
    'awaitingApproval.reporting':
      "Passed through after the code arrives and after every answer: a login's grant tells its parent the pairing, the polls so far and the wait.",
    'awaitingApproval.waiting': 'Waits context.waitMs (the interval, or a backoff after failures) before the next poll.',
    'awaitingApproval.polling': 'Asks the token endpoint whether the code has been approved.',
    granted: 'The other device approved: the token endpoint issued the tokens (the device code is spent and forgotten).',
    failed: 'Ended without tokens: declined, expired, unusable, cancelled or a failure; context.error says why.',
  },
}
