import { Command, type Usage } from 'clipanion'
import { wrapWords } from './terminal.js'
import type { WordKey } from './words/en.js'
import type { Words } from './words/english.js'

// The help of each command, from the catalog. clipanion lays out an English help well; in
// another language it would not: its frame (Usage, Options...) is English, and it breaks the
// text of details only at spaces, 80 characters a line, so a paragraph of Chinese (no spaces,
// two columns a character) would run on, or lose characters where no space comes for 80. So in
// another language the details are handed to clipanion as a mark, and put in afterwards,
// broken by columns (cli/terminal.ts wrapWords), with the frame in the catalog's words.

export interface HelpWords {
  description: WordKey
  details: WordKey
  /** the exit-code table, or anything else, after the paragraphs of `details` */
  after?: string
  examples: Array<[WordKey, string]>
}

const HELD = new Map<string, string>()

/** A command's usage in `words`' language. */
export function usageIn(words: Words, help: HelpWords): Usage {
  const paragraphs = [words.t(help.details), ...(help.after ? [help.after] : [])].join('\n\n')
  const examples = help.examples.map(([key, line]) => [words.t(key), line] as [string, string])
  if (words.locale === 'en') {
    // As the command classes wrote it before the catalog, for a byte-identical English help.
    const details = `\n      ${paragraphs.replace(/\n/g, '\n      ')}\n    `
    return Command.Usage({ description: words.t(help.description), details, examples })
  }
  const mark = `omicos-help-details-${HELD.size}`
  HELD.set(mark, paragraphs)
  return Command.Usage({ description: words.t(help.description), details: mark, examples })
}

const FRAME: Array<[english: RegExp, key: WordKey]> = [
  [/^Usage$/m, 'help.usage'],
  [/^Options$/m, 'help.options'],
  [/^Details$/m, 'help.details'],
  [/^Examples$/m, 'help.examples'],
  [/^General commands$/m, 'help.generalCommands'],
]

/** clipanion's help text in `words`' language (English as it is). */
export function helpIn(words: Words, text: string): string {
  if (words.locale === 'en') return text
  let out = text
  for (const [english, key] of FRAME) out = out.replace(english, words.t(key))
  out = out.replace(
    /You can also print more details about any of these commands by calling them with \n?the `-h,--help` flag right after the command name\.\n/,
    `${wrapParagraph(words.t('help.moreDetails'), 80).join('\n')}\n`,
  )
  for (const [mark, paragraphs] of HELD) out = out.replace(`${mark}\n`, `${wrapDetails(paragraphs)}\n`)
  return out
}

/** Paragraphs as clipanion lays them out (a blank line between, list items indented), broken by columns. */
const wrapDetails = (paragraphs: string): string =>
  paragraphs
    .split(/\n\s*\n/)
    .flatMap((paragraph) => paragraph.split(/\n(?=- )/))
    .map((paragraph) => {
      const item = /^- (.*)$/s.exec(paragraph)
      if (!item) return wrapParagraph(paragraph, 80).join('\n')
      return wrapParagraph(item[1]!, 78)
        .map((line, i) => (i === 0 ? `- ${line}` : `  ${line}`))
        .join('\n')
    })
    .join('\n\n')

const wrapParagraph = (text: string, columns: number): string[] => wrapWords(text.replace(/\s*\n\s*/g, ' '), columns)
