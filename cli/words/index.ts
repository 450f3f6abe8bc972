// The words the CLI prints, by language. English is a plain object (cli/words/english.ts), so
// the usual start loads no library; another language's catalog (the same keys, in i18next's
// format) is read through i18next, loaded only then. `--json` always speaks English.
import { en, type Catalog } from './en.js'
import { english, type Words } from './english.js'

export { english, type Words } from './english.js'

/** Languages with a catalog of their own, by BCP 47 tag, each loaded only when asked for. */
export const CATALOGS: Record<string, () => Promise<Catalog>> = {
  'zh-Hans': async () => (await import('./zh-hans.js')).zhHans,
  'zh-Hant': async () => (await import('./zh-hant.js')).zhHant,
}

/** The language asked for by the environment, as POSIX orders it: LC_ALL, LC_MESSAGES, LANG. */
export const localeOf = (env: NodeJS.ProcessEnv): string => {
  const value = env.LC_ALL || env.LC_MESSAGES || env.LANG || ''
  // zh_TW.UTF-8@euro -> zh-TW; C and POSIX are English
  const tag = value.replace(/[.@].*$/, '').replace(/_/g, '-')
  return !tag || tag === 'C' || tag === 'POSIX' ? 'en' : tag
}

// Chinese is written in two scripts, and a locale names a region more often than a script:
// Taiwan, Hong Kong and Macau write Traditional characters, the mainland and Singapore
// Simplified (the script, when named, decides: zh-Hant-CN is Traditional).
const TRADITIONAL_REGIONS = ['TW', 'HK', 'MO']

/** The catalog for `locale` (`zh-TW` -> `zh-Hant`), or null for English. */
export const catalogFor = (locale: string): string | null => {
  const [language, ...rest] = locale.split('-')
  if (language?.toLowerCase() !== 'zh') return null
  const script = rest.find((part) => part.length === 4)?.toLowerCase()
  if (script === 'hant') return 'zh-Hant'
  if (script === 'hans') return 'zh-Hans'
  return rest.some((part) => TRADITIONAL_REGIONS.includes(part.toUpperCase())) ? 'zh-Hant' : 'zh-Hans'
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
