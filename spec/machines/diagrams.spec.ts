// docs/machines/*.md are generated from the machine definitions (`npm run visualize`): this
// fails when a machine changed and its page was not regenerated, or a state lacks a meaning.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderMachineDoc, renderMermaid } from '../../scripts/machine-diagram.js'
import { machineDocs } from '../../scripts/machine-docs.js'
import { allStateNodes, allTransitions } from '../support/machine-harness.js'

for (const entry of machineDocs) {
  test(`${entry.name}: every state says what it means`, () => {
    const missing = allStateNodes(entry.machine)
      .filter((node) => !node.description)
      .map((node) => node.id)
    assert.equal(missing, [])
    assert.ok(entry.machine.root.description)
  })

  test(`${entry.name}: the diagram shows every state and every transition`, () => {
    const mermaid = renderMermaid(entry.machine)
    assert.ok(mermaid.startsWith('stateDiagram-v2\n'))
    for (const node of allStateNodes(entry.machine)) assert.ok(mermaid.includes(node.path.join('_')), node.id)
    const edges = mermaid.split('\n').filter((line) => / --> /.test(line) && !line.includes('[*]'))
    const notes = mermaid.split('\n').filter((line) => line.includes('note left of'))
    assert.is(edges.length + notes.length, allTransitions(entry.machine).length)
  })

  test(`docs/machines/${entry.name}.md is up to date (npm run visualize)`, () => {
    const file = join(process.cwd(), 'docs', 'machines', `${entry.name}.md`)
    assert.ok(existsSync(file), `${file} is missing: run npm run visualize`)
    assert.fixture(readFileSync(file, 'utf8'), renderMachineDoc(entry))
  })
}

test.run()
