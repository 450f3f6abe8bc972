// A server's refusal (an OAuth error answer) as a failure: its code and description after the
// sanitizer, never any other text the server sent.
import type { RefusalDetails, RefusedRequest } from '../../machines/failure.js'
import type { EngineError } from './engine-error.js'
import { engineError } from './engine-error.js'
import type { JsonResponse } from './http.js'
import { serverErrorCode, serverText } from './sanitize-server-text.js'
import { hostOf } from './server-url.js'

/** A refusal's details: the host, the request, the server's `error` and `error_description` after the sanitizer, the status. */
export const refusalDetails = (url: string, request: RefusedRequest, answer: Pick<JsonResponse, 'status' | 'body'>): RefusalDetails => ({
  host: hostOf(url),
  request,
  error: answer.body?.error === undefined ? null : (serverErrorCode(answer.body.error) ?? ''),
  description: serverText(answer.body?.error_description),
  status: answer.status,
})

/** The one place that turns a server's refusal into a failure; nothing else puts text a server sent into one. */
export const refusal = (url: string, request: RefusedRequest, answer: Pick<JsonResponse, 'status' | 'body'>): EngineError =>
  engineError('serverRefused', refusalDetails(url, request, answer))
