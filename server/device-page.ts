import type { Middleware } from 'koa'
import type { Db } from './database.js'
import type { OmicosProvider } from './provider.js'
import type { SignInLimiter } from './sign-in-limiter.js'

export interface DevicePageOptions {
  provider: OmicosProvider
  db: Db
  limiter: SignInLimiter
}

export function devicePage(_options: DevicePageOptions): Middleware {
  return (_ctx, next) => next()
}
