// The fastify-oauth1:request tracing channel (issue 20 item 1): one trace per attempt of a client call,
// with no token, secret, verifier, signature, nonce, session id or cookie value in any context, errors included.
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { Agent, type Dispatcher } from 'undici'
import { type ClientOptions, createClient } from '../src/http/client.js'
import { traceResend } from '../src/http/trace.js'
import { ErrorCodes } from '../src/errors.js'
import { requestChannel, type RequestTraceContext } from '../src/tracing/channels.js'
import { closedPort, type Handler, okJson, startServer } from './helpers/signature-check.js'
import { serialise } from './helpers/trace-recorder.js'

const secrets = {
  consumerSecret: 'CONSUMER-SECRET-7f3a9c',
  token: 'TOKEN-VALUE-1b2c3d',
  tokenSecret: 'TOKEN-SECRET-4e5f6a',
  verifier: 'VERIFIER-8b9c0d',
  cookie: 'COOKIE-VALUE-sid-e1f2',
  query: 'QUERY-VALUE-a7b8'
}
let nonces = 0
const sent: string[] = []

/** An Agent that keeps every Authorization header it is asked to send (their nonces and signatures). */
class RecordingAgent extends Agent {
  override dispatch (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const authorization = (options.headers as Record<string, string> | undefined)?.authorization
    if (authorization !== undefined) sent.push(authorization)
    return super.dispatch(options, handler)
  }
}

/** Every value a context must not hold: the fixed secrets, and each nonce and signature sent. */
function forbidden (): string[] {
  const values: string[] = Object.values(secrets)
  for (const header of sent) {
    for (const match of header.matchAll(/oauth_(nonce|signature)="([^"]+)"/g)) {
      const value = match[2] as string
      values.push(value, decodeURIComponent(value))
    }
  }
  return values
}

interface Event { name: string, context: RequestTraceContext, json: string }

function subscribe (t: Test): Event[] {
  const events: Event[] = []
  const record = (name: string) => (context: unknown) => {
    events.push({ name, context: context as RequestTraceContext, json: serialise(context) })
  }
  const handlers = { start: record('start'), end: record('end'), asyncStart: record('asyncStart'), asyncEnd: record('asyncEnd'), error: record('error') }
  requestChannel.subscribe(handlers)
  t.teardown(() => { requestChannel.unsubscribe(handlers) })
  return events
}

/** The finished attempts: what each context held at its asyncEnd. */
function attempts (events: Event[]): Array<Record<string, unknown>> {
  return events.filter((event) => event.name === 'asyncEnd').map(({ context }) => {
    const { error, ...rest } = context
    return error === undefined ? rest : { ...rest, error: (error as { code?: string }).code }
  })
}

function assertNoSecret (t: Test, events: Event[]): void {
  t.ok(events.length > 0, 'traces were published')
  const values = forbidden()
  for (const event of events) {
    for (const value of values) t.notOk(event.json.includes(value), `${event.name} context has no ${value.slice(0, 12)}…`)
  }
}

async function setup (t: Test, handler: Handler, options: Partial<ClientOptions> = {}) {
  const server = await startServer(handler)
  const dispatcher = new RecordingAgent()
  const client = createClient({
    consumerKey: 'trace-consumer', consumerSecret: secrets.consumerSecret, nonce: () => `NONCE-${++nonces}-c4d5e6f7`, dispatcher, ...options
  }).withToken({ token: secrets.token, tokenSecret: secrets.tokenSecret })
  t.teardown(async () => {
    await dispatcher.close()
    await server.close()
  })
  return { server, client }
}

const headers = { cookie: `sid=${secrets.cookie}` }

t.test('a successful call: one trace, the path without query values, the status', async (t) => {
  const events = subscribe(t)
  const { server, client } = await setup(t, okJson)
  await client.get(`${server.origin}/ok?q=${secrets.query}`, { headers, query: { token: secrets.token }, oauth: { verifier: secrets.verifier } })
  t.same(events.map((event) => event.name), ['start', 'end', 'asyncStart', 'asyncEnd'])
  t.same(attempts(events), [{ method: 'GET', origin: server.origin, path: '/ok?q=&token=', attempt: 1, status: 200 }])
  assertNoSecret(t, events)
})

t.test('a provider error: the status and the oauth_problem; an echoed token is redacted', async (t) => {
  const events = subscribe(t)
  const { server, client } = await setup(t, (request, response) => {
    if (request.url === '/echo') response.writeHead(400).end(`oauth_problem=${secrets.token}&oauth_token=${secrets.token}`)
    else {
      response.writeHead(401, { 'www-authenticate': `OAuth oauth_problem="token_rejected", oauth_token="${secrets.token}"` })
      response.end(`oauth_token_secret=${secrets.tokenSecret}`)
    }
  })
  await client.post(`${server.origin}/update`, { headers, form: { status: secrets.query } })
  await client.get(`${server.origin}/echo`)
  t.same(attempts(events), [
    { method: 'POST', origin: server.origin, path: '/update', attempt: 1, status: 401, problem: 'token_rejected' },
    { method: 'GET', origin: server.origin, path: '/echo', attempt: 1, status: 400, problem: '[redacted]' }
  ])
  assertNoSecret(t, events)
})

t.test('a network failure and a timeout: the coded error in the error event', async (t) => {
  const events = subscribe(t)
  const port = await closedPort()
  const { server, client } = await setup(t, () => {})
  await t.rejects(client.get(`http://127.0.0.1:${port}/down?q=${secrets.query}`, { headers }), { code: ErrorCodes.NETWORK })
  await t.rejects(client.get(`${server.origin}/slow?q=${secrets.query}`, { headers, timeout: 200 }), { code: ErrorCodes.TIMEOUT })
  t.same(events.filter((event) => event.name === 'error').length, 2)
  t.same(attempts(events), [
    { method: 'GET', origin: `http://127.0.0.1:${port}`, path: '/down?q=', attempt: 1, error: ErrorCodes.NETWORK },
    { method: 'GET', origin: server.origin, path: '/slow?q=', attempt: 1, error: ErrorCodes.TIMEOUT }
  ])
  assertNoSecret(t, events)
})

t.test('a redirect, a retry, a rate-limit wait and a clock-skew retry: one trace per attempt, saying why it was resent', async (t) => {
  const events = subscribe(t)
  let busy = 0
  let skewed = 0
  const { server, client } = await setup(t, (request, response) => {
    if (request.url === '/moved') response.writeHead(302, { location: `/ok?code=${secrets.query}` }).end()
    else if (request.url === '/busy' && busy++ === 0) response.writeHead(503, { 'retry-after': '0' }).end()
    else if (request.url === '/limited' && busy++ === 2) response.writeHead(429, { 'retry-after': '0' }).end()
    else if (request.url === '/clock' && skewed++ === 0) {
      const now = Math.floor(Date.now() / 1000) + 3600
      response.writeHead(401).end(`oauth_problem=timestamp_refused&oauth_acceptable_timestamps=${now - 300}-${now + 300}`)
    } else if (request.url === '/away') response.writeHead(302, { location: 'ftp://files.example/x' }).end()
    else okJson(request, response)
  }, { maxRedirections: 2, retries: 1 })
  await client.get(`${server.origin}/moved`, { headers })
  await client.get(`${server.origin}/busy`, { headers })
  await client.get(`${server.origin}/limited`, { headers, rateLimit: { wait: true } })
  await client.get(`${server.origin}/clock`, { headers })
  await t.rejects(client.get(`${server.origin}/away`, { headers }), { code: ErrorCodes.REDIRECT_REFUSED })
  const o = server.origin
  t.same(attempts(events), [
    { method: 'GET', origin: o, path: '/moved', attempt: 1, status: 302 },
    { method: 'GET', origin: o, path: '/ok?code=', attempt: 2, resent: 'redirect', status: 200 },
    { method: 'GET', origin: o, path: '/busy', attempt: 1, status: 503 },
    { method: 'GET', origin: o, path: '/busy', attempt: 2, resent: 'retry', status: 200 },
    { method: 'GET', origin: o, path: '/limited', attempt: 1, status: 429 },
    { method: 'GET', origin: o, path: '/limited', attempt: 2, resent: 'retry', status: 200 },
    { method: 'GET', origin: o, path: '/clock', attempt: 1, status: 401, problem: 'timestamp_refused' },
    { method: 'GET', origin: o, path: '/clock', attempt: 2, resent: 'clock-skew', status: 200 },
    { method: 'GET', origin: o, path: '/away', attempt: 1, status: 302, error: ErrorCodes.REDIRECT_REFUSED }
  ])
  assertNoSecret(t, events)
})

t.test('a streamed call and a stream body: one trace each; a renewal resend numbered by the caller', async (t) => {
  const events = subscribe(t)
  const { server, client } = await setup(t, okJson)
  const streamed = await client.get(`${server.origin}/file?name=${secrets.query}`, { headers, stream: true })
  streamed.body.resume()
  const body = Readable.from([Buffer.from(secrets.query)])
  await client.put(`${server.origin}/upload`, { body, bodyHash: 'hash=', headers: { 'content-type': 'text/plain' } })
  await client.get(`${server.origin}/again`, { headers, [traceResend]: { attempt: 2, resent: 'renewal' } } as never)
  t.same(attempts(events), [
    { method: 'GET', origin: server.origin, path: '/file?name=', attempt: 1, status: 200 },
    { method: 'PUT', origin: server.origin, path: '/upload', attempt: 1, status: 200 },
    { method: 'GET', origin: server.origin, path: '/again', attempt: 2, resent: 'renewal', status: 200 }
  ])
  assertNoSecret(t, events)
})
