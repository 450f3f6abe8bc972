// English, read from the plain catalog with a few lines of code: the usual start, and a
// browser front end, load no library for it.
import { en, type Catalog, type WordKey } from './en.js'

export type Values = Record<string, string | number>

export interface Words {
  /** the language's tag, `en` or one of cli/words/index.ts's catalogs */
  locale: string
  t(key: WordKey, values?: Values): string
}

const interpolate = (text: string, values: Values | undefined): string =>
  values ? text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole)) : text

const englishPlural = new Intl.PluralRules('en')
const catalog: Catalog = en

export const english: Words = {
  locale: 'en',
  t(key, values) {
    const count = values?.count
    const form = typeof count === 'number' ? catalog[`${key}_${englishPlural.select(count)}`] : undefined
    return interpolate(form ?? catalog[key] ?? key, values)
  },
}
