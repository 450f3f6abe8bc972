import { hasUnsafeChars } from '../effects/client/index.js'
import { english, type Words } from './words/english.js'

// How text reaches the terminal: a value the user typed, or a message, is shown as one line of
// printable characters. No command-line parser here, so the status path can use it unloaded.

export const firstLine = (text: string): string => text.split(/\r?\n/)[0]!.trim()

/**
 * A value the user typed, for a message: quoted, or "the value" in the words of `words` when it
 * holds control, escape or bidi characters, which a terminal would act on instead of showing.
 */
export const quoted = (value: string, words: Words = english): string => (isUnsafe(value) ? words.t('value.unsafe') : JSON.stringify(value))

/** Control (C0, DEL, C1), bidi override or lone surrogate characters: never printed as they are. */
export const isUnsafe = (value: string): boolean => hasUnsafeChars(value) || /\p{Cs}/u.test(value)

/** A last guard for a line about to be printed: unsafe characters become U+FFFD. */
export const printable = (line: string): string =>
  // Lone surrogates too: the server refuses them (server/process-tokens.ts) and they do not encode.
  line.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu, '\uFFFD')
