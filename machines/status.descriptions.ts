// What the status machine and each of its states mean, for docs/machines/status.md:
// `npm run visualize` merges them into the definition of status.machine.ts. The running
// machine does not carry them, so a front end that bundles it ships no documentation.
import type { MachineDescriptions } from './descriptions.js'

export const statusDescriptions: MachineDescriptions = {
  machine: 'Status: what the credential files say, and optionally whether the server still accepts the user token.',
  states: {
    reading: 'Reads the global and workspace credential files (no network).',
    verifying: 'Asks the account endpoint whether the user token still works (only with online and a login).',
    renewing: 'The user token was rejected or is within a day of its end: renews it with the refresh token, under the lock.',
    reported: 'The report is ready (context.verified is null when not checked online).',
    failed:
      'Cancelled, another server or account than the one expected, or the files or the server could not be read; context.error says why, and context.report keeps what the files said.',
  },
}
