// With LANG=zh_CN.UTF-8 a person reads Chinese, in every ending a first contact meets: the help,
// the prompts and a wrong password on a terminal, the pairing screen on terminals of 80×24 and
// 40×15 through to the approval, and the status logged in and logged out; a check for runs of
// English words (spec/support/english-sentences.ts) fails on any sentence left in English, and
// the same command lines in English show it would. --json and the exit codes stay as they are.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PAIRING_CODE, runCli, type CliSandbox } from '../support/cli.js'
import { pairingSpec } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { englishSentences } from '../support/english-sentences.js'
import { inTmux, tmux, type Pane } from '../support/tmux-pane.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const ZH = { LANG: 'zh_CN.UTF-8' }
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/
const CODE = /并输入配对码：([A-Z]{4}-[A-Z]{4})/

const panes: Pane[] = []
test.after.each(async () => {
  for (const pane of panes.splice(0)) await pane.stop()
})

const { ref, sandbox, approve } = pairingSpec(test, { interval: 1 })

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function start(box: CliSandbox, args: string[], options: Parameters<typeof inTmux>[2]): Promise<Pane> {
  const pane = await inTmux(box, args, options)
  panes.push(pane)
  return pane
}

/** The screen less what is no sentence of ours: the email, the server's address and the code. */
const noEnglish = (text: string, where: string, values: string[] = []) => {
  let rest = text.replace(/EXIT=\d+/g, ' ')
  for (const value of [ada.email, ref.server.url, ...values]) rest = rest.split(value).join(' ')
  assert.equal(englishSentences(rest), [], `${where}:\n${text}`)
}

const run = (box: CliSandbox, args: string[], env: Record<string, string> = ZH, stdin?: string) =>
  runCli(args, { cwd: box.workspace, env: { ...box.env, ...env }, input: stdin, timeoutMs: 20_000 })

test('--help of the binary and of each command: in Chinese, and the check finds the English of the same texts', async () => {
  const box = sandbox()
  for (const args of [['--help'], ['login', '--help'], ['cli', 'login', '--help'], ['completion', '--help']]) {
    const zh = await run(box, args)
    assert.is(zh.code, 0, zh.stderr)
    assert.is(zh.stderr, '')
    noEnglish(zh.stdout, `omicos ${args.join(' ')}`)
    assert.match(zh.stdout, args.length === 1 ? /^命令$/m : /^用法$/m)
    const english = await run(box, args, { LANG: 'C.UTF-8' })
    assert.ok(englishSentences(english.stdout).length > 0, 'the English help is found to be English')
  }
  const traditional = await run(box, ['login', '--help'], { LANG: 'zh_TW.UTF-8' })
  assert.match(traditional.stdout, /用電子郵件和密碼登入 omicOS/)
  noEnglish(traditional.stdout, 'omicos login --help (zh_TW)')
})

test("a wrong password on a terminal: Chinese prompts, the server's refusal in Chinese, and a Chinese error after the last try", async () => {
  const box = sandbox()
  const pane = await start(box, ['login', '--server', ref.server.url], { env: ZH, columns: 100, rows: 30 })
  await pane.waitFor(/邮箱：/)
  await pane.keys('-l', ada.email)
  await pane.keys('Enter')
  for (let attempt = 1; attempt <= 3; attempt++) {
    // Asked again after a wrong password: the password, or the email first (with the last one given).
    await pane.waitFor(attempt === 1 ? /密码：/ : new RegExp(`(邮箱或密码错误[\\s\\S]*){${attempt - 1}}[\\s\\S]*(密码|邮箱)：`))
    const asked = await pane.screen()
    if (attempt > 1 && /邮箱：[^\n]*$/.test(asked.trimEnd())) {
      await pane.keys('Enter')
      await pane.waitFor(new RegExp(`(邮箱或密码错误[\\s\\S]*){${attempt - 1}}[\\s\\S]*密码：`))
    }
    await pane.keys('-l', `wrong password ${attempt}`)
    await pane.keys('Enter')
  }
  const done = await pane.waitFor(/EXIT=(\d+)/, 20_000)
  assert.is(done.match[1], '4', done.text)
  assert.match(done.text, /错误：邮箱或密码错误（已尝试 3 次）；请重新登录/)
  assert.not.match(done.text, /wrong password \d/, 'the password was not echoed')
  noEnglish(done.text, 'a wrong password on a terminal')
})

test('a wrong password piped: one Chinese line, exit 4; with --json the message stays English', async () => {
  const box = sandbox()
  const line = await run(box, ['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin'], ZH, 'not the password\n')
  assert.is(line.code, 4)
  assert.is(line.stdout, '')
  assert.is(line.stderr, '错误：邮箱或密码错误（已尝试 1 次）；请重新登录\n')
  const json = await run(box, ['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin', '--json'], ZH, 'not the password\n')
  assert.is(json.code, 4)
  const answer = JSON.parse(json.stdout) as { error: { reason: string; message: string } }
  assert.equal(answer.error, { kind: 'refused', reason: 'wrongCredentials', message: 'wrong email or password' })
})

for (const [columns, rows] of [
  [80, 24],
  [40, 15],
] as const) {
  test(`the pairing screen at ${columns}×${rows}: in Chinese, the code and the address on screen, the live line one row, then logged in`, async () => {
    const box = sandbox()
    const pane = await start(box, ['cli', 'login', '--server', ref.server.url], { env: ZH, columns, rows })
    const code = (await pane.waitFor(CODE)).match[1]!
    await pane.waitFor(SPINNER)
    for (let look = 0; look < 3; look++) {
      const text = await tmux(pane.socket, ['capture-pane', '-p', '-J', '-t', 'pair'])
      assert.ok(text.includes(`${ref.server.url}/device`), `look ${look}: the address on screen:\n${text}`)
      assert.ok(text.includes(code), `look ${look}: the code on screen:\n${text}`)
      const liveRows = (await pane.visibleRows()).filter((row) => SPINNER.test(row))
      assert.is(liveRows.length, 1, `look ${look}: the live line is one row:\n${text}`)
      assert.match(liveRows[0]!, /正在等待批准|等待中/)
      noEnglish(text, `look ${look}`, [code])
      await pause(400)
    }
    await approve(code)
    const done = await pane.waitFor(/EXIT=(\d+)/)
    assert.is(done.match[1], '0', done.text)
    assert.match(done.text, `已登录为 ${ada.email}`)
    noEnglish(done.text, 'the pairing, to its end', [code])
  })
}

// Taiwan's words too: the Traditional screen is read in a pipe as the Simplified one is.
const PIPED = [
  ['zh_CN', /并输入配对码：([A-Z]{4}-[A-Z]{4})/, /正在等待批准（配对码剩余有效期：约 \d+ 分钟）……/, /已登录为 /],
  ['zh_TW', /並輸入配對碼：([A-Z]{4}-[A-Z]{4})/, /正在等待核准（配對碼剩餘有效期：約 \d+ 分鐘）……/, /已登入為 /],
] as const

for (const [locale, code, waiting, loggedIn] of PIPED) {
  test(`the pairing without a terminal (${locale}): plain Chinese lines; the English check finds the English screen`, async () => {
    const box = sandbox()
    const { startCli } = await import('../support/cli.js')
    const cli = startCli(['cli', 'login', '--server', ref.server.url], { cwd: box.workspace, env: { ...box.env, LANG: `${locale}.UTF-8` } })
    try {
      const shown = (await cli.waitFor(code, 15_000))[1]!
      await cli.waitFor(waiting, 15_000)
      await approve(shown)
      const done = await cli.done
      assert.is(done.code, 0, done.stderr)
      assert.match(done.stdout, loggedIn)
      noEnglish(`${done.stdout}\n${done.stderr}`, `a piped pairing (${locale})`, [shown])
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL')
    }
    assert.ok(englishSentences(`Open ${ref.server.url}/device on a device already logged in to omicOS`).length > 0)
    assert.ok(PAIRING_CODE.test('and enter the pairing code: ABCD-WXYZ'))
  })
}

test('--status logged out and logged in, by the plain path and through the parser: in Chinese; --json stays English', async () => {
  const box = sandbox()
  const out = await run(box, ['login', '--status'])
  assert.is(out.code, 1, out.stderr)
  assert.match(out.stdout, /^未登录。$/m)
  noEnglish(`${out.stdout}\n${out.stderr}`, 'the status, logged out')
  const login = await run(box, ['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin'], ZH, `${ada.password}\n`)
  assert.is(login.code, 0, login.stderr)
  noEnglish(`${login.stdout}\n${login.stderr}`, 'a login')
  const processName = /（进程“([^”]+)”）/.exec(login.stdout)?.[1] ?? ''
  for (const args of [['login', '--status'], ['login', '--status', '--verify'], ['status'], ['login', '--status', '--server', ref.server.url, '--verify']]) {
    const status = await run(box, args)
    assert.is(status.code, 0, `${args.join(' ')}: ${status.stderr}`)
    assert.ok(status.stdout.includes(ada.email), status.stdout)
    noEnglish(`${status.stdout}\n${status.stderr}`, `omicos ${args.join(' ')}`, [processName, 'pro'])
  }
  const json = await run(box, ['login', '--status', '--json'])
  const answer = JSON.parse(json.stdout) as { logged_in: boolean; email: string; outcome: string }
  assert.equal([answer.logged_in, answer.email, answer.outcome], [true, ada.email, 'reported'])
})

test.run()
