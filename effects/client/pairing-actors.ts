// The device login's two server-only effects, asking for a code and polling for its answer,
// as actors for any front end that has a fetch: the Node CLI (node-actors.ts) and a web page
// (examples/web-pairing) provide the same ones and differ only in where a login is kept.
import { fromPromise } from 'xstate'
import type { DeviceAuthorization, PollInput, PollResult, RequestCodeInput } from '../../machines/contracts.js'
import { pollDeviceToken, requestDeviceAuthorization } from './device-grant.js'
import type { HttpDeps } from './http.js'
import { fetchAccount, revokeIssuedSession, toUserSession } from './omicos-api.js'

export interface PairingClient {
  clientId: string
  scope: string
}

export const createPairingActors = (http: HttpDeps & { now: () => number }, { clientId, scope }: PairingClient) => ({
  requestCode: fromPromise<DeviceAuthorization, RequestCodeInput>(({ input, signal }) =>
    requestDeviceAuthorization(
      // The approver sees which process on which machine asks (RFC 8628 leaves extra parameters to the server).
      { ...http, server: input.server, clientId, scope, extraParams: { process_name: input.name, hostname: input.hostname } },
      signal,
    ),
  ),

  pollToken: fromPromise<PollResult, PollInput>(async ({ input, signal }) => {
    const result = await pollDeviceToken({ ...http, server: input.server, clientId, deviceCode: input.deviceCode }, signal)
    // pending, slowDown, denied, expired, invalidGrant and unavailable (with its Retry-After)
    // are the machine's to decide on, unchanged.
    if (result.kind !== 'granted') return result
    let account
    try {
      account = await fetchAccount(http, input.server, result.tokens.access_token, signal)
    } catch (error) {
      // The machine never sees tokens this actor fails with: take them back here.
      await revokeIssuedSession(http, input.server, clientId, result.tokens)
      throw error
    }
    return { kind: 'granted', session: toUserSession(result.tokens, account, result.at), at: result.at }
  }),
})
