// Gathering calls into one statement: what goes together, in what order the answers come back,
// how many batches are out at once, and what happens when a batch fails.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { statementBatch } from '../../server/storage/statement-batch.js'

const turn = () => new Promise((resolve) => setImmediate(resolve))

function recorder(options: { fail?: (inputs: string[]) => boolean; hold?: boolean; maxWaiting?: number } = {}) {
  const batches: string[][] = []
  const gates: Array<() => void> = []
  const call = statementBatch<string, string>(
    async (inputs) => {
      batches.push(inputs)
      if (options.hold) await new Promise<void>((resolve) => gates.push(resolve))
      if (options.fail?.(inputs)) throw new Error('refused')
      return inputs.map((input) => `answer:${input}`)
    },
    { inFlight: 2, maxSize: 3, maxWaiting: options.maxWaiting ?? 100, key: (input) => input.split('#')[0]! },
  )
  return { batches, call, releaseOne: () => gates.shift()?.() }
}

test('calls made in one turn go in one batch, each answered with its own output', async () => {
  const { batches, call } = recorder()
  assert.equal(await Promise.all(['a', 'b', 'c'].map(call)), ['answer:a', 'answer:b', 'answer:c'])
  assert.equal(batches, [['a', 'b', 'c']])
})

test('a batch holds at most maxSize calls; at most inFlight batches are out, the rest wait for one to return', async () => {
  const { batches, call, releaseOne } = recorder({ hold: true })
  const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(call)
  await turn()
  assert.equal(batches, [
    ['a', 'b', 'c'],
    ['d', 'e', 'f'],
  ])
  releaseOne()
  await turn()
  await turn()
  assert.equal(batches[2], ['g', 'h'], 'sent when the first batch came back')
  releaseOne()
  releaseOne()
  assert.equal(
    await Promise.all(all),
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((x) => `answer:${x}`),
  )
})

test('a call whose key is out waits for that batch to come back, even when another batch could go', async () => {
  const { batches, call, releaseOne } = recorder({ hold: true })
  const first = call('a#1')
  await turn()
  const second = call('a#2')
  const other = call('b')
  await turn()
  assert.equal(batches, [['a#1'], ['b']], 'a#2 is held back while a#1 is out')
  releaseOne()
  assert.is(await first, 'answer:a#1')
  await turn()
  assert.equal(batches[2], ['a#2'])
  releaseOne()
  releaseOne()
  assert.equal(await Promise.all([second, other]), ['answer:a#2', 'answer:b'])
})

test('a failed batch fails each of its calls with its error, and nothing is sent again', async () => {
  const { batches, call } = recorder({ fail: (inputs) => inputs.includes('bad') })
  const answers = await Promise.allSettled(['a', 'bad', 'c'].map(call))
  assert.equal(
    answers.map((a) => (a.status === 'rejected' ? (a.reason as Error).message : a.value)),
    ['refused', 'refused', 'refused'],
  )
  assert.is(batches.length, 1)
  assert.is(await call('d'), 'answer:d', 'the next batch goes out')
})

test('a batch answered with the wrong number of outputs fails each of its calls', async () => {
  const call = statementBatch<string, string>(async () => ['only one'], { inFlight: 1, maxSize: 10, maxWaiting: 10, key: (x) => x })
  const answers = await Promise.allSettled(['a', 'b'].map(call))
  assert.ok(answers.every((a) => a.status === 'rejected' && /a batch of 2 calls was answered with 1/.test((a.reason as Error).message)))
})

test('past maxWaiting calls, a call fails at once', async () => {
  const { call, releaseOne } = recorder({ hold: true, maxWaiting: 2 })
  const waiting = ['a', 'b'].map(call)
  let message = ''
  await call('c').catch((error: Error) => (message = error.message))
  assert.match(message, /the store is busy: 2 calls are waiting/)
  await turn()
  releaseOne()
  assert.equal(await Promise.all(waiting), ['answer:a', 'answer:b'])
})

test('calls in later turns make later batches', async () => {
  const { batches, call } = recorder()
  assert.is(await call('a'), 'answer:a')
  assert.is(await call('b'), 'answer:b')
  assert.equal(batches, [['a'], ['b']])
})

test.run()
