// The committed machine diagrams are read by people through Mermaid, so Mermaid itself must
// parse and draw them: each one is rendered by the mermaid package in headless Chromium, and
// a syntax error or an empty drawing fails. (diagrams.spec.ts checks they are up to date.)
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Browser } from 'playwright-core'
import { closeChromium, launchChromium, openPage } from '../support/browser.js'
import { timeout } from '../support/wait.js'

const DOCS = 'docs/machines'
const mermaidBundle = readFileSync(createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js'), 'utf8')

const diagrams = readdirSync(DOCS)
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name, source: /```mermaid\n([\s\S]*?)```/.exec(readFileSync(join(DOCS, name), 'utf8'))?.[1] ?? '' }))

let browser: Browser | undefined
test.before(async () => {
  browser = await launchChromium()
})
test.after(async () => closeChromium(browser))

test('there is a diagram for each machine', () => {
  assert.equal(diagrams.map((d) => d.name).sort(), ['device-grant.md', 'login.md', 'logout.md', 'password-grant.md', 'status.md'])
  for (const { name, source } of diagrams) assert.match(source, /^stateDiagram-v2/, name)
})

for (const { name, source } of diagrams) {
  test(`${name}: Mermaid parses and draws it`, async () => {
    const { context, page } = await openPage(browser!)
    try {
      await page.setContent('<!doctype html><html><body><div id="out"></div></body></html>')
      await timeout(page.addScriptTag({ content: mermaidBundle }), 20_000, 'loading mermaid')
      const result = await timeout(
        page.evaluate(async (text) => {
          const mermaid = (window as unknown as { mermaid: any }).mermaid
          mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' })
          try {
            const { svg } = await mermaid.render('diagram', text)
            document.getElementById('out')!.innerHTML = svg
            const drawn = document.querySelectorAll('#out g.node, #out g.stateGroup, #out .node').length
            return { ok: true as const, drawn, text: document.getElementById('out')!.textContent ?? '' }
          } catch (error) {
            return { ok: false as const, message: String((error as Error)?.message ?? error) }
          }
        }, source),
        30_000,
        `rendering ${name}`,
      )
      assert.ok(result.ok, `${name}: ${'message' in result ? result.message : ''}`)
      if (result.ok) {
        // Every state is drawn under its own name (a plain state with a description would
        // show the description alone).
        const states = [...source.matchAll(/^\s*state (?:"([^"]+)" as \w+|(\w+))/gm)].map((m) => m[1] ?? m[2]!)
        assert.ok(states.length > 0, `${name}: no states declared`)
        assert.ok(result.drawn >= states.length, `${name}: drew ${result.drawn} nodes for ${states.length} states`)
        for (const state of states) assert.ok(result.text.includes(state), `${name}: state ${state} is not shown by name`)
      }
    } finally {
      await timeout(context.close(), 10_000, 'closing the page').catch(() => {})
    }
  })
}

test.run()
