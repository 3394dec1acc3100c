// response.rateLimit, problem() naming 429 and 402, and the opt-in rateLimit wait (issue 20 item 2).
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { type ClientOptions, createClient } from '../src/http/client.js'
import { ErrorCodes } from '../src/errors.js'
import { type Handler, okJson, startServer } from './helpers/signature-check.js'

const credentials = { consumerKey: 'rate-consumer', consumerSecret: 'rate-consumer-secret' }

async function setup (t: Test, handler: Handler, options: Partial<ClientOptions> = {}) {
  const server = await startServer(handler)
  const client = createClient({ ...credentials, ...options })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  return { server, client }
}

/** Answers `first` (status and headers) to the first request, then 200 JSON. */
function limitedOnce (status: number, headers: Record<string, string>, body = ''): Handler {
  let calls = 0
  return (request, response) => {
    if (calls++ === 0) {
      response.writeHead(status, headers)
      response.end(body)
      return
    }
    okJson(request, response)
  }
}

function nonceOf (authorization: string | string[] | undefined): string | undefined {
  return /oauth_nonce="([^"]+)"/.exec(String(authorization))?.[1]
}

t.test('response.rateLimit: X\'s x-rate-limit-* on a 200, on a streamed answer, undefined without limit fields', async (t) => {
  const reset = Math.floor(Date.now() / 1000) + 900
  const xHeaders = { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '899', 'x-rate-limit-reset': String(reset), 'content-type': 'application/json' }
  const { server, client } = await setup(t, (request, response) => {
    if (request.url === '/plain') okJson(request, response)
    else {
      response.writeHead(200, xHeaders)
      response.end('{}')
    }
  })
  t.same((await client.get(`${server.origin}/limited`)).rateLimit, { limit: 900, remaining: 899, resetAt: new Date(reset * 1000) })
  const streamed = await client.get(`${server.origin}/limited`, { stream: true })
  streamed.body.resume()
  t.same(streamed.rateLimit, { limit: 900, remaining: 899, resetAt: new Date(reset * 1000) })
  t.equal((await client.get(`${server.origin}/plain`)).rateLimit, undefined)
})

t.test('problem(): a 429 is rate_limited, a 402 credits_exhausted, unless the provider named its own oauth_problem', async (t) => {
  const { server, client } = await setup(t, (request, response) => {
    if (request.url === '/429') response.writeHead(429, { 'retry-after': '30' }).end('Too Many Requests')
    else if (request.url === '/402') response.writeHead(402, { 'content-type': 'application/json' }).end('{"title":"CreditsDepleted"}')
    else if (request.url === '/own') response.writeHead(429).end('oauth_problem=consumer_key_rejected')
    else response.writeHead(500).end('oops')
  })
  const limited = await client.get(`${server.origin}/429`)
  t.equal(limited.problem().problem, 'rate_limited')
  t.equal(limited.problem().status, 429)
  t.equal(limited.rateLimit?.remaining, 0, 'Retry-After on a 429: nothing left until then')
  t.equal((await client.get(`${server.origin}/402`)).problem().problem, 'credits_exhausted')
  t.equal((await client.get(`${server.origin}/own`)).problem().problem, 'consumer_key_rejected')
  t.equal((await client.get(`${server.origin}/500`)).problem().problem, undefined)
})

t.test('rateLimit.wait: a 429 whose reset is within the deadline is waited for and sent again once, signed anew', async (t) => {
  const { server, client } = await setup(t, limitedOnce(429, { 'retry-after': '0' }), { rateLimit: { wait: true } })
  const response = await client.post(`${server.origin}/post`, { form: { a: '1' } })
  t.equal(response.status, 200, 'a POST too: a 429 was not processed')
  t.equal(server.requests.length, 2)
  t.not(nonceOf(server.requests[0]?.headers.authorization), nonceOf(server.requests[1]?.headers.authorization), 'a fresh nonce')
  t.equal(server.requests[1]?.body.toString(), 'a=1', 'the same body')
})

t.test('rateLimit.wait: X\'s x-rate-limit-reset (epoch seconds) and a Retry-After of a second are honoured', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const x = await setup(t, limitedOnce(429, { 'x-rate-limit-limit': '15', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(now) }), {
    rateLimit: { wait: true }
  })
  t.equal((await x.client.get(`${x.server.origin}/x`)).status, 200)
  t.equal(x.server.requests.length, 2)
  const retryAfter = await setup(t, limitedOnce(429, { 'retry-after': '1' }))
  t.equal((await retryAfter.client.get(`${retryAfter.server.origin}/r`, { rateLimit: { wait: true, maxWaitMs: 5000 } })).status, 200)
  t.equal(retryAfter.server.requests.length, 2)
})

t.test('rateLimit.wait: a reset beyond the deadline or maxWaitMs returns the 429 at once, without the retries', async (t) => {
  const far = await setup(t, limitedOnce(429, { 'retry-after': '3600' }), { rateLimit: { wait: true }, retries: 2, timeout: 5000 })
  const response = await far.client.get(`${far.server.origin}/far`)
  t.equal(response.status, 429)
  t.equal(response.problem().problem, 'rate_limited')
  t.equal(far.server.requests.length, 1)
  const capped = await setup(t, limitedOnce(429, { 'retry-after': '1' }), { rateLimit: { wait: true, maxWaitMs: 100 } })
  t.equal((await capped.client.get(`${capped.server.origin}/capped`)).status, 429)
  t.equal(capped.server.requests.length, 1)
})

t.test('rateLimit.wait: once per call; off by default; the request option overrides the client\'s', async (t) => {
  const always: Handler = (_request, response) => { response.writeHead(429, { 'retry-after': '0' }).end() }
  const { server, client } = await setup(t, always, { rateLimit: { wait: true } })
  t.equal((await client.get(`${server.origin}/a`)).status, 429)
  t.equal(server.requests.length, 2, 'one wait, then the answer')
  t.equal((await client.get(`${server.origin}/b`, { rateLimit: { wait: false } })).status, 429)
  t.equal(server.requests.length, 3, 'the request turned it off')
  const plain = await setup(t, always)
  await plain.client.get(`${plain.server.origin}/c`)
  t.equal(plain.server.requests.length, 1, 'off by default')
  await plain.client.get(`${plain.server.origin}/d`, { rateLimit: { wait: true } })
  t.equal(plain.server.requests.length, 3, 'the request turned it on')
})

t.test('rateLimit.wait: never for a stream body or a streamed call', async (t) => {
  const { server, client } = await setup(t, (_request, response) => { response.writeHead(429, { 'retry-after': '0' }).end() }, { rateLimit: { wait: true } })
  const body = Readable.from([Buffer.from('data')])
  const sent = await client.put(`${server.origin}/upload`, { body, bodyHash: 'hash=', headers: { 'content-type': 'text/plain' } })
  t.equal(sent.status, 429)
  t.equal(server.requests.length, 1)
  const streamed = await client.get(`${server.origin}/download`, { stream: true })
  streamed.body.resume()
  t.equal(streamed.status, 429)
  t.equal(server.requests.length, 2)
})

t.test('rateLimit.wait: the caller\'s signal ends the wait', async (t) => {
  const controller = new AbortController()
  const { server, client } = await setup(t, (_request, response) => {
    response.writeHead(429, { 'retry-after': '5' }).end()
    setImmediate(() => { controller.abort(new Error('gone')) })
  }, { rateLimit: { wait: true } })
  await t.rejects(client.get(`${server.origin}/slow`, { signal: controller.signal, timeout: 8000 }), { code: ErrorCodes.ABORTED })
  t.equal(server.requests.length, 1)
})

t.test('rateLimit options are checked: unknown keys with a suggestion, wrong types, for the client and the request', async (t) => {
  const misspelt = { ...credentials, rateLimit: { wiat: true } } as never
  t.throws(() => createClient(misspelt), { code: ErrorCodes.INVALID_OPTION, message: /Did you mean "wait"/ })
  t.throws(() => createClient({ ...credentials, rateLimit: true as never }), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => createClient({ ...credentials, rateLimit: { wait: 'yes' as never } }), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => createClient({ ...credentials, rateLimit: { maxWaitMs: -1 } }), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => createClient({ ...credentials, rateLimits: {} } as never), { code: ErrorCodes.INVALID_OPTION, message: /Did you mean "rateLimit"/ })
  const client = createClient({ ...credentials })
  t.teardown(() => client.close())
  await t.rejects(client.get('http://127.0.0.1:9/x', { rateLimit: { wait: 1 as never } }), { code: ErrorCodes.INVALID_REQUEST })
  const typo = { rateLimit: { wait: true, maxWait: 1 } } as never
  await t.rejects(client.get('http://127.0.0.1:9/x', typo), { code: ErrorCodes.INVALID_REQUEST, message: /maxWaitMs/ })
})
