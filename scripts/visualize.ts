// `npm run visualize`: writes docs/machines/<machine>.md from the machine definitions.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { machineDocs } from './machine-docs.js'
import { renderMachineDoc } from './machine-diagram.js'

const dir = join(process.cwd(), 'docs', 'machines')
mkdirSync(dir, { recursive: true })
for (const entry of machineDocs) {
  const file = join(dir, `${entry.name}.md`)
  writeFileSync(file, renderMachineDoc(entry))
  console.log(`wrote ${file}`)
}
