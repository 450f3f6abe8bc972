// The kinds of the failure reasons that only Node gives (failure.ts has the rest): what a
// connection failed with by Node's, undici's and llhttp's codes (effects/client/connection-codes.ts,
// which a browser bundle replaces too) and a proxy, the login files renewed or realigned
// (effects/node/), the environment they read and the prompts, and the credential store's home,
// files and locks (effects/store/). Apart so that a browser bundle, which never meets them, takes
// node-reasons.browser.ts in their place (package.json `browser`). A reason a browser effect
// may give belongs in failure.ts.
export const NODE_REASON_KIND = {
  dns: 'unreachable',
  connectionRefused: 'unreachable',
  tls: 'unreachable',
  proxy: 'unreachable',
  malformedHttp: 'bad_response',
  answerCutShort: 'bad_response',
  renewalLost: 'refused',
  fileGone: 'local_files',
  unusableProxy: 'usage',
  unusableCaBundle: 'usage',
  passwordStdin: 'usage',
  revocationsKept: 'unreachable',
  removedWhileUsed: 'local_files',
  renewalInFlight: 'local_files',
  fileNoHome: 'usage',
  workspaceUnusable: 'usage',
  fileUnsafe: 'local_files',
  fileIo: 'local_files',
  fileInvalid: 'local_files',
  lockHeld: 'local_files',
  lockLost: 'local_files',
  lockPairing: 'local_files',
} as const
