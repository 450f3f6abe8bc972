// Text that a device or a daemon sends and the server shows back to a person (the device
// request's process_name and hostname on the /device page, a registered process name): short,
// and free of the characters that can make a screen or a terminal show something other than
// what was sent.
//
// UNSAFE_CHARS is the client's own rule, kept identical on purpose: effects/client/server-url.ts
// (UNSAFE_CHARS / hasUnsafeChars) refuses the same set in what a server sends it. The server
// does not import effects/, so the set is repeated here; spec/server/display-text.spec.ts
// checks that the two agree on every code point. Change both together.
//   C0 controls, DEL, C1 controls               U+0000–001F, U+007F–009F
//   left-to-right / right-to-left marks          U+200E, U+200F
//   bidi embeddings and overrides (LRE … RLO)    U+202A–202E
//   bidi isolates (LRI, RLI, FSI, PDI)           U+2066–2069
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/

// A lone surrogate is not text at all (it cannot be encoded as UTF-8), so it is refused too.
const LONE_SURROGATE = /\p{Cs}/u

export const MAX_DISPLAY_TEXT = 200

export const hasUnsafeChars = (value: string): boolean => UNSAFE_CHARS.test(value)

/** Printable text of 1..max characters, none of them unsafe to show. */
export const isDisplayText = (value: unknown, max = MAX_DISPLAY_TEXT): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max && !hasUnsafeChars(value) && !LONE_SURROGATE.test(value)

/** A last guard for a line about to be printed: unsafe characters and lone surrogates become U+FFFD. */
export const printable = (line: string): string => line.replace(new RegExp(`${UNSAFE_CHARS.source}|${LONE_SURROGATE.source}`, 'gu'), '\uFFFD')
