// Approving or denying a pairing from outside the running server (the `approve` and `deny`
// commands, tests): a provider on the same SQLite file that never listens, and the same
// DeviceCode/Grant steps as the /device page, so the server's token endpoint answers the
// polling client by itself.
import { findAccountByEmail } from '../storage/accounts.js'
import { openDatabase } from '../storage/database.js'
import { approveDeviceCode, denyDeviceCode, findPendingDeviceCode, LOOKUP_MESSAGES } from './device-approval.js'
import { loadOrCreateKeys } from '../storage/keys.js'
import { createProvider } from '../oauth/provider.js'
import { createSignInLimiter } from '../oauth/sign-in-limiter.js'

export type PairingDecision = { approve: true; email: string } | { approve: false }

export async function decidePairing(dataDir: string, userCode: string, decision: PairingDecision): Promise<{ processName?: string; hostname?: string }> {
  const db = openDatabase(dataDir)
  try {
    // Models do not read the issuer or the device-code lifetime when finding and saving codes.
    const provider = createProvider({
      issuer: 'http://127.0.0.1', db, keys: loadOrCreateKeys(dataDir), deviceTtl: 600, corsOrigins: [], limiter: createSignInLimiter(db),
    })
    const lookup = await findPendingDeviceCode(provider, userCode)
    if (lookup.kind !== 'pending') throw new Error(LOOKUP_MESSAGES[lookup.kind])
    if (decision.approve) {
      const account = findAccountByEmail(db, decision.email)
      if (!account) throw new Error(`no account for ${decision.email}`)
      await approveDeviceCode(provider, lookup.code, account.accountId)
    } else {
      await denyDeviceCode(lookup.code)
    }
    return { processName: lookup.processName, hostname: lookup.hostname }
  } finally {
    db.close()
  }
}
