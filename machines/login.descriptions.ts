// What the login machine and each of its states mean, for docs/machines/login.md:
// `npm run visualize` merges them into the definition of login.machine.ts. The running
// machine does not carry them, so a front end that bundles it ships no documentation.
import type { MachineDescriptions } from './descriptions.js'

export const loginDescriptions: MachineDescriptions = {
  machine:
    'A login, by password or by pairing: the existing login and the files first, then the grant (a child machine), the account, the lock, the process registration and the credential files.',
  states: {
    checkingInput: 'Checks what the front end gave before anything is read or sent: a process id no server registers ends the login here (usage).',
    checkingExisting:
      'Reads the credential store and checks every file the login will write (before anything goes online): is this account logged in to this server already?',
    verifyingExisting:
      'The login asked for is there already: asks the account endpoint whether its user token still works, so "already logged in" is said only after looking.',
    renewingExisting: 'The existing login is near its end or was rejected: renews its user token with the refresh token instead of logging in again.',
    alreadyLoggedIn: 'The login asked for is there and works (or was renewed, or the server could not be asked): nothing to do.',
    passwordGrant: 'The grant, as a child machine (password-grant.machine.ts): prompts, tries, waits; it ends with tokens or a failure.',
    deviceGrant:
      'The grant, as a child machine (device-grant.machine.ts): the code, then polling paced by RFC 8628; context.pairing holds the code while it waits for approval.',
    identifying: 'Asks the account endpoint whose tokens these are.',
    locking: 'Takes the credential lock before anything is rotated, so a login that cannot write leaves every token it did not issue alive.',
    registeringProcess: 'Registers this process with the user token and receives a fresh process token (the previous one stops working).',
    markingReplaced:
      'The registration failed after it may have reached the server, which then rotated the stored process token away: marks it so in the credential files of this account and process (only the marker), so status says so and the next login registers again.',
    persisting: 'Writes the credential files under the lock (global and/or workspace); a cancel now lets the write finish.',
    revokingReplaced: 'The new files are safe: revokes the tokens they replaced that no file holds any more (best effort, bounded by revokeTimeoutMs).',
    loggedIn: 'Logged in: the credential files hold the new login.',
    revokingIssued:
      'The login failed after the server issued tokens: revokes them (best effort, bounded by revokeTimeoutMs) so none is left alive that no file holds.',
    failed: 'Ended without logging in; context.error says why, context.resumableUntil whether a cancelled pairing can go on.',
  },
}
