// node-oidc-provider warns "Unsupported runtime" on import under Node 20 LTS, which it runs on
// fine (it needs Node >= 20.18). The warning is printed while the module evaluates, so the
// library is imported here, once, behind a filter that drops that one line and nothing else.
// Every server module takes the library from here; a static import elsewhere would print it.
import type * as OidcProviderModule from 'oidc-provider'

async function importQuietly(): Promise<typeof OidcProviderModule> {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return
    warn(...args)
  }
  try {
    return await import('oidc-provider')
  } finally {
    console.warn = warn
  }
}

const library = await importQuietly()

export const Provider = library.default
export const errors = library.errors
