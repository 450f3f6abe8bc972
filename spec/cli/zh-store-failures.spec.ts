// With LANG=zh_CN.UTF-8 (and zh_TW.UTF-8), what the credential store refuses reaches a person in
// Chinese: a credential file that is a symlink, too open, someone else's or not one at all, a
// lock held by a live process, a pairing another run waits for, a read-only home,
// OMICOS_WORKSPACE that is no folder, no HOME, and --workspace in the home folder. Real files,
// the real CLI against the reference server; each case in Simplified, Traditional and English:
// the same exit code in all three (the one the store's kind gives), one error line naming the
// file, free of English sentences (spec/support/english-sentences.ts), and the English line
// found to be English. The chmod a too open file's line asks for is run as printed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliResult, type CliSandbox } from '../support/cli.js'
import { pairingSpec, readPairing } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { englishSentences } from '../support/english-sentences.js'
import { serializeCredentialFile } from '../../effects/store/credential-file.js'
import { canBindMount, mountReadOnly, storeVersion, writeLockOf } from '../support/store-files.js'
import { timeout } from '../support/wait.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const LANGUAGES = { zh: { LANG: 'zh_CN.UTF-8' }, tw: { LANG: 'zh_TW.UTF-8' }, en: { LANG: 'C.UTF-8' } }
type Language = keyof typeof LANGUAGES
const CREDENTIAL_FILE = 'cloud_login.json'

const { ref, sandbox, cliLogin } = pairingSpec(test)

const status = (box: CliSandbox, env: NodeJS.ProcessEnv, cwd = box.workspace) => runCli(['login', '--status'], { cwd, env, timeoutMs: 20_000 })

const login = (box: CliSandbox, env: NodeJS.ProcessEnv, extra: string[] = [], cwd = box.workspace) =>
  runCli(['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin', ...extra], { cwd, env, input: `${ada.password}\n`, timeoutMs: 30_000 })

/** The one error line of `result`, its English sentences (paths, commands and `values` taken out first). */
const errorOf = (result: CliResult, values: string[]): { line: string; english: string[] } => {
  const lines = result.stderr.split('\n').filter((line) => line.trim())
  assert.is(lines.length, 1, `one line on stderr:\n${result.stderr}`)
  assert.is(result.stdout, '', 'nothing on stdout')
  let text = lines[0]!
  for (const value of [ada.email, ref.server.url, ...values]) text = text.split(value).join(' ')
  return { line: lines[0]!, english: englishSentences(text) }
}

/**
 * Runs `run` in each language: the exit code `code` in all three, and Chinese lines that match
 * their pattern, name `path` and hold no English sentence; the English line is found English.
 */
async function refusedInChinese(
  what: string,
  run: (language: Record<string, string>) => Promise<CliResult>,
  expected: { code: number; path: string | null; zh: RegExp; tw: RegExp; values?: string[] },
) {
  for (const language of Object.keys(LANGUAGES) as Language[]) {
    const result = await run(LANGUAGES[language])
    assert.is(result.code, expected.code, `${what} (${language}): exit ${result.code}\n${result.stderr}`)
    const { line, english } = errorOf(result, [...(expected.values ?? []), ...(expected.path ? [expected.path] : [])])
    if (expected.path) assert.ok(line.includes(expected.path), `${what} (${language}) names ${expected.path}: ${line}`)
    if (language === 'en') {
      assert.match(line, /^error: /, `${what}: ${line}`)
      assert.ok(english.length > 0, `${what}: the English line is found to be English: ${line}`)
      continue
    }
    assert.equal(english, [], `${what} (${language}): ${line}`)
    assert.match(line, language === 'zh' ? /^错误：/ : /^錯誤：/, `${what} (${language})`)
    assert.match(line, expected[language], `${what} (${language}): ${line}`)
  }
}

/** A sandbox whose home exists (0700) and holds `text` as its credential file, with `mode`. */
const withGlobalFile = (text: string, mode = 0o600) => {
  const box = sandbox()
  mkdirSync(box.home, { recursive: true, mode: 0o700 })
  const file = join(box.home, CREDENTIAL_FILE)
  writeFileSync(file, text, { mode })
  chmodSync(file, mode)
  return { box, file }
}

test('a credential file that is a symlink: exit 7 in Chinese, naming it, the link and its target left alone', async () => {
  const box = sandbox()
  mkdirSync(box.home, { recursive: true, mode: 0o700 })
  const file = join(box.home, CREDENTIAL_FILE)
  const elsewhere = join(box.workspace, 'elsewhere.json')
  writeFileSync(elsewhere, '{"not":"ours"}\n', { mode: 0o600 })
  symlinkSync(elsewhere, file)
  await refusedInChinese('a symlink', (language) => status(box, { ...box.env, ...language }), {
    code: 7,
    path: file,
    zh: /是符号链接，omicos 不跟随符号链接：请换成真实的文件或目录，或将其删除$/,
    tw: /是符號連結，omicos 不跟隨符號連結：請換成真實的檔案或目錄，或將其刪除$/,
  })
  assert.ok(lstatSync(file).isSymbolicLink())
  assert.is(readFileSync(elsewhere, 'utf8'), '{"not":"ours"}\n')
})

test('a credential file others can read (0644): exit 7 in Chinese, with the chmod that fixes it, which works as printed', async () => {
  const { box, file } = withGlobalFile(serializeCredentialFile(storeVersion(1, ref.server.url)), 0o644)
  await refusedInChinese('a file with mode 0644', (language) => status(box, { ...box.env, ...language }), {
    code: 7,
    path: file,
    zh: /的权限为 0644，比 0600 宽松：请运行 chmod 600 \S+（其中的令牌可能已被他人读取）$/,
    tw: /的權限為 0644，比 0600 寬鬆：請執行 chmod 600 \S+（其中的權杖可能已被他人讀取）$/,
  })
  assert.is(lstatSync(file).mode & 0o777, 0o644, 'the mode is left for the person to fix')
  // The command in the Chinese line, run as printed, is what it takes.
  const refused = await status(box, { ...box.env, ...LANGUAGES.zh })
  const fix = /请运行 (.+)（其中的令牌/.exec(refused.stderr)?.[1]
  assert.ok(fix, refused.stderr)
  const ran = spawnSync('sh', ['-c', fix!], { encoding: 'utf8' })
  assert.is(ran.status, 0, `${fix}: ${ran.stderr}`)
  assert.is(lstatSync(file).mode & 0o777, 0o600)
  const fixed = await status(box, { ...box.env, ...LANGUAGES.zh })
  assert.is(fixed.code, 0, fixed.stderr)
  assert.match(fixed.stdout, /acct-a@example\.com/)
})

test('a credential file of another user: exit 7 in Chinese, naming the owner', async () => {
  if (process.getuid?.() !== 0) {
    console.log('note: not root: a file of another owner needs chown, skipped')
    return
  }
  const { box, file } = withGlobalFile('{"version":1}\n')
  chownSync(file, 12345, 12345)
  await refusedInChinese('a file of uid 12345', (language) => status(box, { ...box.env, ...language }), {
    code: 7,
    path: file,
    zh: /不属于您（属主 uid 12345）：请删除它或恢复其属主，然后重试$/,
    tw: /不屬於您（擁有者 uid 12345）：請刪除它或恢復其擁有者，然後重試$/,
  })
})

test('a credential file that is not JSON: exit 7 in Chinese, never quoting it, by --status and by a login', async () => {
  const { box, file } = withGlobalFile('{ this is not json\n')
  const expected = {
    code: 7,
    path: file,
    zh: /不是有效的 omicOS 凭据文件（内容不是 JSON）：请将其移走或删除，然后重新登录$/,
    tw: /不是有效的 omicOS 認證資料檔案（內容不是 JSON）：請將其移走或刪除，然後重新登入$/,
  }
  const requests = ref.server.requests.length
  await refusedInChinese('--status of a file that is not JSON', (language) => status(box, { ...box.env, ...language }), expected)
  await refusedInChinese('a login over a file that is not JSON', (language) => login(box, { ...box.env, ...language }, ['--force']), expected)
  assert.is(ref.server.requests.length, requests, 'refused before any request')
  assert.is(readFileSync(file, 'utf8'), '{ this is not json\n')
})

test('the lock held by a live process: a login is exit 7 in Chinese, naming the holder and what it does', async () => {
  const box = sandbox()
  mkdirSync(box.home, { recursive: true, mode: 0o700 })
  const file = join(box.home, CREDENTIAL_FILE)
  const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
  let stopBeat = () => {}
  try {
    await timeout(new Promise((resolve) => holder.once('spawn', resolve)), 5_000, 'spawn')
    stopBeat = writeLockOf(`${file}.lock`, holder.pid!, { heartbeat: true, purpose: 'renew' })
    // A wait shortened from the minute a herd is given.
    const env = { ...box.env, OMICOS_LOCK_WAIT_MS: '800' }
    await refusedInChinese('a held lock', (language) => login(box, { ...env, ...language }), {
      code: 7,
      path: file,
      zh: new RegExp(`已被锁定，持有锁的是进程 ${holder.pid}（正在续期），它仍在运行：请等它完成后重试$`),
      tw: new RegExp(`已被鎖定，持有鎖定的是處理程序 ${holder.pid}（正在續期），它仍在執行：請等它完成後重試$`),
    })
  } finally {
    stopBeat()
    holder.kill()
  }
})

test('a read-only home (a read-only bind mount): a login is exit 7 in Chinese, saying the file system is read-only', async () => {
  const box = sandbox()
  mkdirSync(box.home, { recursive: true, mode: 0o700 })
  if (!canBindMount(box.home)) {
    console.log('note: bind mounts are not permitted here (needs root and mount): the read-only home is skipped')
    return
  }
  const undo = mountReadOnly(box.home)
  try {
    const requests = ref.server.requests.length
    await refusedInChinese('a read-only home', (language) => login(box, { ...box.env, ...language }), {
      code: 7,
      path: box.home,
      zh: /^错误：无法在 OMICOS_HOME \S+ 中写入：文件系统为只读$/,
      tw: /^錯誤：無法在 OMICOS_HOME \S+ 中寫入：檔案系統為唯讀$/,
    })
    assert.is(ref.server.requests.length, requests, 'refused before any request')
  } finally {
    undo()
  }
})

test('a second omicos cli login while the first waits for its pairing: exit 7 in Chinese', async () => {
  const box = sandbox()
  const first = cliLogin(box, '--no-qr')
  await readPairing(first)
  await refusedInChinese(
    'a pairing already waited for',
    (language) => runCli(['cli', 'login', '--server', ref.server.url, '--no-qr'], { cwd: box.workspace, env: { ...box.env, ...language }, timeoutMs: 20_000 }),
    {
      code: 7,
      path: null,
      zh: /^错误：另一个 omicos cli login 已在等待与此服务器和工作区的配对：请先完成或停止那一个$/,
      tw: /^錯誤：另一個 omicos cli login 已在等待與此伺服器和工作區的配對：請先完成或停止那一個$/,
    },
  )
  assert.is(first.child.exitCode, null, 'the first still waits')
})

test('OMICOS_WORKSPACE that is no folder, and no HOME: exit 2 in Chinese, naming the variables', async () => {
  const box = sandbox()
  const missing = join(box.workspace, 'no-such-workspace')
  await refusedInChinese('OMICOS_WORKSPACE missing', (language) => status(box, { ...box.env, OMICOS_WORKSPACE: missing, ...language }), {
    code: 2,
    path: missing,
    zh: /^错误：OMICOS_WORKSPACE "\S+" 不是已存在的目录：请创建它，或取消设置 OMICOS_WORKSPACE$/,
    tw: /^錯誤：OMICOS_WORKSPACE "\S+" 不是已存在的目錄：請建立它，或取消設定 OMICOS_WORKSPACE$/,
  })
  const env: NodeJS.ProcessEnv = { ...box.env, HOME: '' }
  delete env.OMICOS_HOME
  await refusedInChinese('no HOME', (language) => status(box, { ...env, ...language }), {
    code: 2,
    path: null,
    zh: /^错误：HOME 为空或未设置，且未设置 OMICOS_HOME：/,
    tw: /^錯誤：HOME 為空或未設定，且未設定 OMICOS_HOME：/,
  })
})

test('--workspace in the home folder: exit 2 in Chinese, naming the folder and the way out', async () => {
  const box = sandbox()
  const userHome = join(box.workspace, 'user-home')
  mkdirSync(join(userHome, '.omicos'), { recursive: true, mode: 0o700 })
  const env: NodeJS.ProcessEnv = { ...box.env, HOME: userHome }
  delete env.OMICOS_HOME
  await refusedInChinese('--workspace at home', (language) => login(box, { ...env, ...language }, ['--workspace'], userHome), {
    code: 2,
    path: userHome,
    zh: /是您的主目录，其中的 \.omicos 存放着全局登录：工作区登录（--workspace）应在项目文件夹中进行；请在项目文件夹中运行，或去掉 --workspace$/,
    tw: /是您的家目錄，其中的 \.omicos 存放著全域登入：工作區登入（--workspace）應在專案資料夾中進行；請在專案資料夾中執行，或去掉 --workspace$/,
  })
})

test.run()
