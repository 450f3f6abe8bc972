// The language a client asks for (RFC 9110 §12.5.4 Accept-Language), among the ones the
// server speaks: English, and Chinese in Simplified and in Traditional characters. The first
// range by weight that one of them matches wins; none (or no header) is English.
export type Language = 'en' | 'zh-Hans' | 'zh-Hant'

const TRADITIONAL_REGIONS = ['tw', 'hk', 'mo']

const languageOfRange = (range: string): Language | null => {
  const [primary, ...rest] = range.toLowerCase().split('-')
  if (primary === 'en') return 'en'
  if (primary !== 'zh') return null
  if (rest.includes('hant')) return 'zh-Hant'
  if (rest.includes('hans')) return 'zh-Hans'
  return rest.some((part) => TRADITIONAL_REGIONS.includes(part)) ? 'zh-Hant' : 'zh-Hans'
}

export function languageOf(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'en'
  const ranges = acceptLanguage
    .slice(0, 1000)
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find((value) => value !== undefined)
      return { range: range.trim(), weight: q === undefined ? 1 : Number(q), index }
    })
    .filter(({ range, weight }) => range && Number.isFinite(weight) && weight > 0)
    .sort((a, b) => b.weight - a.weight || a.index - b.index)
  for (const { range } of ranges) {
    const language = languageOfRange(range)
    if (language) return language
  }
  return 'en'
}

/** The tag for `<html lang>` and `Intl`: the region-less script tags read worse in browsers' fonts. */
export const HTML_LANG: Record<Language, string> = { en: 'en', 'zh-Hans': 'zh-CN', 'zh-Hant': 'zh-TW' }

/** What the password grant says of a wrong email or password, in each language. */
export const WRONG_CREDENTIALS_TEXT: Record<Language, string> = {
  en: 'wrong email or password',
  'zh-Hans': '邮箱或密码错误',
  'zh-Hant': '電子郵件或密碼錯誤',
}
