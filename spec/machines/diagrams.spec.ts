// docs/machines/*.md are generated from the machine definitions and the words of
// machines/*.descriptions.ts (`npm run visualize`): this fails when a machine changed and its
// page was not regenerated, when a state lacks a meaning, or a meaning names no state.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderMachineDoc, renderMermaid } from '../../scripts/machine-diagram.js'
import { machineDescriptions, machineDocs } from '../../scripts/machine-docs.js'
import { allStateNodes, allTransitions } from '../support/machine-harness.js'

for (const { name, machine, descriptions } of machineDescriptions) {
  test(`${name}: ${name}.descriptions.ts says what the machine and every state mean, and names no other state`, () => {
    const paths = allStateNodes(machine).map((node) => node.path.join('.'))
    const meaningful = (text: string | undefined) => typeof text === 'string' && text.length > 20
    assert.ok(meaningful(descriptions.machine), `${name} is described`)
    assert.equal(
      paths.filter((path) => !meaningful(descriptions.states[path])),
      [],
      'states without a meaning',
    )
    assert.equal(
      Object.keys(descriptions.states).filter((path) => !paths.includes(path)),
      [],
      'meanings of no state',
    )
  })
}

for (const entry of machineDocs) {
  test(`${entry.name}: the drawn machine has every description`, () => {
    assert.equal(
      allStateNodes(entry.machine)
        .filter((node) => !node.description)
        .map((node) => node.id),
      [],
    )
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
