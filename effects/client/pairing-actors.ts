// The device grant's two server-only effects, asking for a code and polling for its answer,
// as actors for any front end that has a fetch: the Node CLI (effects/node/node-actors.ts), a
// web page (examples/web-pairing) and `runDeviceGrant` provide the same ones.
import { fromPromise } from 'xstate'
import type { DeviceAuthorization, PollInput, PollResult, RequestCodeInput } from '../../machines/device-grant.contract.js'
import { requestDeviceAuthorization } from './device-authorization.js'
import { pollDeviceToken } from './device-token-poll.js'
import type { DeviceGrantEndpoints } from './grant-endpoints.js'
import type { HttpDeps } from './http.js'
import type { TokenResponse } from './token-response.js'
import { toTokenSet } from './token-set.js'

export interface PairingClient {
  clientId: string
  scope: string
  /** endpoints known up front (no discovery) */
  metadata?: DeviceGrantEndpoints
  /** extra form parameters of the device authorization request, beyond the process name and host */
  extraParams?: Record<string, string>
  /** also receives the token response as the server sent it */
  onTokens?: (tokens: TokenResponse) => void
}

export const createPairingActors = (http: HttpDeps & { now: () => number }, client: PairingClient) => ({
  requestCode: fromPromise<DeviceAuthorization, RequestCodeInput>(({ input, signal }) =>
    requestDeviceAuthorization(
      {
        ...http,
        server: input.server,
        metadata: client.metadata,
        clientId: client.clientId,
        scope: client.scope,
        // The approver sees which process on which machine asks (RFC 8628 leaves extra parameters to the server).
        extraParams: client.extraParams ?? { process_name: input.name, hostname: input.hostname },
      },
      signal,
    ),
  ),

  pollToken: fromPromise<PollResult, PollInput>(async ({ input, signal }) => {
    const result = await pollDeviceToken(
      { ...http, server: input.server, metadata: client.metadata, clientId: client.clientId, deviceCode: input.deviceCode },
      signal,
    )
    if (result.kind !== 'granted') return result
    client.onTokens?.(result.tokens)
    return { kind: 'granted', tokens: toTokenSet(result.tokens, result.at), at: result.at }
  }),
})
