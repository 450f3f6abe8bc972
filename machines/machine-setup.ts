// XState's `setup()` with only what the machines call of it: `createMachine`. Since xstate 5.32
// `setup()` also returns every action creator (assign, raise, emit, log, enqueueActions…), so a
// bundle that calls it keeps them all: 0.1 KB gzipped of a browser device login's 25 KB budget,
// and it keeps `enqueueActions` even where no machine uses it. Every machine is built with it,
// so that there is one way to build one.
//
// Typed as `setup` itself, so a machine is typed exactly as with it, generics and all, and the
// declarations name nothing of XState's internals. Only `createMachine` exists at run time:
// anything else called on it fails the machine's module on import, so every spec at once.
import { createMachine, type setup } from 'xstate'

type Implementations = Parameters<typeof createMachine>[1]

/** `setup({ types, actors, guards, actions, delays }).createMachine(config)`, as XState's. */
export const machineSetup = ((implementations: Implementations) => ({
  createMachine: (config: Parameters<typeof createMachine>[0]) => createMachine(config, implementations),
})) as unknown as typeof setup
