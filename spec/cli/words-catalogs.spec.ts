// Every language has every word: each catalog has each key of the English one (a plural in the
// forms its language has) and no other, with the same placeholders, the same flags and
// variables, and, in Chinese, no English sentence and the characters of its script. Read as an
// editor would: the words of its region (Taiwan's for Traditional), the commands a person copies
// byte for byte, a space between Chinese and Latin text, and the lines of an 80-column screen no
// wider than the English ones. The environment picks the catalog as POSIX says (LC_ALL, then
// LC_MESSAGES, then LANG).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { en } from '../../cli/words/en.js'
import { CATALOGS, catalogFor, english as englishWords, localeOf, wordsFor, wordsFrom, type Words } from '../../cli/words/index.js'
import { approximately } from '../../cli/failure-words.js'
import { localTime, relativeTime } from '../../cli/render-status.js'
import type { Catalog, WordKey } from '../../cli/words/en.js'
import { wrapWords, textWidth } from '../../cli/terminal.js'
import { englishSentences } from '../support/english-sentences.js'

const PLURAL = /_(zero|one|two|few|many|other)$/
const baseOf = (key: string) => key.replace(PLURAL, '')
const placeholders = (text: string) => [...new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!))].sort()
// What a person types or reads as it is: flags, variables, commands in backquotes.
const untranslated = (text: string) =>
  [...new Set([...text.matchAll(/(?<![\w-])--[a-z][\w-]*|\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|`omicos [^`]*`/g)].map((m) => m[0]))].sort()

const loaded: Array<[string, Catalog]> = await Promise.all(Object.entries(CATALOGS).map(async ([tag, load]) => [tag, await load()] as [string, Catalog]))

// Characters of one script that the other never writes: those of the Simplified catalog that
// Traditional writes otherwise (OpenCC's s2t and s2tw), less the few that Taiwan writes too (准,
// 台, 后, 余, 范, 占, 据), and their Traditional forms.
const SIMPLIFIED = new RegExp(
  `[${'与丢两个临为义书于仅从们会传体储关内册写冲凭则刚创删务动区协单历参双发变号吗启围处备复够头夹实宽对将尝尽属带帮并应开当录径态总户扫护报换携数断无时显暂机权条来标样检没满点状独环现画盘着码确种称签简类约纹线细终经结给络绝统继续维网联脚获补见计认让议记许论设访证试询该详误说请读谁败账转轮载输达过运这进连选邮钓钟链销锁错长闭问间随隐页项须预题颜额骤鱼'}]`,
)
const TRADITIONAL = new RegExp(
  `[${'丟並佔來個們備傳僅儲內兩冊刪則剛創動務區協參問啓啟單嗎嘗圍報夠夾實寫寬將對屬帶幫後徑從復態憑應戶掃換據攜敗數斷於時暫書會條標樣機檢權歷沒準滿為無爲狀獨獲現環畫當發盡盤確碼種稱範簡籤約紋細終結絕絡給統經維網線總繼續義聯腳臨臺與著處號衝補見計記訪設許詢試該詳認誤說誰請論證議護讀變讓賬載輪輸轉這連進運過達選郵釣銷錄錯鍾鎖鏈長閉開間關隨隱雙頁項須預頭題額顏類顯餘驟體魚點'}]`,
)

// The other region's words for the concepts these catalogs name (Taiwan as Windows and VS Code
// write it), and the word to write instead.
const OTHER_REGION: Record<string, Array<[RegExp, string]>> = {
  'zh-Hans': [
    [/登入|登出/, '登录 / 退出登录'],
    [/伺服器/, '服务器'],
    [/档案/, '文件'],
    [/网路/, '网络'],
    [/预设/, '默认'],
    [/权杖/, '令牌'],
    [/程式/, '程序'],
    [/处理程序|行程/, '进程'],
    [/逾时/, '超时'],
    [/回应|应答/, '响应'],
    [/吊销/, '撤销'],
    [/物件/, '对象'],
    [/字元/, '字符'],
    [/使用者/, '用户'],
    [/资料夹/, '文件夹'],
    [/连线/, '连接'],
    [/帐户|账号/, '账户'],
  ],
  'zh-Hant': [
    [/信息/, '資訊 / 訊息'],
    [/默認/, '預設'],
    [/(?<!語)文件/, '檔案'],
    [/網絡/, '網路'],
    [/服務器/, '伺服器'],
    [/設置/, '設定'],
    [/配置/, '設定'],
    [/支持/, '支援'],
    [/(?<!處理)程序/, '處理程序（process）/ 程式（program）'],
    [/進程|行程/, '處理程序'],
    [/令牌/, '權杖'],
    [/證書/, '憑證'],
    [/憑據/, '認證資料'],
    [/元資料|元數據/, '中繼資料'],
    [/重定向/, '重新導向'],
    [/(?<!連接)埠/, '連接埠'],
    [/端口/, '連接埠'],
    [/握手/, '交握'],
    [/自簽名/, '自我簽署'],
    [/隧道/, '通道'],
    [/重置/, '重設'],
    [/批准/, '核准'],
    [/型別/, '類型'],
    [/臨時/, '暫存'],
    [/標誌/, '旗標'],
    [/發來|發往/, '傳來 / 傳送給'],
    [/獲取/, '取得'],
    [/創建/, '建立'],
    [/運行/, '執行'],
    [/超時/, '逾時'],
    [/用戶/, '使用者'],
    [/帳號|賬/, '帳戶'],
    [/郵箱/, '電子郵件'],
    [/二維碼/, 'QR 碼'],
    [/終端(?!機)/, '終端機'],
    [/字符/, '字元'],
    [/對象/, '物件'],
    [/網關/, '閘道'],
    [/回環|迴路/, '回送'],
    [/吊銷/, '撤銷'],
    [/應答/, '回應'],
    [/身份/, '身分'],
    [/認證服務/, '驗證服務'],
    [/數據/, '資料'],
    [/視頻/, '影片'],
    [/軟件/, '軟體'],
    [/管道/, '管線'],
    [/回顯/, '顯示'],
    [/站點/, '網站'],
    [/不可用/, '無法使用'],
  ],
}

// Placeholders whose value is Chinese at an edge ("3 秒后", "进程 123（正在续期）"), so that edge
// may touch a Chinese character; any other value (an address, a path, a number, a command) is
// set off by a space or punctuation.
const CHINESE_EDGES: Record<string, string> = {
  wait: 'end',
  left: 'end',
  span: 'end',
  amount: 'start end',
  who: 'start end',
  request: 'start end',
  when: 'start end',
}
const HAN = /\p{Script=Han}/u
const WIDE = /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/
/** A command a person is told to run, as it is typed. */
const COMMAND = /\bomicos(?: (?:cli|login|logout|status|completion)\b)+(?: --?[a-z][\w-]*)*/g
/** Values as long as the pairing screen and the status meet them. */
const SAMPLE: Record<string, string> = {
  address: 'https://auth.omicos.cn/device',
  code: 'ABCD-WXYZ',
  left: '9:45',
  host: 'auth.omicos.cn',
  email: 'ada@example.com',
  root: '/home/ada/project',
  needed: '45',
  columns: '40',
  rows: '21',
  seconds: '10',
}

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
    const wrong = Object.entries(catalog).filter(([, text]) => (tag === 'zh-Hans' ? TRADITIONAL : SIMPLIFIED).test(text))
    assert.equal(
      wrong.map(([key, text]) => `${key}: ${text}`),
      [],
      `${tag} uses characters of the other script`,
    )
  })

  test(`${tag}: the words of its region, one term per concept`, () => {
    const found: string[] = []
    for (const [key, text] of Object.entries(catalog)) {
      for (const [term, instead] of OTHER_REGION[tag]!) if (term.test(text)) found.push(`${key}: ${text.match(term)![0]} (write ${instead})`)
    }
    assert.equal(found, [])
  })

  test(`${tag}: commands, paths and options in backquotes, and the commands to run, are the English ones byte for byte`, () => {
    const prompts = new Set([catalog['prompt.email'], catalog['prompt.password']])
    const differ: string[] = []
    for (const [key, text] of Object.entries(catalog)) {
      const english = englishForms.get(baseOf(key))!.map((form) => en[form as keyof typeof en] as string)
      // The prompts a help text quotes are the catalog's own (`Email:` is `邮箱：`).
      const quoted = new Set(english.flatMap((line) => [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)).filter((part) => !/^[A-Z][a-z]+:$/.test(part)))
      const ours = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((part) => !prompts.has(part))
      if ([...new Set(ours)].sort().join('\n') !== [...quoted].sort().join('\n')) differ.push(`${key}: \`${ours.join('` `')}\` vs \`${[...quoted].join('` `')}\``)
      for (const command of english.flatMap((line) => line.match(COMMAND) ?? [])) {
        if (!text.includes(command)) differ.push(`${key}: lacks ${command}`)
      }
      // Nothing full-width inside what is copied: a backquoted part, a flag with its value.
      for (const part of [...ours, ...(text.match(/--[a-z][\w-]*(?:=[^\s，。；：）（、]+)?|\b[A-Z][A-Z0-9_]+=[^\s，。；：）（、]+/g) ?? [])]) {
        if (WIDE.test(part)) differ.push(`${key}: full-width inside ${part}`)
      }
    }
    assert.equal(differ, [])
  })

  test(`${tag}: a space between Chinese and Latin text, and none beside a value that reads as Chinese`, () => {
    const found: string[] = []
    for (const [key, text] of Object.entries(catalog)) {
      const words = text.replace(/\{\{\w+\}\}/g, ' ')
      for (const glued of words.match(/[-A-Za-z0-9]\p{Script=Han}|\p{Script=Han}[-A-Za-z0-9]/gu) ?? []) found.push(`${key}: ${glued}`)
      for (const m of text.matchAll(/\{\{(\w+)\}\}/g)) {
        const before = text[m.index! - 1] ?? ''
        const after = text[m.index! + m[0].length] ?? ''
        const edges = CHINESE_EDGES[m[1]!] ?? ''
        if (HAN.test(before) && !edges.includes('start')) found.push(`${key}: …${before}${m[0]}`)
        if (HAN.test(after) && !edges.includes('end')) found.push(`${key}: ${m[0]}${after}…`)
      }
    }
    assert.equal(found, [])
  })

  test(`${tag}: the pairing screen, the waits and the status summary are no wider than in English`, async () => {
    const ours = await wordsFrom(tag, catalog)
    const now = new Date('2026-12-07T09:00:00Z')
    const until = new Date('2027-01-06T09:00:00Z')
    // The values each language puts in, as the screen and the status make them.
    const values = (words: Words, key: string) => ({
      ...SAMPLE,
      when: key.endsWith('.long') || key.endsWith('.medium') ? words.t('screen.live.in', { count: 8 }) : words.t('screen.live.now'),
      left: key.startsWith('screen.live.') ? '9:45' : approximately(words, 600_000),
      // The date as the catalog's region writes it is the formatter's (cli/render-status.ts), not the catalog's.
      until: localTime(englishWords, until),
      relative: relativeTime(words, until, now),
    })
    const width = (text: string) => Math.max(...text.split('\n').map(textWidth))
    const wider: string[] = []
    for (const key of Object.keys(en).filter((name) => /^(screen\.|wait\.|status\.summary)/.test(name) && !/^screen\.live\.(in|now)$/.test(name))) {
      const line = ours.t(key as WordKey, values(ours, key))
      const english = englishWords.t(key as WordKey, values(englishWords, key))
      if (width(line) > width(english)) wider.push(`${key}: ${width(line)} columns, English ${width(english)}: ${line}`)
    }
    assert.equal(wider, [])
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
