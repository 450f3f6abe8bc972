// With LANG=zh_CN.UTF-8, what the Node effects find wrong in the environment reaches a person in
// Chinese: a proxy variable that is no address or names a socks proxy, a CA bundle variable
// naming a missing file or one with no PEM certificate, and --password-stdin given a terminal
// (tmux), an empty pipe or too much. The real CLI is run against the reference server, each case
// in Chinese and in English: the same exit code, every Chinese line free of English sentences
// (spec/support/english-sentences.ts), and the English words the check would catch.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliResult, type CliSandbox } from '../support/cli.js'
import { pairingSpec } from '../support/device-pairing.js'
import { DEFAULT_USERS } from '../support/server.js'
import { englishSentences } from '../support/english-sentences.js'
import { inTmux, type Pane } from '../support/tmux-pane.js'

const [ada] = DEFAULT_USERS as [{ email: string; password: string }]
const ZH = { LANG: 'zh_CN.UTF-8' }
const EN = { LANG: 'C.UTF-8' }

const { ref, sandbox } = pairingSpec(test)

const panes: Pane[] = []
test.after.each(async () => {
  for (const pane of panes.splice(0)) await pane.stop()
})

// Node itself reads NODE_EXTRA_CA_CERTS as it starts, before any code of the package runs, and
// prints this warning in English when the file cannot be loaded; it is Node's line, not ours.
const NODE_WARNING = /^Warning: Ignoring extra certs from `[^`]*`, load failed: .*$/

const boxWith = (env: Record<string, string>): CliSandbox => {
  const box = sandbox()
  for (const name of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'OMICOS_CA_BUNDLE']) delete box.env[name]
  Object.assign(box.env, env)
  return box
}

const login = (box: CliSandbox, language: Record<string, string>, input: string | undefined = `${ada.password}\n`) =>
  runCli(['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin'], {
    cwd: box.workspace,
    env: { ...box.env, ...language },
    input,
    timeoutMs: 30_000,
  })

/** The lines a person reads, less Node's own warning, with what is no sentence of ours taken out. */
const linesOf = (result: CliResult, values: string[]): { lines: string[]; english: string[] } => {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.trim() && !NODE_WARNING.test(line))
  let text = lines.join('\n')
  for (const value of [ada.email, ref.server.url, ...values]) text = text.split(value).join(' ')
  return { lines, english: englishSentences(text) }
}

/** Runs `run` in Chinese and in English: the same exit code; Chinese lines only in Chinese, and one error line. */
async function sameEndingInChinese(what: string, run: (language: Record<string, string>) => Promise<CliResult>, code: number, values: string[], zhLine: RegExp) {
  const zh = await run(ZH)
  const en = await run(EN)
  assert.is(zh.code, code, `${what} (zh): exit ${zh.code}\n${zh.stdout}${zh.stderr}`)
  assert.is(en.code, zh.code, `${what}: the same exit code in English`)
  const chinese = linesOf(zh, values)
  assert.equal(chinese.english, [], `${what} (zh):\n${chinese.lines.join('\n')}`)
  assert.ok(
    chinese.lines.some((line) => zhLine.test(line)),
    `${what} (zh) says ${zhLine}:\n${chinese.lines.join('\n')}`,
  )
  assert.ok(linesOf(en, values).english.length > 0, `${what}: the English lines are found to be English`)
  assert.not.match(zh.stderr, /\n\s+at /, 'no stack trace')
  return zh
}

test('a proxy variable that is no address, and a socks proxy: exit 2 in Chinese, naming the variable, never the password', async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ HTTP_PROXY: 'http://user:s3cret@[bad' }, /^错误：HTTP_PROXY 不是代理地址（应为 http:\/\/host:port）$/],
    [
      { ALL_PROXY: 'socks5://user:s3cret@127.0.0.1:1080' },
      /^错误：ALL_PROXY 指定的是 socks5 代理（socks5:\/\/127\.0\.0\.1:1080）；只支持 http:\/\/ 和 https:\/\/ 代理$/,
    ],
  ]
  for (const [env, line] of cases) {
    const box = boxWith(env)
    const zh = await sameEndingInChinese(`login with ${Object.keys(env).join(' ')}`, (language) => login(box, language), 2, [], line)
    assert.not.match(zh.stderr, 's3cret')
  }
  // --status names the proxy that a login would use: here, why none can be.
  const box = boxWith({ ALL_PROXY: 'socks5://127.0.0.1:1080' })
  const status = await sameEndingInChinese(
    'login --status with a socks ALL_PROXY',
    (language) => runCli(['login', '--status'], { cwd: box.workspace, env: { ...box.env, ...language }, timeoutMs: 20_000 }),
    1,
    [box.home],
    /^代理：ALL_PROXY 指定的是 socks5 代理/,
  )
  assert.match(status.stdout, /^未登录。$/m)
})

test('a CA bundle variable naming a missing file or one with no PEM certificate: exit 2 in Chinese, naming the variable and the file', async () => {
  const box = sandbox()
  const noPem = join(box.workspace, 'no-pem.pem')
  writeFileSync(noPem, 'not a certificate\n')
  const missing = join(box.workspace, 'missing.pem')
  const cases: Array<[string, string, string]> = [
    ['SSL_CERT_FILE', missing, '文件不存在'],
    ['OMICOS_CA_BUNDLE', noPem, '其中没有 PEM 证书（-----BEGIN CERTIFICATE-----）'],
  ]
  for (const [variable, file, why] of cases) {
    const env = boxWith({ [variable]: file })
    await sameEndingInChinese(
      `${variable}=${file}`,
      (language) => login(env, language),
      2,
      [file],
      new RegExp(`^错误：${variable}=${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}：${why.replace(/[()]/g, '\\$&')}$`),
    )
  }
})

test('NODE_EXTRA_CA_CERTS naming a missing file or one with no PEM: Node skips it, and the login goes on in Chinese', async () => {
  const box = sandbox()
  const noPem = join(box.workspace, 'no-pem.pem')
  writeFileSync(noPem, 'not a certificate\n')
  for (const file of [join(box.workspace, 'missing.pem'), noPem]) {
    const env = boxWith({ NODE_EXTRA_CA_CERTS: file })
    // Node's own warning (missing file) aside, every line is ours, and in Chinese.
    await sameEndingInChinese(
      `NODE_EXTRA_CA_CERTS=${file}`,
      (language) =>
        runCli(['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin', '--force'], {
          cwd: env.workspace,
          env: { ...env.env, ...language },
          input: `${ada.password}\n`,
          timeoutMs: 30_000,
        }),
      0,
      [env.home, file],
      /^已登录为 /,
    )
  }
})

test('--password-stdin with an empty pipe, or more than 64 KiB: exit 2 in Chinese', async () => {
  const box = boxWith({})
  await sameEndingInChinese('an empty pipe', (language) => login(box, language, ''), 2, [], /^错误：--password-stdin 收到的密码为空$/)
  await sameEndingInChinese('an empty first line', (language) => login(box, language, '\nsecond line\n'), 2, [], /^错误：--password-stdin 收到的密码为空$/)
  await sameEndingInChinese(
    'more than 64 KiB',
    (language) => login(box, language, 'x'.repeat(64 * 1024 + 1)),
    2,
    [],
    /^错误：--password-stdin 收到的内容超过 64 KiB：只传入密码即可$/,
  )
})

test('--password-stdin on a terminal (tmux): exit 2 in Chinese, nothing waited for', async () => {
  for (const [language, line] of [
    [ZH, /错误：--password-stdin 读取通过管道传入的密码；在终端上请去掉它，程序会询问密码（不回显）/],
    [EN, /error: --password-stdin reads a piped password; on a terminal, leave it out to be asked \(hidden\)/],
  ] as const) {
    const box = boxWith({})
    const pane = await inTmux(box, ['login', '--server', ref.server.url, '--email', ada.email, '--password-stdin'], { env: language, columns: 120, rows: 20 })
    panes.push(pane)
    const done = await pane.waitFor(/EXIT=(\d+)/, 20_000)
    assert.is(done.match[1], '2', done.text)
    assert.match(done.text, line)
    if (language === ZH) {
      const text = done.text
        .replace(/EXIT=\d+/, ' ')
        .split(ref.server.url)
        .join(' ')
      assert.equal(englishSentences(text), [], done.text)
    }
    await pane.stop()
  }
})

test.run()
