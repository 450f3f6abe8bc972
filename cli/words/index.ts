// The words the CLI prints, by language. English is a plain object (cli/words/english.ts), so
// the usual start loads no library; another language's catalog (the same keys, in i18next's
// format) is read through i18next, loaded only then. `--json` always speaks English.
import { en, type Catalog } from './en.js'
import { english, type Words } from './english.js'

export { english, type Words } from './english.js'

// Languages with a catalog of their own, by tag; the tag of `LC_ALL`, `LC_MESSAGES` or `LANG`
// is matched in full (`zh-Hant`), then by its language (`zh`).
const CATALOGS: Record<string, () => Promise<Catalog>> = {}

/** The language asked for by the environment, as POSIX orders it: LC_ALL, LC_MESSAGES, LANG. */
export const localeOf = (env: NodeJS.ProcessEnv): string => {
  const value = env.LC_ALL || env.LC_MESSAGES || env.LANG || ''
  // zh_TW.UTF-8@euro -> zh-TW; C and POSIX are English
  const tag = value.replace(/[.@].*$/, '').replace(/_/g, '-')
  return !tag || tag === 'C' || tag === 'POSIX' ? 'en' : tag
}

const catalogFor = (locale: string): string | null => {
  if (CATALOGS[locale]) return locale
  const language = locale.split('-')[0]!
  return CATALOGS[language] ? language : null
}

/** The words for `env`'s language: English without a load, any other through i18next. */
export async function wordsFor(env: NodeJS.ProcessEnv): Promise<Words> {
  const locale = catalogFor(localeOf(env))
  if (!locale) return english
  return wordsFrom(locale, await CATALOGS[locale]!())
}

/**
 * A catalog read by i18next: its interpolation (nothing escaped: these are terminal lines, and
 * values are not read again for `{{` or `$t(`), its plurals, English where a key is missing.
 */
export async function wordsFrom(locale: string, resources: Catalog): Promise<Words> {
  const { default: i18next } = await import('i18next')
  const instance = i18next.createInstance()
  await instance.init({
    lng: locale,
    fallbackLng: 'en',
    resources: { [locale]: { translation: resources }, en: { translation: en } },
    keySeparator: false,
    nsSeparator: false,
    interpolation: { escapeValue: false, skipOnVariables: true },
  })
  return { locale, t: (key, values) => instance.t(key, values ?? {}) as string }
}
