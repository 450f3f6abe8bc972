// The whole RFC 8628 device grant in one call, paced as section 3.5 says: the device grant
// machine run with the two requests (pairing-actors.ts) as its effects.
import { createActor, type ActorOptions, type AnyActorLogic } from 'xstate'
import type { PairingView } from '../../machines/device-grant.contract.js'
import { secretSafeOrNone, type SecretSafeInspector } from '../../machines/secret-safe-mark.js'
import { deviceGrantMachine } from '../../machines/device-grant.machine.js'
import type { DeviceAuthorizationRequest } from './device-authorization.js'
import { steadyClock } from './clock.js'
import { EngineError, engineError } from './engine-error.js'
import { grantEndpoints } from './grant-endpoints.js'
import { createPairingActors } from './pairing-actors.js'
import { runToEnd } from './run-actor.js'
import type { TokenResponse } from './token-response.js'

export interface RunDeviceGrantOptions extends DeviceAuthorizationRequest {
  /** called once with the codes to show, before the first wait */
  onCode: (auth: PairingView) => void
  /** aborting ends the grant with an `EngineError` of kind `cancelled` */
  signal?: AbortSignal
  /** the clock the grant waits on (default: real timers); XState's SimulatedClock in tests */
  clock?: ActorOptions<AnyActorLogic>['clock']
  /** cap on the backoff after connection errors (default 60000); the interval always wins over it */
  maxBackoffMs?: number
  /** XState inspection events of the grant's machine, for tracing: an inspector wrapped by `secretSafeInspector` */
  inspect?: SecretSafeInspector
}

/**
 * The whole device authorization grant (RFC 8628): runs device-grant.machine.ts, the pacing
 * of section 3.5 included, with `requestDeviceAuthorization` and `pollDeviceToken` as its two
 * effects. Resolves with the token response as the server sent it. Rejects with `EngineError`:
 * `refused` (access_denied, or invalid_grant: the code can no longer be used), `expired`
 * (expired_token, or expires_in passed here), `cancelled` (the signal), or what a request threw
 * (`unreachable`, `bad_response`).
 */
export const runDeviceGrant = async (options: RunDeviceGrantOptions): Promise<TokenResponse> => {
  const inspect = secretSafeOrNone(options.inspect)
  if (options.signal?.aborted) throw engineError('cancelled', { flow: 'deviceAuthorization' })
  // Discovered once: every request of the grant goes to the same endpoints.
  const metadata = await grantEndpoints(options, options.signal)
  let tokens: TokenResponse | null = null
  // Deadline and poll stamps on a steady clock: a wall-clock jump does not end the grant early.
  const http = { fetch: options.fetch, timeoutMs: options.timeoutMs, now: options.now ?? steadyClock() }
  const actors = createPairingActors(http, {
    clientId: options.clientId,
    scope: options.scope ?? '',
    metadata,
    extraParams: options.extraParams ?? {},
    onTokens: (response) => (tokens = response),
  })
  const actor = createActor(deviceGrantMachine.provide({ actors }), {
    input: { server: options.server ?? metadata.token_endpoint, name: '', hostname: '', maxBackoffMs: options.maxBackoffMs },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(inspect ? { inspect } : {}),
  })
  let shown = false
  actor.subscribe({
    next: (snapshot) => {
      const c = snapshot.context
      if (!shown && snapshot.matches('awaitingApproval') && c.userCode && c.verificationUri && c.deadline !== null) {
        shown = true
        options.onCode({
          userCode: c.userCode,
          verificationUri: c.verificationUri,
          verificationUriComplete: c.verificationUriComplete,
          deadline: c.deadline,
          intervalMs: c.intervalMs,
          waitMs: c.waitMs,
          retrying: c.retrying,
          polls: c.polls,
        })
      }
    },
    error: () => {},
  })
  const output = await runToEnd(actor, { signal: options.signal })
  if (output.kind === 'granted' && tokens) return tokens
  throw output.kind === 'failed' ? new EngineError(output.failure) : engineError('noTokenResponse', {})
}
