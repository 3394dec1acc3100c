import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { Agent, type Dispatcher, Headers, interceptors, request } from 'undici'
import { ErrorCodes } from '../src/errors.js'
import { createSigningInterceptor, normalizeHeaders, type OAuth1DispatchOptions } from '../src/http/interceptor.js'
import { createSigner } from '../src/signer/signer.js'
import {
  expectSigned, okJson, parseFormPairs, startServer,
  type Handler, type RecordedRequest, type TestServer, type VerifyCredentials
} from './helpers/signature-check.js'

const consumerKey = 'interceptor-consumer-key'
const consumerSecret = 'CONSUMER-SECRET-interceptor'
const consumerOnly: VerifyCredentials = { consumerKey, consumerSecret }
const form = 'application/x-www-form-urlencoded'

type RequestOptions = Parameters<typeof request>[1]

function hasOAuthQuery (recorded: RecordedRequest | undefined): boolean {
  const url = recorded?.url ?? ''
  const q = url.indexOf('?')
  return q !== -1 && parseFormPairs(url.slice(q + 1)).some(([name]) => name.startsWith('oauth_'))
}

async function server (t: Test, handler: Handler = okJson): Promise<TestServer> {
  const started = await startServer(handler)
  t.teardown(() => started.close())
  return started
}

function agentFor (t: Test, ...chain: Dispatcher.DispatcherComposeInterceptor[]): Dispatcher {
  const agent = new Agent()
  t.teardown(() => agent.close())
  return agent.compose(...chain)
}

/** undici's request(), with a body read to text; `oauth1` travels as an extra dispatch option. */
async function send (dispatcher: Dispatcher, url: string, options: RequestOptions & { oauth1?: OAuth1DispatchOptions['oauth1'] } = {}) {
  const response = await request(url, { ...options, dispatcher } as RequestOptions)
  return { status: response.statusCode, text: await response.body.text() }
}

t.test('signs requests to a listed origin', async (t) => {
  const api = await server(t)
  const agent = agentFor(t, createSigningInterceptor({ consumerKey, consumerSecret, origins: [api.origin] }))
  await send(agent, `${api.origin}/search?q=a+b&tag=2&tag=1&u=%C3%BC`)
  const check = expectSigned(t, api.requests[0], consumerOnly)
  t.equal(check.placement, 'header')
  t.same(check.params, [['q', 'a b'], ['tag', '2'], ['tag', '1'], ['u', 'ü']])
  await send(agent, `${api.origin}/post`, { method: 'POST', headers: { 'content-type': form }, body: 'status=hello%20world&x=%2B' })
  t.same(expectSigned(t, api.requests[1], consumerOnly, 'form body').params, [['status', 'hello world'], ['x', '+']])
  await send(agent, `${api.origin}/json`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}') })
  t.same(expectSigned(t, api.requests[2], consumerOnly, 'JSON body is not a parameter').params, [])
})

t.test('the query dispatch option is signed', async (t) => {
  const api = await server(t)
  const agent = agentFor(t, createSigningInterceptor({ consumerKey, consumerSecret, origins: [api.origin] }))
  await send(agent, `${api.origin}/search`, { query: { q: 'x y', list: ['2', '1'] } })
  t.equal(api.requests[0]?.url.startsWith('/search?'), true, 'the query was sent')
  t.same(expectSigned(t, api.requests[0], consumerOnly).params, [['q', 'x y'], ['list', '2'], ['list', '1']])
  await send(agent, `${api.origin}/search?a=1`, { query: { b: '2' } })
  t.same(expectSigned(t, api.requests[1], consumerOnly, 'query added to a path with a query').params, [['a', '1'], ['b', '2']])
})

t.test('requests to other origins pass unsigned', async (t) => {
  const api = await server(t)
  const other = await server(t)
  const seen: Array<Record<string, unknown>> = []
  const spy: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    seen.push({ ...opts })
    return dispatch(opts, handler)
  }
  // compose(inner, ..., outer): the spy sees what the signing interceptor passes on.
  const agent = agentFor(t, spy, createSigningInterceptor({ consumerKey, consumerSecret, origins: [api.origin] }))
  await send(agent, `${other.origin}/x?a=1`, { headers: { authorization: 'Bearer mine' }, oauth1: { token: 't', tokenSecret: 's' } })
  t.equal(other.requests[0]?.headers.authorization, 'Bearer mine', 'the request is untouched')
  t.equal(hasOAuthQuery(other.requests[0]), false)
  t.equal(other.requests[0]?.url, '/x?a=1')
  // Same server, another origin spelling: not listed, so not signed.
  await send(agent, `http://localhost:${api.port}/y`)
  t.equal(api.requests[0]?.headers.authorization, undefined, 'localhost is not 127.0.0.1')
  await send(agent, `${api.origin}/z`, { oauth1: { token: 't', tokenSecret: 's' } })
  expectSigned(t, api.requests[1], { ...consumerOnly, tokenSecret: 's' })
  t.equal(seen.length, 3)
  for (const opts of seen) t.notOk('oauth1' in opts, 'the oauth1 option is not passed on')
})

t.test('origins are compared canonically', async (t) => {
  const api = await server(t)
  const agent = agentFor(t, createSigningInterceptor({ consumerKey, consumerSecret, origins: [new URL(`HTTP://127.0.0.1:${api.port}/some/path`)] }))
  await send(agent, `${api.origin}/a`)
  expectSigned(t, api.requests[0], consumerOnly)
})

t.test('every header form is read (object, flat array, pairs, iterable)', async (t) => {
  const api = await server(t)
  const agent = agentFor(t, createSigningInterceptor({ consumerKey, consumerSecret, origins: [api.origin] }))
  const forms: Array<[string, NonNullable<RequestOptions>['headers']]> = [
    ['object', { 'Content-Type': form, 'x-a': '1' }],
    ['flat array', ['Content-Type', form, 'x-a', '1']],
    ['pairs', [['content-type', form], ['x-a', '1']] as unknown as string[]],
    ['Map', new Map([['content-type', form], ['x-a', '1']])],
    ['Headers', new Headers({ 'content-type': form, 'x-a': '1' }) as unknown as Iterable<[string, string]>]
  ]
  for (const [name, headers] of forms) {
    await send(agent, `${api.origin}/h`, { method: 'POST', headers, body: 'b=2&c=%20' })
    const recorded = api.requests.at(-1)
    t.same(expectSigned(t, recorded, consumerOnly, name).params, [['b', '2'], ['c', ' ']], `${name}: the form body is signed`)
    t.equal(recorded?.headers['x-a'], '1', `${name}: other headers are kept`)
    t.equal(recorded?.headers['content-type'], form, `${name}: content type kept`)
  }
})

t.test('a per-request oauth1 option signs with another token', async (t) => {
  const api = await server(t)
  const agent = agentFor(t, createSigningInterceptor({ consumerKey, consumerSecret, token: 'app-token', tokenSecret: 'app-secret', origins: [api.origin] }))
  await send(agent, `${api.origin}/me`)
  t.equal(expectSigned(t, api.requests[0], { ...consumerOnly, tokenSecret: 'app-secret' }).oauth.oauth_token, 'app-token')
  await send(agent, `${api.origin}/me`, { oauth1: { token: 'user-token', tokenSecret: 'user-secret' } })
  t.equal(expectSigned(t, api.requests[1], { ...consumerOnly, tokenSecret: 'user-secret' }).oauth.oauth_token, 'user-token')
})

t.test('query placement and a prebuilt signer', async (t) => {
  const api = await server(t)
  const signer = createSigner({ consumerKey, consumerSecret, placement: 'query', signatureMethod: 'HMAC-SHA256' })
  const agent = agentFor(t, createSigningInterceptor({ signer, origins: [api.origin] }))
  await send(agent, `${api.origin}/q?a=1`)
  const check = expectSigned(t, api.requests[0], consumerOnly)
  t.equal(check.placement, 'query')
  t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA256')
  t.equal(api.requests[0]?.headers.authorization, undefined)
})

t.test('with interceptors.redirect outside: hops are signed again, other origins get nothing', async (t) => {
  const other = await server(t)
  const api = await server(t, (recorded, response) => {
    const go = (location: string) => {
      response.writeHead(302, { location })
      response.end()
    }
    const path = recorded.url.split('?')[0]
    if (path === '/start') go('/next?page=2')
    else if (path === '/away') go(`${other.origin}/landing?x=1`)
    else okJson(recorded, response)
  })
  for (const placement of ['header', 'query'] as const) {
    const sign = createSigningInterceptor({ consumerKey, consumerSecret, token: 'tok', tokenSecret: 'sec', placement, origins: [api.origin] })
    const agent = agentFor(t, sign, interceptors.redirect({ maxRedirections: 2 }))
    const credentials = { ...consumerOnly, tokenSecret: 'sec' }

    const before = api.requests.length
    const response = await send(agent, `${api.origin}/start`)
    t.equal(response.status, 200)
    const [first, second] = api.requests.slice(before)
    t.equal(second?.url.split('?')[0], '/next')
    const a = expectSigned(t, first, credentials, `${placement}: first hop`)
    const b = expectSigned(t, second, credentials, `${placement}: second hop`)
    t.same(b.params, [['page', '2']])
    t.not(a.oauth.oauth_nonce, b.oauth.oauth_nonce, `${placement}: fresh nonce`)

    const landedBefore = other.requests.length
    await send(agent, `${api.origin}/away`, { headers: { cookie: 'session=1' } })
    const landed = other.requests[landedBefore]
    t.equal(landed?.url, '/landing?x=1')
    t.equal(landed?.headers.authorization, undefined, `${placement}: no Authorization at the other origin`)
    t.equal(landed?.headers.cookie, undefined, `${placement}: no cookie at the other origin`)
    t.equal(hasOAuthQuery(landed), false, `${placement}: no oauth_* query at the other origin`)
  }
})

t.test('with interceptors.retry outside: a retry gets a fresh nonce', async (t) => {
  let calls = 0
  const api = await server(t, (recorded, response) => {
    calls++
    if (calls === 1) {
      response.statusCode = 503
      response.end('busy')
    } else {
      okJson(recorded, response)
    }
  })
  const sign = createSigningInterceptor({ consumerKey, consumerSecret, origins: [api.origin] })
  const agent = agentFor(t, sign, interceptors.retry({ maxRetries: 2, minTimeout: 10, maxTimeout: 20, statusCodes: [503] }))
  const response = await send(agent, `${api.origin}/flaky?a=1`)
  t.equal(response.status, 200)
  t.equal(api.requests.length, 2)
  const a = expectSigned(t, api.requests[0], consumerOnly, 'first try')
  const b = expectSigned(t, api.requests[1], consumerOnly, 'retry')
  t.not(a.oauth.oauth_nonce, b.oauth.oauth_nonce)
})

t.test('a stream body is refused for a listed origin', async (t) => {
  const api = await server(t)
  const agent = agentFor(t, createSigningInterceptor({ consumerKey, consumerSecret, origins: [api.origin] }))
  await t.rejects(send(agent, `${api.origin}/upload`, { method: 'POST', body: Readable.from(['a=1']) }), { code: ErrorCodes.INVALID_REQUEST, message: /stream/ })
  t.equal(api.requests.length, 0)
})

t.test('invalid options fail at creation', async (t) => {
  const cases: Array<[string, unknown]> = [
    ['no origins', { consumerKey, consumerSecret }],
    ['empty origins', { consumerKey, consumerSecret, origins: [] }],
    ['origins not an array', { consumerKey, consumerSecret, origins: 'http://a.example' }],
    ['an origin that is not a URL', { consumerKey, consumerSecret, origins: ['not a url'] }],
    ['no consumer key', { consumerSecret, origins: ['http://a.example'] }],
    ['not an object', null]
  ]
  for (const [name, options] of cases) {
    t.throws(() => createSigningInterceptor(options as Parameters<typeof createSigningInterceptor>[0]), { code: ErrorCodes.INVALID_OPTION }, name)
  }
})

t.test('normalizeHeaders', async (t) => {
  t.same(normalizeHeaders(undefined), {})
  t.same(normalizeHeaders(null), {})
  const object = { a: '1' }
  t.equal(normalizeHeaders(object), object, 'an object is used as is')
  t.same(normalizeHeaders(['a', '1', 'b', '2', 'a', '3']), { a: ['1', '3'], b: '2' }, 'flat array, repeated name')
  t.same(normalizeHeaders([['a', '1'], ['a', '2'], ['c', '3']] as unknown as string[]), { a: ['1', '2'], c: '3' }, 'pairs')
  t.same(normalizeHeaders(new Map([['x', '1'], ['y', '2']])), { x: '1', y: '2' }, 'iterable')
  t.same(normalizeHeaders([]), {}, 'empty array')
})

t.test('unknown option names are refused at creation, with the closest valid name', async (t) => {
  t.throws(() => createSigningInterceptor({ consumerKey, consumerSecret, origin: ['https://a.example'] } as never),
    { code: ErrorCodes.INVALID_OPTION, message: /Unknown option "origin" for createSigningInterceptor\. Did you mean "origins"\?/ })
  t.throws(() => createSigningInterceptor({ consumerKey, consumerSecret, tokenSecert: 's', origins: ['https://a.example'] } as never),
    { code: ErrorCodes.INVALID_OPTION, message: /Did you mean "tokenSecret"\?/ })
  const signer = createSigner({ consumerKey, consumerSecret })
  t.throws(() => createSigningInterceptor({ signer, consumerKey, origins: ['https://a.example'] } as never),
    { code: ErrorCodes.INVALID_OPTION, message: /Unknown option "consumerKey"/ }, 'with a signer, its options are not taken too')
  t.equal(typeof createSigningInterceptor({ signer, origins: ['https://a.example'] }), 'function')
})
