import type { FastifyServerOptions } from 'fastify'

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
 * Fastify logger options with secrets kept out of the logs: credential headers redacted
 * wherever they are logged, and request URLs logged with their token values removed.
 */
export function loggerOptions (options: LogOptions): NonNullable<FastifyServerOptions['logger']> {
  return {
    level: options.level,
    name: options.name,
    redact: {
      paths: [
        'req.headers.authorization', 'req.headers.cookie', 'req.headers["proxy-authorization"]',
        'res.headers["set-cookie"]', 'headers.authorization', 'headers.cookie', 'headers["set-cookie"]',
        'req.query.oauth_token', 'req.query.oauth_verifier', 'query.oauth_token', 'query.oauth_verifier',
        'oauth_token', 'oauth_token_secret', 'oauth_verifier', 'tokenSecret', 'token'
      ],
      censor: '[redacted]'
    },
    serializers: {
      req: (request) => {
        const req = request as unknown as LoggedRequest
        return { method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip }
      }
    },
    ...(options.stream !== undefined
      ? { stream: options.stream }
      : options.pretty === true
        ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } } }
        : {})
  }
}
