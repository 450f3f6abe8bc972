// Every language has every word: each catalog has each key of the English one (a plural in the
// forms its language has) and no other, with the same placeholders, the same flags and
// variables, and, in Chinese, no English sentence and the characters of its script. The
// environment picks the catalog as POSIX says (LC_ALL, then LC_MESSAGES, then LANG).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { en } from '../../cli/words/en.js'
import { CATALOGS, catalogFor, localeOf, wordsFor } from '../../cli/words/index.js'
import type { Catalog } from '../../cli/words/en.js'
import { wrapWords, textWidth } from '../../cli/terminal.js'
import { englishSentences } from '../support/english-sentences.js'

const PLURAL = /_(zero|one|two|few|many|other)$/
const baseOf = (key: string) => key.replace(PLURAL, '')
const placeholders = (text: string) => [...new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!))].sort()
// What a person types or reads as it is: flags, variables, commands in backquotes.
const untranslated = (text: string) =>
  [...new Set([...text.matchAll(/(?<![\w-])--[a-z][\w-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|`omicos [^`]*`/g)].map((m) => m[0]))].sort()

const loaded: Array<[string, Catalog]> = await Promise.all(Object.entries(CATALOGS).map(async ([tag, load]) => [tag, await load()] as [string, Catalog]))

/** The forms of each English key: a plural's base names its forms. */
const englishForms = new Map<string, string[]>()
for (const key of Object.keys(en)) englishForms.set(baseOf(key), [...(englishForms.get(baseOf(key)) ?? []), key])

test('there are catalogs in Simplified and Traditional Chinese', () => {
  assert.equal(loaded.map(([tag]) => tag).sort(), ['zh-Hans', 'zh-Hant'])
})

for (const [tag, catalog] of loaded) {
  test(`${tag}: every key of the English catalog, in the plural forms of the language, and no other key`, () => {
    const forms = new Intl.PluralRules(tag).resolvedOptions().pluralCategories
    const missing: string[] = []
    for (const [base, keys] of englishForms) {
      const plural = keys.some((key) => PLURAL.test(key))
      const wanted = plural ? forms.map((form) => `${base}_${form}`) : [base]
      for (const key of wanted) if (typeof catalog[key] !== 'string' || catalog[key] === '') missing.push(key)
    }
    assert.equal(missing, [], `${tag} lacks`)
    const extra = Object.keys(catalog).filter((key) => !englishForms.has(baseOf(key)))
    assert.equal(extra, [], `${tag} has keys English has not`)
  })

  test(`${tag}: the same placeholders, flags, variables and commands as the English words`, () => {
    const differ: string[] = []
    for (const [key, text] of Object.entries(catalog)) {
      const english = englishForms.get(baseOf(key))!.map((form) => en[form as keyof typeof en] as string)
      // A plural's other form names {{count}}; the English one-form may leave it out.
      const expected = [...new Set(english.flatMap(placeholders))].sort()
      if (placeholders(text).join() !== expected.filter((name) => name !== 'count' || placeholders(text).includes('count')).join()) {
        differ.push(`${key}: {{${placeholders(text).join('}} {{')}}} vs {{${expected.join('}} {{')}}}`)
      }
      const kept = [...new Set(english.flatMap(untranslated))].sort()
      if (untranslated(text).join() !== kept.join()) differ.push(`${key}: ${untranslated(text).join(' ')} vs ${kept.join(' ')}`)
    }
    assert.equal(differ, [])
  })

  test(`${tag}: no English sentence is left, and the characters are of the script`, () => {
    const english: string[] = []
    for (const [key, text] of Object.entries(catalog)) {
      for (const found of englishSentences(text.replace(/\{\{\w+\}\}/g, ' '))) english.push(`${key}: ${found}`)
    }
    assert.equal(english, [])
    // A few characters that differ between the scripts and that these catalogs use often.
    const simplified = /[录务设备码证这为们让请连网个时间错误账户终开执删过应吗态认输]/
    const traditional = /[錄務設備碼證這為們讓請連網個時間錯誤帳戶終開執刪過應嗎態認輸]/
    const wrong = Object.entries(catalog).filter(([, text]) => (tag === 'zh-Hans' ? traditional : simplified).test(text))
    assert.equal(
      wrong.map(([key, text]) => `${key}: ${text}`),
      [],
      `${tag} uses characters of the other script`,
    )
  })
}

test('the locale: LC_ALL, then LC_MESSAGES, then LANG; C and POSIX are English', () => {
  assert.is(localeOf({ LANG: 'zh_CN.UTF-8' }), 'zh-CN')
  assert.is(localeOf({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'zh_TW.UTF-8' }), 'zh-TW')
  assert.is(localeOf({ LANG: 'zh_CN.UTF-8', LC_MESSAGES: 'zh_TW.UTF-8', LC_ALL: 'C' }), 'en')
  assert.is(localeOf({ LANG: 'POSIX' }), 'en')
  assert.is(localeOf({}), 'en')
})

test('Simplified for the mainland, Singapore and plain zh; Traditional for Taiwan, Hong Kong and Macau', () => {
  for (const locale of ['zh-CN', 'zh-SG', 'zh', 'zh-Hans', 'zh-Hans-HK']) assert.is(catalogFor(locale), 'zh-Hans', locale)
  for (const locale of ['zh-TW', 'zh-HK', 'zh-MO', 'zh-Hant', 'zh-Hant-CN']) assert.is(catalogFor(locale), 'zh-Hant', locale)
  for (const locale of ['en', 'en-US', 'fr-FR', 'ja-JP']) assert.is(catalogFor(locale), null, locale)
})

test('the words of an environment: a sentence in its catalog, English when none fits', async () => {
  const cases: Array<[NodeJS.ProcessEnv, string]> = [
    [{ LANG: 'zh_CN.UTF-8' }, '已登录为 ada@example.com（进程“base”）。'],
    [{ LANG: 'zh_SG.UTF-8' }, '已登录为 ada@example.com（进程“base”）。'],
    [{ LANG: 'zh_HK.UTF-8' }, '已登入為 ada@example.com（處理程序「base」）。'],
    [{ LANG: 'C.UTF-8', LC_MESSAGES: 'zh_TW.UTF-8' }, '已登入為 ada@example.com（處理程序「base」）。'],
    [{ LANG: 'zh_CN.UTF-8', LC_ALL: 'C' }, 'Logged in as ada@example.com (process "base").'],
    [{ LANG: 'fr_FR.UTF-8' }, 'Logged in as ada@example.com (process "base").'],
  ]
  for (const [env, line] of cases) {
    const words = await wordsFor(env)
    assert.is(words.t('outcome.loggedIn', { email: 'ada@example.com', process: 'base' }), line, JSON.stringify(env))
  }
  // Chinese has one plural form: the count is put in whatever it is.
  const zh = await wordsFor({ LANG: 'zh_CN.UTF-8' })
  assert.is(zh.t('screen.live.in', { count: 1 }), '1 秒后')
  assert.is(zh.t('time.aboutMinutes', { count: 10 }), '约 10 分钟')
})

test('a Chinese line breaks between characters, never before closing punctuation, and fits', () => {
  const line = '在已登录 omicOS 的设备上打开 http://127.0.0.1:4000/device，并输入配对码：ABCD-WXYZ。无法连接服务器，3 秒后重试'
  for (const columns of [20, 30, 40, 60]) {
    const lines = wrapWords(line, columns)
    assert.is(lines.join('').replace(/ /g, ''), line.replace(/ /g, ''), `${columns}: nothing lost`)
    for (const part of lines) {
      if (!part.includes('http://')) assert.ok(textWidth(part) <= columns, `${columns}: ${part}`)
      assert.not.match(part, /^[，。：）]/, `${columns}: ${part}`)
    }
  }
  // English is broken between words, as before.
  assert.equal(wrapWords('and enter the pairing code: ABCD-WXYZ', 20), ['and enter the', 'pairing code:', 'ABCD-WXYZ'])
})

test.run()
