import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'

/** Where logs go: a stream (tests), pretty output (a terminal), or JSON lines on stdout. */
export interface LogOptions {
  level: string
  /** Pino name, shown on every line (`app`, `demo-provider`). */
  name: string
  stream?: NodeJS.WritableStream | undefined
  pretty?: boolean | undefined
}

const secretQueryNames = /^(oauth_[a-z_]+|denied)$/i

/**
 * Removes credential-bearing values from a URL's query for logging: every `oauth_*` parameter
 * and `denied` (the callback's `oauth_token` and `oauth_verifier`, the authorize page's token).
 */
export function redactUrl (url: string): string {
  const at = url.indexOf('?')
  if (at === -1) return url
  const query = url.slice(at + 1).split('&').map((pair) => {
    const name = pair.split('=', 1)[0] as string
    let decoded = name
    try {
      decoded = decodeURIComponent(name)
    } catch {}
    return secretQueryNames.test(decoded) ? `${name}=[redacted]` : pair
  })
  return url.slice(0, at + 1) + query.join('&')
}

interface LoggedRequest {
  method: string
  url: string
  host?: string
  ip?: string
}

/**
 * The log lines of a request: one when it is answered (method, redacted URL, host, client
 * address, status, response time), none when it arrives. Fastify's default writes an "incoming
 * request" line as well, which doubles the logging cost of every request and says nothing the
 * "request completed" line does not; errors, stream errors and the rest keep Fastify's lines.
 */
export class RequestLogController extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored')
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

/**
 * Fastify logger options with secrets kept out of the logs. A request and a reply are logged
 * only through these serializers (method, redacted URL, host, client address; the status code):
 * no header, cookie or query value of theirs can reach a line. Anything else logged under a
 * `headers` or `query` key, or as a top-level token, secret or verifier, is redacted.
 */
export function loggerOptions (options: LogOptions): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: options.level,
    name: options.name,
    redact: {
      // No `req.*` or `res.*` paths: the serializers below never emit headers or a query, and a
      // path under `req` would make pino run its redaction over every request line.
      paths: [
        'headers.authorization', 'headers.cookie', 'headers["proxy-authorization"]', 'headers["set-cookie"]',
        'query.oauth_token', 'query.oauth_verifier',
        'oauth_token', 'oauth_token_secret', 'oauth_verifier', 'tokenSecret', 'token'
      ],
      censor: '[redacted]'
    },
    serializers: {
      req: (request) => {
        const req = request as unknown as LoggedRequest
        return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip }
      },
      res: (reply) => ({ statusCode: (reply as unknown as { statusCode: number }).statusCode })
    },
    ...(options.stream !== undefined
      ? { stream: options.stream }
      : options.pretty === true
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } }
        : {})
  }
}
