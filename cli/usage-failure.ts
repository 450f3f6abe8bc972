import type { WordKey } from './words/en.js'
import { english, type Values, type Words } from './words/english.js'

/**
 * A command line a command refuses (exit 2). Its message is English, for `--json`; a line on the
 * terminal is worded again in the catalog's language.
 */
export class UsageFailure extends Error {
  readonly kind = 'usage' as const

  constructor(
    message: string,
    private readonly say?: (words: Words) => string,
  ) {
    super(message)
  }

  /** The failure of catalog entry `key`. */
  static of(key: WordKey, values?: Values): UsageFailure {
    return UsageFailure.worded((words) => words.t(key, values))
  }

  /** The failure `say` words, in any language. */
  static worded(say: (words: Words) => string): UsageFailure {
    return new UsageFailure(say(english), say)
  }

  /** The message in `words`' language. */
  wordedIn(words: Words): string {
    return this.say ? this.say(words) : this.message
  }
}
