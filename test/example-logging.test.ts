import { Writable } from 'node:stream'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import t from 'tap'
import { buildApp } from '../example-app/src/app.js'
import { loadConfig, type ResolvedConfig } from '../example-app/src/config.js'
import { loggerOptions, RequestLogController } from '../example-app/src/logging.js'

/** A stream collecting log lines, parsed. */
function collector (): { stream: Writable, lines: Array<Record<string, unknown>>, text: () => string } {
  const raw: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      raw.push(chunk.toString())
      callback()
    }
  })
  return {
    stream,
    get lines () { return raw.join('').trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>) },
    text: () => raw.join('')
  }
}

const provider = {
  consumerKey: 'key',
  consumerSecret: 'secret',
  signatureMethod: 'HMAC-SHA1' as const,
  privateKey: undefined,
  requestTokenUrl: 'http://127.0.0.1:9/oauth/request_token',
  authorizeUrl: 'http://127.0.0.1:9/oauth/authorize',
  accessTokenUrl: 'http://127.0.0.1:9/oauth/access_token',
  resourceUrl: 'http://127.0.0.1:9/1.1/account/verify_credentials.json'
}

t.test('the example app logs one line per request, when it is answered, URL redacted', async (t) => {
  const logs = collector()
  const config: ResolvedConfig = { ...loadConfig({ SESSION_SECRET: 'test-session-secret-of-32-chars-or-more' }), provider }
  const app = await buildApp(config, { logStream: logs.stream })
  t.teardown(() => app.close())
  const answer = await app.inject({
    url: '/oauth/callback/x?oauth_token=tok-1&oauth_verifier=ver-2',
    headers: { authorization: 'OAuth oauth_token="tok-1"', cookie: 'sid=session-id-3', host: '127.0.0.1:3000' }
  })
  t.equal(answer.statusCode, 404)
  const requestLines = logs.lines.filter((line) => line.req !== undefined || line.res !== undefined)
  t.equal(requestLines.length, 1, 'no "incoming request" line besides the "request completed" one')
  const [line] = requestLines as [Record<string, unknown>]
  t.equal(line.msg, 'request completed')
  t.same(line.req, { method: 'GET', url: '/oauth/callback/x?oauth_token=[redacted]&oauth_verifier=[redacted]', host: '127.0.0.1:3000', remoteAddress: '127.0.0.1' })
  t.same(line.res, { statusCode: 404 })
  t.type(line.responseTime, 'number')
  t.type(line.reqId, 'string')
  t.notMatch(logs.text(), /tok-1|ver-2|session-id-3|OAuth oauth_token/, 'no token, verifier, cookie or Authorization header in any line')

  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 200)
  t.equal(logs.lines.filter((each) => (each.req as { url?: string } | undefined)?.url === '/healthz').length, 0, 'the health check (log level warn) logs nothing')
})

t.test('the logger redacts secrets wherever the app or a plugin logs them', async (t) => {
  const logs = collector()
  const app = Fastify({ logger: loggerOptions({ level: 'info', name: 'test', stream: logs.stream }) })
  t.teardown(() => app.close())
  app.log.info({
    req: { method: 'GET', url: '/cb?oauth_token=t-1&oauth_verifier=v-1', headers: { authorization: 'OAuth sig-1', cookie: 'sid=c-1' }, query: { oauth_verifier: 'v-1' } }
  }, 'a request object')
  app.log.info({ res: { statusCode: 302, headers: { 'set-cookie': 'sid=c-2' } } }, 'a reply object')
  app.log.info({
    headers: { authorization: 'OAuth sig-3', cookie: 'sid=c-3', 'proxy-authorization': 'Basic p-3', 'set-cookie': 'sid=c-4', accept: 'text/html' }
  }, 'headers')
  app.log.info({ query: { oauth_token: 't-5', oauth_verifier: 'v-5', returnTo: '/done' } }, 'a query')
  app.log.info({ oauth_token: 't-6', oauth_token_secret: 's-6', oauth_verifier: 'v-6', token: 't-7', tokenSecret: 's-7', user: 'u' }, 'credentials')
  const [req, res, headers, query, credentials] = logs.lines as Array<Record<string, Record<string, unknown>>>
  t.same(req?.req, { method: 'GET', url: '/cb?oauth_token=[redacted]&oauth_verifier=[redacted]' }, 'a request: method and redacted URL only')
  t.same(res?.res, { statusCode: 302 }, 'a reply: its status only')
  t.same(headers?.headers, { authorization: '[redacted]', cookie: '[redacted]', 'proxy-authorization': '[redacted]', 'set-cookie': '[redacted]', accept: 'text/html' })
  t.same(query?.query, { oauth_token: '[redacted]', oauth_verifier: '[redacted]', returnTo: '/done' })
  t.match(credentials, { oauth_token: '[redacted]', oauth_token_secret: '[redacted]', oauth_verifier: '[redacted]', token: '[redacted]', tokenSecret: '[redacted]', user: 'u' })
  t.notMatch(logs.text(), /[tvcs]-\d|sig-|p-3/, 'no secret value in any line')
})

t.test('RequestLogController: errors logged at error level, disabled request logging honoured', async (t) => {
  const logs = collector()
  const app = Fastify({ logger: loggerOptions({ level: 'info', name: 'test', stream: logs.stream }) })
  t.teardown(() => app.close())
  const request = { method: 'GET', url: '/x?oauth_verifier=v-8', host: 'h', ip: '10.0.0.1' } as unknown as FastifyRequest
  const reply = { statusCode: 500, elapsedTime: 3, log: app.log } as unknown as FastifyReply
  new RequestLogController().requestCompleted(new Error('socket hang up'), request, reply)
  new RequestLogController({ disableRequestLogging: true }).requestCompleted(null, request, reply)
  new RequestLogController({ disableRequestLogging: true }).requestCompleted(new Error('not logged'), request, reply)
  t.equal(logs.lines.length, 1)
  t.match(logs.lines[0], { level: 50, msg: 'request errored', req: { url: '/x?oauth_verifier=[redacted]', remoteAddress: '10.0.0.1' }, res: { statusCode: 500 }, err: { message: 'socket hang up' }, responseTime: 3 })
})
