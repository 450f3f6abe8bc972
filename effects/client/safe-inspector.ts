// The package's own `inspect` options go through this: an inspector never sees a secret, by
// key name (machines/inspection.ts) and by value (the secrets this process holds, so a token
// repeated inside a server's message is replaced too).
import { secretSafeInspector as byKey, type Inspector, type SecretSafeOptions } from '../../machines/inspection.js'
import type { InspectionEvent } from 'xstate'
import { heldSecrets } from './held-secrets.js'

/**
 * Wraps an inspector (a function, or an observer such as @statelyai/inspect's `inspector.inspect`)
 * so it sees every snapshot, event and effect input and output with the secrets replaced.
 */
export const secretSafeInspector = (inspector: Inspector, options: SecretSafeOptions = {}): ((event: InspectionEvent) => void) =>
  byKey(inspector, { secrets: options.secrets ?? heldSecrets })

/** The same, for an optional inspector: undefined stays undefined. */
export const safeInspect = (inspector: Inspector | undefined): ((event: InspectionEvent) => void) | undefined =>
  inspector ? secretSafeInspector(inspector) : undefined
