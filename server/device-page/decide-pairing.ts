// Approving or denying a pairing from outside the running server (the `approve` and `deny`
// commands, tests): a provider on the same store that never listens, and the same
// DeviceCode/Grant steps as the /device page, so the server's token endpoint answers the
// polling client by itself.
import { findAccountByEmail } from '../storage/accounts.js'
import { withStore } from '../storage/store.js'
import { approveDeviceCode, denyDeviceCode, findPendingDeviceCode, LOOKUP_MESSAGES } from './device-approval.js'
import { createProvider } from '../oauth/provider.js'
import { createSignInLimiter } from '../oauth/sign-in-limiter.js'

export type PairingDecision = { approve: true; email: string } | { approve: false }

/** `location`: the server's data directory, or its `postgres://` database. */
export async function decidePairing(location: string, userCode: string, decision: PairingDecision): Promise<{ processName?: string; hostname?: string }> {
  return withStore(location, async ({ sql, keys }) => {
    // Models do not read the issuer or the device-code lifetime when finding and saving codes.
    const provider = createProvider({
      issuer: 'http://127.0.0.1',
      sql,
      keys,
      deviceTtl: 600,
      corsOrigins: [],
      limiter: createSignInLimiter(sql),
    })
    const lookup = await findPendingDeviceCode(provider, userCode)
    if (lookup.kind !== 'pending') throw new Error(LOOKUP_MESSAGES[lookup.kind])
    if (decision.approve) {
      const account = await findAccountByEmail(sql, decision.email)
      if (!account) throw new Error(`no account for ${decision.email}`)
      await approveDeviceCode(provider, lookup.code, account.accountId)
    } else {
      await denyDeviceCode(lookup.code)
    }
    return { processName: lookup.processName, hostname: lookup.hostname }
  })
}
