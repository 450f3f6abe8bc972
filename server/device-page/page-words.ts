// The words of the /device page in each language the server speaks (server/http/languages.ts),
// chosen by the browser's Accept-Language. Text only: views.ts escapes and lays it out.
import type { Language } from '../http/languages.js'

export interface PageWords {
  signInTitle: string
  signInLead: string
  email: string
  password: string
  signIn: string
  codeTitle: string
  codeHeading: string
  codeLead: string
  code: string
  continue: string
  signedInAs: string
  signOut: string
  justNow: string
  secondsAgo: (n: number) => string
  minutesAgo: (n: number) => string
  hoursAgo: (n: number) => string
  unknown: string
  notGiven: string
  reportedByDevice: string
  prefilled: string
  confirmTitle: string
  confirmHeading: string
  confirmLead: string
  program: string
  machine: string
  requested: string
  fromAddress: string
  asServerSaw: string
  account: string
  deny: string
  approve: string
  /** "ada-laptop" -> "on ada-laptop", after the program's name */
  onHost: (host: string) => string
  theProgram: string
  connectedTitle: string
  connected: (subject: string) => string
  deniedTitle: string
  denied: (subject: string) => string
  connectAnother: string
  // messages (p#error)
  paused: (seconds: number) => string
  missingCode: string
  missingCredentials: string
  signInsLimited: (seconds: number) => string
  wrongCredentials: string
  notVerified: string
  formExpired: string
  signInFirst: string
  wrongCode: string
  expiredCode: string
  usedCode: string
}

const en: PageWords = {
  signInTitle: 'Sign in to connect a device',
  signInLead: 'A program on one of your machines asked to use your omicOS account. Sign in to review the request.',
  email: 'Email',
  password: 'Password',
  signIn: 'Sign in',
  codeTitle: 'Enter your code',
  codeHeading: 'Enter the code from your terminal',
  codeLead: 'Type the 8-letter code your terminal shows, with or without the dash.',
  code: 'Code',
  continue: 'Continue',
  signedInAs: 'Signed in as',
  signOut: 'Sign out',
  justNow: 'just now',
  secondsAgo: (n) => `${n} seconds ago`,
  minutesAgo: (n) => `${n} minutes ago`,
  hoursAgo: (n) => `${n} hours ago`,
  unknown: 'unknown',
  notGiven: 'not given',
  reportedByDevice: 'reported by the device',
  prefilled: 'The code came with the address you opened. Check that it is the code your terminal shows.',
  confirmTitle: 'Approve this device?',
  confirmHeading: 'Connect this program to your account?',
  confirmLead: 'Approve only if you started this sign-in yourself and the code matches the one in your terminal.',
  program: 'Program',
  machine: 'Machine',
  requested: 'Requested',
  fromAddress: 'From address',
  asServerSaw: 'as this server saw it',
  account: 'Account',
  deny: 'Deny',
  approve: 'Approve',
  onHost: (host) => `on ${host}`,
  theProgram: 'The program',
  connectedTitle: 'Device connected',
  connected: (subject) => `${subject} is now signed in to your account. You can close this page and return to your terminal.`,
  deniedTitle: 'Request denied',
  denied: (subject) => `${subject} was not given access. If you did not start this sign-in, you can ignore it.`,
  connectAnother: 'Connect another device',
  paused: (seconds) => `Too many wrong codes. For your security, wait ${seconds} seconds before trying again.`,
  missingCode: 'Enter the code shown in your terminal.',
  missingCredentials: 'Enter your email address and your password.',
  signInsLimited: (seconds) => `Too many failed sign-ins for this email. Try again in ${seconds} seconds.`,
  wrongCredentials: 'Wrong email or password.',
  notVerified: 'Enter the code shown in your terminal, check the request, then approve or deny it.',
  formExpired: 'This form has expired. Please try again.',
  signInFirst: 'Please sign in first.',
  wrongCode: 'That code is not valid. Check the code shown in your terminal and try again.',
  expiredCode: 'That code has expired. Start the sign-in again in your terminal to get a new code.',
  usedCode: 'That code has already been used.',
}

const zhHans: PageWords = {
  signInTitle: '登录以连接设备',
  signInLead: '您的某台机器上的一个程序请求使用您的 omicOS 账户。请登录以查看该请求。',
  email: '邮箱',
  password: '密码',
  signIn: '登录',
  codeTitle: '输入配对码',
  codeHeading: '输入终端上显示的配对码',
  codeLead: '输入终端上显示的 8 位字母配对码，可带或不带连字符。',
  code: '配对码',
  continue: '继续',
  signedInAs: '已登录为',
  signOut: '退出登录',
  justNow: '刚刚',
  secondsAgo: (n) => `${n} 秒前`,
  minutesAgo: (n) => `${n} 分钟前`,
  hoursAgo: (n) => `${n} 小时前`,
  unknown: '未知',
  notGiven: '未提供',
  reportedByDevice: '由设备报告',
  prefilled: '配对码来自您打开的链接。请确认它与终端上显示的配对码一致。',
  confirmTitle: '批准此设备？',
  confirmHeading: '将此程序连接到您的账户？',
  confirmLead: '只有当登录是您本人发起、且配对码与终端上显示的一致时，才应批准。',
  program: '程序',
  machine: '机器',
  requested: '请求时间',
  fromAddress: '来源地址',
  asServerSaw: '服务器所见',
  account: '账户',
  deny: '拒绝',
  approve: '批准',
  onHost: (host) => `（位于 ${host}）`,
  theProgram: '该程序',
  connectedTitle: '设备已连接',
  connected: (subject) => `${subject} 现已登录您的账户。您可以关闭此页面并返回终端。`,
  deniedTitle: '请求已拒绝',
  denied: (subject) => `${subject} 未获得访问权限。如果这次登录不是您发起的，可以忽略它。`,
  connectAnother: '连接其他设备',
  paused: (seconds) => `错误的配对码过多。为了您的安全，请等待 ${seconds} 秒后再试。`,
  missingCode: '请输入终端上显示的配对码。',
  missingCredentials: '请输入您的邮箱地址和密码。',
  signInsLimited: (seconds) => `此邮箱的登录失败次数过多。请在 ${seconds} 秒后再试。`,
  wrongCredentials: '邮箱或密码错误。',
  notVerified: '请输入终端上显示的配对码，核对请求后再批准或拒绝。',
  formExpired: '此表单已过期。请重试。',
  signInFirst: '请先登录。',
  wrongCode: '该配对码无效。请核对终端上显示的配对码后重试。',
  expiredCode: '该配对码已过期。请在终端上重新开始登录以获取新的配对码。',
  usedCode: '该配对码已被使用。',
}

const zhHant: PageWords = {
  signInTitle: '登入以連接裝置',
  signInLead: '您的某台機器上的一個程式要求使用您的 omicOS 帳戶。請登入以檢視該要求。',
  email: '電子郵件',
  password: '密碼',
  signIn: '登入',
  codeTitle: '輸入配對碼',
  codeHeading: '輸入終端機上顯示的配對碼',
  codeLead: '輸入終端機上顯示的 8 位字母配對碼，可帶或不帶連字號。',
  code: '配對碼',
  continue: '繼續',
  signedInAs: '已登入為',
  signOut: '登出',
  justNow: '剛剛',
  secondsAgo: (n) => `${n} 秒前`,
  minutesAgo: (n) => `${n} 分鐘前`,
  hoursAgo: (n) => `${n} 小時前`,
  unknown: '未知',
  notGiven: '未提供',
  reportedByDevice: '由裝置回報',
  prefilled: '配對碼來自您開啟的連結。請確認它與終端機上顯示的配對碼一致。',
  confirmTitle: '核准此裝置？',
  confirmHeading: '將此程式連接到您的帳戶？',
  confirmLead: '只有當登入是您本人發起、且配對碼與終端機上顯示的一致時，才應核准。',
  program: '程式',
  machine: '機器',
  requested: '要求時間',
  fromAddress: '來源位址',
  asServerSaw: '伺服器所見',
  account: '帳戶',
  deny: '拒絕',
  approve: '核准',
  onHost: (host) => `（位於 ${host}）`,
  theProgram: '該程式',
  connectedTitle: '裝置已連接',
  connected: (subject) => `${subject} 現已登入您的帳戶。您可以關閉此頁面並返回終端機。`,
  deniedTitle: '要求已拒絕',
  denied: (subject) => `${subject} 未獲得存取權限。如果這次登入不是您發起的，可以忽略它。`,
  connectAnother: '連接其他裝置',
  paused: (seconds) => `錯誤的配對碼過多。為了您的安全，請等待 ${seconds} 秒後再試。`,
  missingCode: '請輸入終端機上顯示的配對碼。',
  missingCredentials: '請輸入您的電子郵件地址和密碼。',
  signInsLimited: (seconds) => `此電子郵件的登入失敗次數過多。請在 ${seconds} 秒後再試。`,
  wrongCredentials: '電子郵件或密碼錯誤。',
  notVerified: '請輸入終端機上顯示的配對碼，核對要求後再核准或拒絕。',
  formExpired: '此表單已過期。請重試。',
  signInFirst: '請先登入。',
  wrongCode: '該配對碼無效。請核對終端機上顯示的配對碼後重試。',
  expiredCode: '該配對碼已過期。請在終端機上重新開始登入以取得新的配對碼。',
  usedCode: '該配對碼已被使用。',
}

export const PAGE_WORDS: Record<Language, PageWords> = { en, 'zh-Hans': zhHans, 'zh-Hant': zhHant }
