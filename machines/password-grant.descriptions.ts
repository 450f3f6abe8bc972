// What the password grant and each of its states mean, for docs/machines/password-grant.md:
// `npm run visualize` merges them into the definition of password-grant.machine.ts. The running
// machine does not carry them, so a front end that bundles it ships no documentation.
import type { MachineDescriptions } from './descriptions.js'

export const passwordGrantDescriptions: MachineDescriptions = {
  machine: 'The password grant: one token request per try, asked again on a terminal after a wrong password.',
  states: {
    starting: 'Decides where the grant begins: with what was given, with a prompt, or not at all without a terminal.',
    reachingServer: 'Reaches the server (its discovery document) before anything is asked on the terminal; tried again like a try that could not connect.',
    waitingToReach: 'The server could not be reached before the prompt: waits retryDelayMs (doubling each time), then tries again.',
    prompting: 'Asks on the terminal for whatever of email and password was not given.',
    authenticating: 'Sends the password grant to the token endpoint and sorts the answer.',
    invalidCredentials: 'The server said wrong email or password and tries remain: asks again, showing why.',
    rateLimited: 'The server answered 429: waits out its Retry-After (rateLimitWaitMs), then tries again.',
    unreachable: 'The server could not be reached: waits retryDelayMs (doubling each time), then tries again.',
    granted: 'The server issued tokens for these credentials.',
    failed: 'Ended without tokens; context.error says why.',
  },
}
