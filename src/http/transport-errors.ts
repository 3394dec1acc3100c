import { ErrorCodes, OAuth1Error } from '../errors.js'

/**
 * Maps transport failures to coded errors: timeouts to `OAUTH1_TIMEOUT` (504), unreachable
 * hosts to `OAUTH1_NETWORK` (502), undici's refusals of the request itself to
 * `OAUTH1_INVALID_REQUEST`. The message names the origin and path, never the query; for undici's
 * informational errors (a reset socket, a dispatcher's refusal) it adds their message.
 */
export function toTransportError (error: unknown, url: URL, timeout: number): unknown {
  if (error instanceof OAuth1Error) return error
  const code = (error as { code?: string } | null)?.code
  const where = url.origin + url.pathname
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new OAuth1Error(ErrorCodes.TIMEOUT, `No answer from ${where} within ${timeout} ms`, { cause: error })
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
    return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `undici refused the request to ${where}: ${(error as Error).message}`, { cause: error })
  }
  if ((error as Error | null)?.name === 'AbortError' || (error as Error | null)?.name === 'TimeoutError') return error
  if (typeof code === 'string') {
    const detail = code === 'UND_ERR_INFO' ? `: ${(error as Error).message}` : ''
    return new OAuth1Error(ErrorCodes.NETWORK, `Could not reach ${where} (${code}${detail})`, { cause: error })
  }
  return error
}
