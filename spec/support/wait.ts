// Bounded waiting for the specs: uvu has no per-test timeout, so every await that could hang
// goes through `timeout`, and a pause is a plain `sleep`.

/** Rejects with `what timed out after N ms` when the promise does not settle in time. */
export function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
