// Gathering calls into one statement: what goes together, in what order the answers come back,
// how many batches are out at once, and what happens when a batch fails.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { statementBatch } from '../server/storage/statement-batch.js'

interface Recorder {
  batches: string[][]
  singles: string[]
  release: () => void
}

function recorder(options: { fail?: (inputs: string[]) => boolean; hold?: boolean } = {}) {
  const rec: Recorder = { batches: [], singles: [], release: () => {} }
  let gate = Promise.resolve()
  if (options.hold) gate = new Promise((resolve) => (rec.release = resolve))
  const call = statementBatch<string, string>(
    async (inputs) => {
      rec.batches.push(inputs)
      await gate
      if (options.fail?.(inputs)) throw new Error('refused')
      return inputs.map((input) => `batch:${input}`)
    },
    async (input) => {
      rec.singles.push(input)
      if (input === 'bad') throw new Error(`refused ${input}`)
      return `one:${input}`
    },
    { inFlight: 2, maxSize: 3, key: (input) => input.split('#')[0]! },
  )
  return { rec, call }
}

test('calls made in one turn go in one batch, each answered with its own output', async () => {
  const { rec, call } = recorder()
  const answers = await Promise.all(['a', 'b', 'c'].map(call))
  assert.equal(answers, ['batch:a', 'batch:b', 'batch:c'])
  assert.equal(rec.batches, [['a', 'b', 'c']])
})

test('a batch holds at most maxSize calls, and two calls with one key never share a batch', async () => {
  const { rec, call } = recorder()
  const answers = await Promise.all(['a#1', 'b', 'a#2', 'c', 'd', 'e'].map(call))
  assert.equal(answers, ['batch:a#1', 'batch:b', 'batch:a#2', 'batch:c', 'batch:d', 'batch:e'])
  assert.equal(rec.batches, [['a#1', 'b', 'c'], ['a#2', 'd', 'e']])
})

test('while inFlight batches are out, new calls wait and go out together when one returns', async () => {
  const { rec, call } = recorder({ hold: true })
  const first = ['a', 'b', 'c', 'd', 'e', 'f'].map(call)
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(rec.batches, [['a', 'b', 'c'], ['d', 'e', 'f']])
  const later = ['g', 'h'].map(call)
  await new Promise((resolve) => setImmediate(resolve))
  assert.is(rec.batches.length, 2, 'two batches are out: the new calls wait')
  rec.release()
  assert.equal(await Promise.all([...first, ...later]), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((x) => `batch:${x}`))
  assert.equal(rec.batches[2], ['g', 'h'])
})

test('a failed batch is tried again call by call: only the call refused alone fails', async () => {
  const { rec, call } = recorder({ fail: (inputs) => inputs.includes('bad') })
  const answers = await Promise.allSettled(['a', 'bad', 'c'].map(call))
  assert.equal(answers.map((a) => (a.status === 'fulfilled' ? a.value : (a.reason as Error).message)), ['one:a', 'refused bad', 'one:c'])
  assert.equal(rec.singles, ['a', 'bad', 'c'])
})

test('a batch answered with the wrong number of outputs is tried again call by call', async () => {
  const call = statementBatch<string, string>(async () => ['only one'], async (input) => `one:${input}`, { inFlight: 1, maxSize: 10, key: (x) => x })
  assert.equal(await Promise.all(['a', 'b'].map(call)), ['one:a', 'one:b'])
})

test('calls in later turns make later batches', async () => {
  const { rec, call } = recorder()
  assert.is(await call('a'), 'batch:a')
  assert.is(await call('b'), 'batch:b')
  assert.equal(rec.batches, [['a'], ['b']])
})

test.run()
