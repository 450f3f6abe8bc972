// The layering of the source tree, checked on every `npm test` (and alone by `npm run deps`).
// README.md, "Layout", says the same rules in words; a change to one is a change to both.
//
// Data flows one way: cli -> the package entries -> effects/node -> effects/store ->
// effects/client -> machines. A module may import its own layer and the layers after it,
// never one before it, and never in a circle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'machines-are-pure',
      comment:
        'machines/ decide and do nothing: they import xstate and each other, no effect, command, ' +
        'server or test code, and no Node built-in (their tsconfig has no Node types either).',
      severity: 'error',
      from: { path: '^machines/' },
      to: { pathNot: ['^machines/', '^node_modules/xstate/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'machines-no-node-builtins',
      comment: 'A machine runs wherever xstate runs: a browser, a worker, another runtime.',
      severity: 'error',
      from: { path: '^machines/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'testing-kit-is-runtime-neutral',
      comment: 'omicos-auth/testing drives machines with scripted effects under any test runner: machines and xstate only.',
      severity: 'error',
      from: { path: '^testing/' },
      to: { pathNot: ['^testing/', '^machines/', '^node_modules/xstate/'] },
    },
    {
      name: 'client-is-runtime-neutral',
      comment:
        'effects/client/ runs wherever fetch does (a browser, a worker, Node): it imports machines/, ' +
        'itself and xstate, no Node built-in and nothing of the store or the Node runtime.',
      severity: 'error',
      from: { path: '^effects/client/' },
      to: { pathNot: ['^effects/client/', '^machines/', '^node_modules/xstate/'] },
    },
    {
      name: 'store-imports-no-node-runtime',
      comment:
        'effects/store/ is below effects/node/: the Node actors, fetch, prompts and the package API use ' +
        'the store, never the other way round. What the store needs to find its files (the homes) lives in the store.',
      severity: 'error',
      from: { path: '^effects/store/' },
      to: { path: '^effects/node/' },
    },
    {
      name: 'effects-import-no-front-end',
      comment: 'Effects report to whoever runs them; commands, the server, specs and scripts sit above.',
      severity: 'error',
      from: { path: '^effects/' },
      to: { path: '^(cli|server|spec|scripts|examples|testing)/' },
    },
    {
      name: 'cli-through-the-package-entries',
      comment:
        'cli/ is a front end like any other: it reaches the engine only through the entries package.json ' +
        'exports (omicos-auth, /status, /machines, /client, /effects), so all it uses is public API that ' +
        'another front end can use too. Not /testing (a command ships no test kit) nor /device-grant (its ' +
        "device login is the login machine's). What it lacks is exported from an entry, not reached for.",
      severity: 'error',
      from: { path: '^cli/' },
      to: {
        path: '^(machines|effects|testing)/',
        pathNot: '^(effects/node/api|effects/node/status-flow|machines/index|effects/client/index|effects/index)[.]ts$',
      },
    },
    {
      name: 'examples-use-the-published-package',
      comment:
        'An example is built against the packed package, as an embedder would build it: it imports the ' +
        'engine by the names package.json exports (omicos-auth/...), never a source file, and no CLI code.',
      severity: 'error',
      from: { path: '^examples/' },
      // The package's names resolve through tsconfig.json "paths", which map the entries alone.
      to: { path: '^(machines|effects|testing|cli)/', dependencyTypesNot: ['aliased-tsconfig-paths'] },
    },
    {
      name: 'server-is-its-own-package',
      comment:
        'server/ is omicos-auth-server, published apart: it imports nothing of the engine (the contract ' +
        'between them is HTTP, docs/server-contract.md), only its own files and its own dependencies.',
      severity: 'error',
      from: { path: '^server/' },
      to: { path: '^(machines|effects|cli|testing|spec|scripts|examples)/' },
    },
    {
      name: 'only-specs-and-scripts-start-the-server',
      comment: 'The engine never needs the reference server; specs, scripts and the examples start it to talk to.',
      severity: 'error',
      from: { pathNot: '^(server|spec|scripts|examples)/' },
      to: { path: '^server/' },
    },
    {
      name: 'no-circular',
      comment:
        'A cycle means two modules are one concern split badly, or a shared part not yet named: ' +
        'move the shared part to a module of its own. Type-only imports count too.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    exclude: { path: ['^dist/', '^server/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
