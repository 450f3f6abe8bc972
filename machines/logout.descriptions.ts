// What the logout machine and each of its states mean, for docs/machines/logout.md:
// `npm run visualize` merges them into the definition of logout.machine.ts. The running
// machine does not carry them, so a front end that bundles it ships no documentation.
import type { MachineDescriptions } from './descriptions.js'

export const logoutDescriptions: MachineDescriptions = {
  machine: "Logout: revokes the current account's tokens (best effort), then deletes that account's credential files.",
  states: {
    resolving: 'Finds the account logged in here (workspace file first, then the global one).',
    notLoggedIn: 'Nobody is logged in: nothing to delete.',
    revoking: 'Asks the server to revoke the tokens (RFC 7009); an error or revokeTimeoutMs moves on anyway.',
    deleting: "Deletes every credential file whose account_id is this account's, and no other; a cancel now lets it finish.",
    loggedOut: 'Logged out: the files are gone (context.revoked says whether the server confirmed).',
    failed: 'Not logged out: cancelled, another server than the one expected, or the files could not be found or deleted; context.error says why.',
  },
}
