// `omicos completion bash|zsh|fish`: scripts written from the command definitions. The bash
// script is loaded into a real bash (`complete -p omicos` lists it) and its function is
// called the way bash calls it on <TAB> (COMP_WORDS, COMP_CWORD); zsh and fish check the
// syntax of theirs when those shells are installed.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Builtins } from 'clipanion'
import { CliLoginCommand } from '../../cli/cli-login.command.js'
import { CompletionCommand } from '../../cli/completion.command.js'
import { LoginCommand } from '../../cli/login.command.js'
import { CommandLine } from '../../cli/run-command-line.js'
import { commandShapes } from '../../cli/suggest.js'
import { makeSandbox, runCli } from '../support/cli.js'

const box = makeSandbox()
test.after(() => box.cleanup())
const run = (args: string[]) => runCli(args, { cwd: box.workspace, env: box.env, timeoutMs: 10_000 })

async function script(shell: string): Promise<string> {
  const result = await run(['completion', shell])
  assert.is(result.code, 0, result.stderr)
  assert.is(result.stderr, '')
  const file = join(box.workspace, `omicos.${shell}`)
  writeFileSync(file, result.stdout)
  return file
}

/** Runs `lines` in a bash with no startup files and the script loaded; its stdout. */
function inBash(file: string, lines: string[]): string {
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', [`source ${JSON.stringify(file)}`, ...lines].join('\n')], {
    encoding: 'utf8',
    timeout: 10_000,
  })
  assert.is(result.status, 0, result.stderr)
  assert.is(result.stderr, '')
  return result.stdout
}

/** What the completion offers for the command line `words`, the last one being completed. */
function complete(file: string, words: string[]): string[] {
  const array = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')
  const out = inBash(file, [
    `COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; COMPREPLY=()`,
    // The function `complete -p` names, as bash itself would call it.
    `fn=$(complete -p omicos | sed -E 's/.*-F ([^ ]+) .*/\\1/')`,
    `"$fn" omicos ${JSON.stringify(words.at(-1))} ${JSON.stringify(words.at(-2) ?? '')}`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ])
  return out.split('\n').filter(Boolean)
}

test('bash: the script loads, and `complete -p omicos` lists its function', async () => {
  const file = await script('bash')
  assert.match(inBash(file, ['complete -p omicos']), /^complete -F \S+ omicos$/m)
})

test("bash: commands, subcommands, options and shells complete; an option's value is left alone", async () => {
  const file = await script('bash')
  assert.equal(complete(file, ['omicos', 'lo']), ['login'])
  assert.equal(complete(file, ['omicos', '']), ['login', 'cli', 'completion'])
  assert.equal(complete(file, ['omicos', 'cli', '']), ['login'])
  assert.equal(complete(file, ['omicos', 'cli', 'login', '--no']), ['--no-qr'])
  assert.equal(complete(file, ['omicos', 'login', '--pass']), ['--password', '--password-stdin'])
  assert.equal(complete(file, ['omicos', 'login', '--email', '']), [], "the email is the user's to type")
  assert.equal(complete(file, ['omicos', 'login', '--email', 'a@b', '--st']), ['--status'])
  assert.equal(complete(file, ['omicos', 'completion', '']), ['bash', 'zsh', 'fish'])
  assert.equal(complete(file, ['omicos', 'completion', 'bash', '']), [])
  assert.equal(complete(file, ['omicos', 'lgin', '']), [], 'nothing for a command that does not exist')
})

test('bash: every command and every option of the definitions is offered', async () => {
  const file = await script('bash')
  const cli = new CommandLine({ binaryName: 'omicos', enableColors: false })
  for (const command of [LoginCommand, CliLoginCommand, CompletionCommand, Builtins.HelpCommand, Builtins.VersionCommand]) cli.register(command)
  const commands = commandShapes(cli)
  assert.equal(commands.map((c) => c.path.join(' ')).sort(), ['cli login', 'completion', 'login'])
  for (const command of commands) {
    const offered = complete(file, ['omicos', ...command.path, '-'])
    for (const option of command.options)
      for (const name of option.names.filter((n) => n.startsWith('--'))) assert.ok(offered.includes(name), `${name} for ${command.path.join(' ')}: ${offered}`)
  }
})

for (const shell of ['zsh', 'fish'] as const) {
  test(`${shell}: a script of every command and option${existsSync(`/usr/bin/${shell}`) ? `, and ${shell} -n accepts it` : ''}`, async () => {
    const file = await script(shell)
    const text = spawnSync('cat', [file], { encoding: 'utf8' }).stdout
    for (const word of ['login', 'cli', 'completion', 'password-stdin', 'no-qr', 'workspace']) assert.match(text, word)
    assert.match(text, shell === 'zsh' ? /compdef \S+ omicos/ : /^complete -c omicos /m)
    if (existsSync(`/usr/bin/${shell}`)) {
      const check = spawnSync(`/usr/bin/${shell}`, ['-n', file], { encoding: 'utf8', timeout: 10_000 })
      assert.is(check.status, 0, check.stderr)
      // What the shell offers for `omicos cli login --no<TAB>`: fish says it with `complete -C`;
      // zsh's function is called with its words, _describe standing in for the menu.
      const offered =
        shell === 'fish'
          ? spawnSync('/usr/bin/fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -C 'omicos cli login --no'`], {
              encoding: 'utf8',
              timeout: 10_000,
            })
          : spawnSync(
              '/usr/bin/zsh',
              [
                '-f',
                '-c',
                `compdef() { :; }; source ${JSON.stringify(file)}; _describe() { print -l -- "\${(@P)4}" }; words=(omicos cli login --no); CURRENT=4; _omicos_completion`,
              ],
              { encoding: 'utf8', timeout: 10_000 },
            )
      assert.is(offered.status, 0, offered.stderr)
      assert.match(offered.stdout, /^--no-qr\b/m)
    }
  })
}

test('omicos --help names the completion command; its own --help shows how to load each script', async () => {
  const help = await run(['--help'])
  assert.is(help.code, 0)
  assert.match(help.stdout, /omicos completion \[bash\|zsh\|fish\]\n\s+Print a shell completion script for bash, zsh or fish/)
  const own = await run(['completion', '--help'])
  assert.is(own.code, 0)
  for (const line of ['source <(omicos completion bash)', 'source <(omicos completion zsh)', 'omicos completion fish > ~/.config/fish/completions/omicos.fish'])
    assert.match(own.stdout, line)
  assert.match(own.stdout, 'Exit codes:')
})

test.run()
