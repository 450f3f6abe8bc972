// Calls that arrive together go to the database as one statement. Each statement is a round trip
// and a socket write, which on a loaded server cost more than the rows themselves; a poll, the
// server's most frequent request, would otherwise make one of its own. Calls are gathered until
// the current turn of the event loop ends (every request the server read in that turn) and, while
// `inFlight` batches are already out, until one of them comes back, so the busier the server the
// larger the batch, and an idle server waits for nothing. Two calls with the same key never share
// a batch: the second goes in a later one, so the statement sees each key once.

export interface BatchOptions<In> {
  /** Batches out at once (connections they may use). */
  inFlight: number
  /** The most calls in one statement. */
  maxSize: number
  key: (input: In) => string
}

interface Waiting<In, Out> {
  input: In
  resolve: (output: Out) => void
  reject: (error: unknown) => void
}

/**
 * `run` answers a batch in the order of its inputs. When it fails, each call of the batch is
 * tried again alone with `runOne`, so one call a statement refuses (or a lock a statement lost)
 * fails only that call.
 */
export function statementBatch<In, Out>(
  run: (inputs: In[]) => Promise<Out[]>,
  runOne: (input: In) => Promise<Out>,
  options: BatchOptions<In>,
): (input: In) => Promise<Out> {
  let queue: Waiting<In, Out>[] = []
  let out = 0
  let scheduled = false

  const send = async (batch: Waiting<In, Out>[]) => {
    out++
    try {
      let outputs: Out[] | undefined
      try {
        outputs = await run(batch.map((w) => w.input))
        if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${outputs.length}`)
      } catch {
        outputs = undefined
      }
      if (outputs) batch.forEach((w, i) => w.resolve(outputs![i]!))
      else await Promise.all(batch.map((w) => runOne(w.input).then(w.resolve, w.reject)))
    } finally {
      out--
      flush()
    }
  }

  function flush() {
    while (queue.length > 0 && out < options.inFlight) {
      const batch: Waiting<In, Out>[] = []
      const keys = new Set<string>()
      const later: Waiting<In, Out>[] = []
      for (const waiting of queue) {
        const key = options.key(waiting.input)
        if (batch.length < options.maxSize && !keys.has(key)) {
          keys.add(key)
          batch.push(waiting)
        } else later.push(waiting)
      }
      queue = later
      void send(batch)
    }
  }

  return (input) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ input, resolve, reject })
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          flush()
        })
      }
    })
}
