// An inspector never sees a secret: replaced by key name (machines/inspection.ts) and by value
// (the secrets this process holds, so a token repeated inside a server's message is replaced
// too). The Node API wraps whatever inspector it is given; the client's runners take only one
// wrapped here (machines/secret-safe-mark.ts), so that a page that does not inspect bundles none of this.
import { secretSafeInspector as byKey, type Inspector, type SecretSafeOptions } from '../../machines/inspection.js'
import { isSecretSafe, markSecretSafe, type SecretSafeInspector } from '../../machines/secret-safe-mark.js'
import { heldSecrets } from './held-secrets.js'

/**
 * Wraps an inspector (a function, or an observer such as @statelyai/inspect's `inspector.inspect`)
 * so it sees every snapshot, event and effect input and output with the secrets replaced.
 */
export const secretSafeInspector = (inspector: Inspector, options: SecretSafeOptions = {}): SecretSafeInspector =>
  // Wrapped here already: every event is redacted once, not twice.
  isSecretSafe(inspector) && !options.secrets ? inspector : markSecretSafe(byKey(inspector, { secrets: options.secrets ?? heldSecrets }))

/** The Node API's `inspect` option: any inspector, wrapped unless it is wrapped already; undefined stays undefined. */
export const safeInspect = (inspector: Inspector | undefined): SecretSafeInspector | undefined => inspector && secretSafeInspector(inspector)
