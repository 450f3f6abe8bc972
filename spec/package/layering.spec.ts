// The layering rules (.dependency-cruiser.cjs) bite: `npm test` runs them over the real tree and
// finds it clean, which a rule that matches nothing would also do. So here they run over a small
// tree of the same layout that breaks each rule once and keeps one allowed import of each kind,
// and the violations reported must be exactly those broken.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const CONFIG = resolve('.dependency-cruiser.cjs')
const CRUISER = resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs')

/** path -> the modules it imports (relative specifiers, or a built-in) */
type Tree = Record<string, string[]>

const cruise = (tree: Tree): string[] => {
  const dir = mkdtempSync(join(tmpdir(), 'omicos-layering-'))
  try {
    const paths = { 'omicos-auth/machines': ['./machines/index.ts'] }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, paths } }))
    for (const [file, imports] of Object.entries(tree)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), `${imports.map((name) => `import '${name}'\n`).join('')}export const here = ${JSON.stringify(file)}\n`)
    }
    const roots = [...new Set(Object.keys(tree).map((file) => file.split('/')[0]))]
    const run = spawnSync(process.execPath, [CRUISER, '--config', CONFIG, '--output-type', 'err', ...roots], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
    // One violation a block: `error <rule>: <from> → <to>`, a cycle's modules on further lines.
    const violations = [...run.stdout.matchAll(/^ *error ([\w-]+): (.*(?:\n {6}.*)*)/gm)].map(
      ([, rule, path]) =>
        `${rule}: ${path
          .trim()
          .split(/\s*\u2192\s*/)
          .join(' -> ')}`,
    )
    // The checker's exit code is the number of errors it found: a broken rule fails `npm test`.
    assert.is(run.status, violations.length, run.stdout + run.stderr)
    return violations.sort()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('each rule reports the import that breaks it, and only that', () => {
  const found = cruise({
    'machines/decide.ts': ['./shared.js'],
    'machines/shared.ts': [],
    'machines/one.ts': ['./other.js'],
    'machines/other.ts': ['./one.js'],
    'machines/reach.ts': ['node:fs', '../effects/client/door.js'],
    'effects/client/door.ts': ['../../machines/shared.js'],
    'effects/node/words.ts': ['../../cli/words.js'],
    'effects/client/reach.ts': ['./door.js', '../../machines/shared.js', 'node:crypto', '../store/files.js'],
    'effects/store/files.ts': ['../client/door.js', 'node:path', '../node/runtime.js'],
    'effects/node/runtime.ts': ['../store/home.js', 'node:os'],
    'effects/store/home.ts': ['node:path'],
    'testing/kit.ts': ['../machines/shared.js', '../effects/store/files.js'],
    'server/main.ts': ['./routes.js', 'node:http', '../machines/shared.js'],
    'server/routes.ts': [],
    'cli/words.ts': ['../server/main.js'],
    'cli/render.ts': ['../machines/index.js', '../effects/node/api.js', '../effects/node/status-flow.js', '../machines/failure.js', '../effects/client/http.js'],
    'machines/index.ts': ['./shared.js', './failure.js'],
    'machines/failure.ts': [],
    'effects/node/api.ts': ['./status-flow.js', '../client/http.js'],
    'effects/node/status-flow.ts': ['../client/http.js'],
    'effects/client/http.ts': [],
    'examples/page.ts': ['omicos-auth/machines', '../machines/failure.js', '../cli/words.js'],
    'spec/starts-server.spec.ts': ['../server/main.js', '../effects/node/runtime.js'],
    'scripts/demo.ts': ['../server/main.js'],
  })
  assert.equal(found, [
    'cli-through-the-package-entries: cli/render.ts -> effects/client/http.ts',
    'cli-through-the-package-entries: cli/render.ts -> machines/failure.ts',
    'client-is-runtime-neutral: effects/client/reach.ts -> crypto',
    'client-is-runtime-neutral: effects/client/reach.ts -> effects/store/files.ts',
    'effects-import-no-front-end: effects/node/words.ts -> cli/words.ts',
    'examples-use-the-published-package: examples/page.ts -> cli/words.ts',
    'examples-use-the-published-package: examples/page.ts -> machines/failure.ts',
    'machines-are-pure: machines/reach.ts -> effects/client/door.ts',
    'machines-no-node-builtins: machines/reach.ts -> fs',
    'no-circular: machines/one.ts -> machines/other.ts -> machines/one.ts',
    'only-specs-and-scripts-start-the-server: cli/words.ts -> server/main.ts',
    'server-is-its-own-package: server/main.ts -> machines/shared.ts',
    'store-imports-no-node-runtime: effects/store/files.ts -> effects/node/runtime.ts',
    'testing-kit-is-runtime-neutral: testing/kit.ts -> effects/store/files.ts',
  ])
})

test.run()
