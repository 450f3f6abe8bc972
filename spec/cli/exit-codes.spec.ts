import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { exitCodeFor } from '../../cli/exit-codes.js'

test('every failure kind has its documented exit code', () => {
  assert.is(exitCodeFor('usage'), 2)
  assert.is(exitCodeFor('unreachable'), 3)
  assert.is(exitCodeFor('refused'), 4)
  assert.is(exitCodeFor('expired'), 5)
  assert.is(exitCodeFor('bad_response'), 6)
  assert.is(exitCodeFor('local_files'), 7)
  assert.is(exitCodeFor('cancelled'), 130)
})

test.run()
