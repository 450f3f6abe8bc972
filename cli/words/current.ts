// The words of this process: English until the entry (cli/main.ts, cli/status-main.ts) has read
// the environment's language, which it does before any command is defined or run. Commands read
// them here because clipanion reads help texts from the command classes, before any command
// (and its context) exists.
import { english, type Words } from './english.js'

let chosen: Words = english

export const currentWords = (): Words => chosen

export const useWords = (words: Words): void => {
  chosen = words
}
