// The one internal of node-oidc-provider the server reads (refresh-reuse.ts): the reader of a
// provider's private state, where the library keeps the grant handlers it registered. The
// library ships no types for it; pinned by package-lock.json.
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  const instance: (provider: unknown) => unknown
  export default instance
}
