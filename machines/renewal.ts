/**
 * A user token closer than this to its end is renewed rather than used as it is (a day): when a
 * login finds it already there, when status checks it online, and when a process resolves it.
 */
export const RENEW_WITHIN_MS = 86_400_000
