// Calls that arrive together go to the database as one statement. Each statement is a round trip
// and a socket write, which on a loaded server cost more than the rows themselves; a poll, the
// server's most frequent request, would otherwise make one of its own. Calls are gathered until
// the current turn of the event loop ends (every request the server read in that turn) and, while
// `inFlight` batches are already out, until one of them comes back, so the busier the server the
// larger the batch, and an idle server waits for nothing. A key is in at most one batch at a time:
// a second call with a key that is out waits for that batch to come back, so calls with one key
// run in the order they were made and a statement sees each key once.

export interface BatchOptions<In> {
  /** Batches out at once (connections they may use). */
  inFlight: number
  /** The most calls in one statement. */
  maxSize: number
  /** The most calls waiting; past it a call fails at once rather than queue behind a slow store. */
  maxWaiting: number
  key: (input: In) => string
}

interface Waiting<In, Out> {
  input: In
  key: string
  resolve: (output: Out) => void
  reject: (error: unknown) => void
}

/**
 * `run` answers a batch in the order of its inputs. A batch that fails fails each of its calls
 * with that error: nothing is tried again, because a statement whose answer was lost (a dropped
 * connection) may have been applied.
 */
export function statementBatch<In, Out>(run: (inputs: In[]) => Promise<Out[]>, options: BatchOptions<In>): (input: In) => Promise<Out> {
  let queue: Waiting<In, Out>[] = []
  const keysOut = new Set<string>()
  let out = 0
  let scheduled = false

  const send = async (batch: Waiting<In, Out>[]) => {
    out++
    try {
      const outputs = await run(batch.map((w) => w.input))
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} calls was answered with ${outputs.length}`)
      for (const [i, w] of batch.entries()) w.resolve(outputs[i]!)
    } catch (error) {
      for (const w of batch) w.reject(error)
    } finally {
      out--
      for (const w of batch) keysOut.delete(w.key)
      flush()
    }
  }

  function flush() {
    while (out < options.inFlight) {
      const batch: Waiting<In, Out>[] = []
      const later: Waiting<In, Out>[] = []
      for (const waiting of queue) {
        if (batch.length < options.maxSize && !keysOut.has(waiting.key)) {
          keysOut.add(waiting.key)
          batch.push(waiting)
        } else later.push(waiting)
      }
      queue = later
      if (batch.length === 0) return
      void send(batch)
    }
  }

  return (input) =>
    new Promise<Out>((resolve, reject) => {
      if (queue.length >= options.maxWaiting) {
        reject(new Error(`the store is busy: ${queue.length} calls are waiting`))
        return
      }
      queue.push({ input, key: options.key(input), resolve, reject })
      if (!scheduled) {
        scheduled = true
        setImmediate(() => {
          scheduled = false
          flush()
        })
      }
    })
}
