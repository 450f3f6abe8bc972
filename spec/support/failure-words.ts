import { describeFailure } from '../../cli/failure-words.js'
import { toFailure } from '../../machines/failure.js'

/** The line a person reads for what an effect threw (cli/failure-words.ts, in English). */
export const wordsOf = (error: unknown): string => describeFailure(toFailure(error), { again: 'omicos login' })
