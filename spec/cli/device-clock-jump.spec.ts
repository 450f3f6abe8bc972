// The wall clock jumps while `omicos cli login` waits for approval (faketime's timestamp file,
// moved while the child runs; its monotonic clock is left alone, as on a real machine): an hour
// forward does not end the pairing as expired, an hour back does not stall its polls, and an
// approval after the jump logs in.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { finished, pairingSpec, readPairing, DEVICE_GRANT_TYPE } from '../support/device-pairing.js'
import { hasFaketime, jumpableClock } from '../support/faketime.js'
import { sleep, timeout } from '../support/wait.js'

const { ref, sandbox, cliLogin, approve } = pairingSpec(test, { interval: 1 })

const polls = () => ref.server.requests.filter((e) => e.grantType === DEVICE_GRANT_TYPE).length

for (const offset of ['+1h', '-1h']) {
  test(`a wall-clock jump of ${offset} during a pairing: it goes on polling, and the approval logs in`, async () => {
    if (!hasFaketime()) return
    const box = sandbox()
    const clock = jumpableClock()
    const cli = cliLogin({ workspace: box.workspace, env: { ...box.env, ...clock.env } })
    const { code } = await readPairing(cli)
    const first = polls()
    const polled = async (n: number) => {
      while (polls() < n) await sleep(50)
    }
    await timeout(polled(first + 1), 20_000, 'a poll before the jump')
    clock.jump(offset)
    const atJump = polls()
    // Polls go on after the jump (the interval is 1 s): neither ended nor stalled.
    await timeout(polled(atJump + 3), 30_000, 'polls after the jump')
    assert.is(cli.child.exitCode, null, 'still waiting for approval')
    await approve(code)
    const result = await finished(cli, 30_000)
    assert.is(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, 'Logged in as')
  })
}

test.run()
