import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { Agent } from 'undici'
import { createClient, type OAuth1Client } from '../src/http/client.js'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import {
  checkSignature, closedPort, expectSigned, okJson, parseAuthorizationHeader, parseFormPairs, startServer,
  type RecordedRequest, type VerifyCredentials
} from './helpers/signature-check.js'

const consumerKey = 'two-legged-consumer-key'
const consumerSecret = 'CONSUMER-SECRET-kd94hf93k423kf44'
const token = 'fixed-token-nnch734d00sl2jdk'
const tokenSecret = 'TOKEN-SECRET-pfkkdhi9sl3r4s00'
const consumerOnly: VerifyCredentials = { consumerKey, consumerSecret }
const withFixedToken: VerifyCredentials = { consumerKey, consumerSecret, tokenSecret }

function queryOf (request: RecordedRequest | undefined): Array<[string, string]> {
  const url = request?.url ?? ''
  const q = url.indexOf('?')
  return q === -1 ? [] : parseFormPairs(url.slice(q + 1))
}

function hasOAuthQuery (request: RecordedRequest | undefined): boolean {
  return queryOf(request).some(([name]) => name.startsWith('oauth_'))
}

async function setup (t: Test, handler = okJson, options: Partial<Parameters<typeof createClient>[0]> = {}) {
  const server = await startServer(handler)
  const client = createClient({ consumerKey, consumerSecret, ...options })
  t.teardown(async () => {
    await client.close()
    await server.close()
  })
  return { server, client }
}

t.test('the signature checker itself: accepts X\'s documented request, rejects tampering', async (t) => {
  // https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
  const request: RecordedRequest = {
    method: 'POST',
    url: '/1.1/statuses/update.json?include_entities=true',
    headers: {
      host: 'api.twitter.com',
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", ' +
        'oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", ' +
        'oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"'
    },
    body: Buffer.from('status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21')
  }
  const credentials: VerifyCredentials = {
    consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
    scheme: 'https'
  }
  const good = checkSignature(request, credentials)
  t.same(good.problems, [])
  t.equal(good.valid, true)
  t.equal(good.placement, 'header')
  t.same(good.params, [['include_entities', 'true'], ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!']])
  t.equal(checkSignature({ ...request, body: Buffer.from('status=Hello') }, credentials).valid, false, 'changed body')
  t.equal(checkSignature({ ...request, url: '/1.1/statuses/update.json?include_entities=false' }, credentials).valid, false, 'changed query')
  t.equal(checkSignature({ ...request, method: 'PUT' }, credentials).valid, false, 'changed method')
  t.equal(checkSignature(request, { ...credentials, tokenSecret: '' }).valid, false, 'wrong token secret')
  t.equal(checkSignature(request, { ...credentials, scheme: 'http' }).valid, false, 'other scheme')
  t.same(parseAuthorizationHeader('OAuth realm="Photos", oauth_a="x%20y"'), { realm: 'Photos', params: { oauth_a: 'x y' } })
  t.equal(parseAuthorizationHeader('Bearer abc'), undefined)
  t.throws(() => parseAuthorizationHeader('OAuth oauth_a="1" oauth_b="2"'), /Malformed/, 'missing comma')
  t.throws(() => parseAuthorizationHeader('OAuth oauth_a="1",'), /trailing comma/)
  t.throws(() => parseAuthorizationHeader('OAuth oauth_a=1'), /Malformed/)
  t.throws(() => parseAuthorizationHeader('OAuth oauth_a="1", oauth_a="2"'), /repeats/)
})

t.test('a URL called again with and without the query option: each call sends and signs only its own query', async (t) => {
  const { server, client } = await setup(t)
  const url = `${server.origin}/repeat?fixed=1`
  await client.get(url)
  await client.get(url, { query: { extra: 'x' } })
  await client.get(url)
  await client.get(url, { query: { other: 'y' } })
  t.same(server.requests.map((request) => request.url), ['/repeat?fixed=1', '/repeat?fixed=1&extra=x', '/repeat?fixed=1', '/repeat?fixed=1&other=y'])
  t.same(expectSigned(t, server.requests[2], consumerOnly, 'third call').params, [['fixed', '1']])
  t.same(expectSigned(t, server.requests[3], consumerOnly, 'fourth call').params, [['fixed', '1'], ['other', 'y']])
  await client.get(url, { query: {} })
  await client.get(url, { query: { last: 'z' } })
  await client.get(url)
  t.same(server.requests.slice(4).map((request) => request.url), ['/repeat?fixed=1', '/repeat?fixed=1&last=z', '/repeat?fixed=1'], 'an empty query adds nothing, and changes nothing after it')
})

t.test('GET with a query: spaces, +, unicode and duplicates are signed', async (t) => {
  const { server, client } = await setup(t)
  const response = await client.get(`${server.origin}/search?q=a+b&plus=%2B&tag=c`, {
    query: { name: 'José Müller', emoji: '😀 日本', tag: ['b', 'a'], sym: "!*'()~", space: 'x y', empty: '', num: 42, bool: true, skipped: undefined }
  })
  t.equal(response.status, 200)
  const [request] = server.requests
  const check = expectSigned(t, request, consumerOnly)
  t.equal(check.placement, 'header')
  t.equal(check.oauth.oauth_token, undefined, 'two-legged without a token sends no oauth_token')
  t.equal(check.oauth.oauth_consumer_key, consumerKey)
  t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA1')
  t.same(check.params, [
    ['q', 'a b'], ['plus', '+'], ['tag', 'c'], ['name', 'José Müller'], ['emoji', '😀 日本'], ['tag', 'b'], ['tag', 'a'],
    ['sym', "!*'()~"], ['space', 'x y'], ['empty', ''], ['num', '42'], ['bool', 'true']
  ])
  t.notMatch(request?.url ?? '', /name=Jos.*\+/, 'spaces from the query option go as %20, not +')

  await client.get(`${server.origin}/pairs`, { query: new URLSearchParams([['a', '2'], ['a', '1'], ['b', 'x+y']]) })
  t.same(expectSigned(t, server.requests[1], consumerOnly, 'URLSearchParams query').params, [['a', '2'], ['a', '1'], ['b', 'x+y']])
  await client.get(`${server.origin}/pairs`, { query: [['z', '9'], ['z', '8']] })
  t.same(expectSigned(t, server.requests[2], consumerOnly, 'pairs query').params, [['z', '9'], ['z', '8']])

  await client.get(`${server.origin}/a%2Fb/ü/~x(y)`)
  t.equal(server.requests[3]?.url, '/a%2Fb/%C3%BC/~x(y)')
  t.equal(expectSigned(t, server.requests[3], consumerOnly, 'encoded path').baseUri, `${server.origin}/a%2Fb/%C3%BC/~x(y)`)
})

t.test('POST form bodies are signed into the base string', async (t) => {
  const { server, client } = await setup(t)
  const status = 'Hello Ladies + Gentlemen, a signed OAuth request!'
  await client.post(`${server.origin}/statuses?include_entities=true`, { form: { status, list: ['2', '1'] } })
  const check = expectSigned(t, server.requests[0], consumerOnly, 'form option')
  t.equal(server.requests[0]?.headers['content-type'], 'application/x-www-form-urlencoded')
  t.same(check.params, [['include_entities', 'true'], ['status', status], ['list', '2'], ['list', '1']])

  await client.post(`${server.origin}/statuses`, { body: new URLSearchParams({ status: 'ü & =' }) })
  t.same(expectSigned(t, server.requests[1], consumerOnly, 'URLSearchParams body').params, [['status', 'ü & =']])

  await client.put(`${server.origin}/statuses`, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: 'a=1+2&b=%2B'
  })
  t.same(expectSigned(t, server.requests[2], consumerOnly, 'raw form string').params, [['a', '1 2'], ['b', '+']])
  t.equal(server.requests[2]?.method, 'PUT')

  await client.patch(`${server.origin}/statuses`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from('c=%E2%9C%93')
  })
  t.same(expectSigned(t, server.requests[3], consumerOnly, 'form Buffer').params, [['c', '✓']])
})

t.test('POST JSON: the body stays out of the base string; bodyHash adds oauth_body_hash', async (t) => {
  const { server, client } = await setup(t)
  await client.post(`${server.origin}/items`, { json: { hello: 'wörld', n: 1 } })
  const [first] = server.requests
  t.equal(first?.headers['content-type'], 'application/json')
  t.same(JSON.parse(first?.body.toString('utf8') ?? ''), { hello: 'wörld', n: 1 })
  const check = expectSigned(t, first, consumerOnly)
  t.same(check.params, [])
  t.equal(check.oauth.oauth_body_hash, undefined, 'no body hash unless asked')

  const hashing = createClient({ consumerKey, consumerSecret, bodyHash: true })
  t.teardown(() => hashing.close())
  await hashing.post(`${server.origin}/items`, { json: { a: [1, 2, 3] } })
  const hashed = server.requests[1]
  const sha1 = createHash('sha1').update(hashed?.body ?? Buffer.alloc(0)).digest('base64')
  t.equal(expectSigned(t, hashed, consumerOnly, 'oauth_body_hash is signed').oauth.oauth_body_hash, sha1)

  await hashing.post(`${server.origin}/raw`, { headers: { 'content-type': 'text/plain' }, body: 'plain ü' })
  t.equal(expectSigned(t, server.requests[2], consumerOnly).oauth.oauth_body_hash, createHash('sha1').update('plain ü').digest('base64'))

  await hashing.get(`${server.origin}/empty`)
  t.equal(expectSigned(t, server.requests[3], consumerOnly).oauth.oauth_body_hash, createHash('sha1').update('').digest('base64'), 'no body hashes as empty')

  await hashing.post(`${server.origin}/form`, { form: { a: '1' } })
  t.equal(expectSigned(t, server.requests[4], consumerOnly).oauth.oauth_body_hash, undefined, 'form bodies get no body hash')
})

t.test('two-legged: without a token, and with a fixed token', async (t) => {
  const { server, client } = await setup(t)
  await client.delete(`${server.origin}/thing/1`)
  t.equal(server.requests[0]?.method, 'DELETE')
  t.equal(expectSigned(t, server.requests[0], consumerOnly).oauth.oauth_token, undefined)

  const fixed = createClient({ consumerKey, consumerSecret, token, tokenSecret })
  t.teardown(() => fixed.close())
  await fixed.get(`${server.origin}/me`)
  t.equal(expectSigned(t, server.requests[1], withFixedToken).oauth.oauth_token, token)
  t.equal(checkSignature(server.requests[1] as RecordedRequest, consumerOnly).valid, false, 'the token secret is part of the key')

  await fixed.get(`${server.origin}/other`, { oauth: { token: 'call-token', tokenSecret: 'call-secret' } })
  t.equal(expectSigned(t, server.requests[2], { consumerKey, consumerSecret, tokenSecret: 'call-secret' }, 'per-call oauth').oauth.oauth_token, 'call-token')
})

t.test('withToken signs with a user token and shares the signer', async (t) => {
  const { server, client } = await setup(t)
  const user = client.withToken({ token: 'user-token', tokenSecret: 'user-secret' })
  t.equal(user.signer, client.signer)
  await user.post(`${server.origin}/statuses`, { form: { status: 'hi' } })
  t.equal(expectSigned(t, server.requests[0], { consumerKey, consumerSecret, tokenSecret: 'user-secret' }).oauth.oauth_token, 'user-token')
  await client.get(`${server.origin}/again`)
  t.equal(expectSigned(t, server.requests[1], consumerOnly, 'the parent client is unchanged').oauth.oauth_token, undefined)
  const other = user.withToken({ token: 'second', tokenSecret: '' })
  await other.get(`${server.origin}/third`)
  t.equal(expectSigned(t, server.requests[2], consumerOnly).oauth.oauth_token, 'second')
  t.throws(() => client.withToken({ token: 1 } as unknown as { token: string, tokenSecret: string }), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => client.withToken(undefined as unknown as { token: string, tokenSecret: string }), { code: ErrorCodes.INVALID_OPTION })
})

t.test('query and body placement', async (t) => {
  const { server } = await setup(t)
  const query = createClient({ consumerKey, consumerSecret, token, tokenSecret, placement: 'query' })
  t.teardown(() => query.close())
  await query.get(`${server.origin}/q?a=1`, { query: { b: 'x y' } })
  const q = expectSigned(t, server.requests[0], withFixedToken, 'query placement')
  t.equal(q.placement, 'query')
  t.equal(server.requests[0]?.headers.authorization, undefined)
  t.same(q.params, [['a', '1'], ['b', 'x y']])

  const body = createClient({ consumerKey, consumerSecret, token, tokenSecret, placement: 'body' })
  t.teardown(() => body.close())
  await body.post(`${server.origin}/b?c=3`, { form: { a: '1' } })
  const b = expectSigned(t, server.requests[1], withFixedToken, 'body placement')
  t.equal(b.placement, 'body')
  t.equal(server.requests[1]?.headers.authorization, undefined)
  t.equal(hasOAuthQuery(server.requests[1]), false)
  t.same(b.params, [['c', '3'], ['a', '1']])

  await t.rejects(body.post(`${server.origin}/b`, { json: { a: 1 } }), { code: ErrorCodes.INVALID_REQUEST }, 'body placement needs a form body')
  t.equal(server.requests.length, 2)
})

t.test('baseUrl: relative paths resolve, other origins are refused', async (t) => {
  const { server } = await setup(t)
  const client = createClient({ consumerKey, consumerSecret, token, tokenSecret, baseUrl: `${server.origin}/api/v1` })
  t.teardown(() => client.close())
  await client.get('users')
  await client.get('/users/2?x=1')
  await client.get(`${server.origin}/elsewhere`)
  await client.get(new URL('/as-url', server.origin))
  t.same(server.requests.map((r) => r.url), ['/api/v1/users', '/api/v1/users/2?x=1', '/elsewhere', '/as-url'])
  for (const request of server.requests) expectSigned(t, request, withFixedToken, `signed ${request.url}`)

  const other = await startServer(okJson)
  t.teardown(() => other.close())
  for (const url of [`${other.origin}/steal`, '//evil.host/steal', '\\\\evil.host/steal', `http://localhost:${server.port}/x`, 'https://127.0.0.1/x']) {
    const error = await client.get(url).then(() => undefined, (error: unknown) => error)
    t.ok(error instanceof OAuth1Error, `refused ${url}`)
    t.match(error, { code: ErrorCodes.INVALID_REQUEST, message: /only calls http:\/\/127\.0\.0\.1/ }, `refused ${url}`)
  }
  t.equal(other.requests.length, 0, 'nothing reached the other origin')
  t.equal(server.requests.length, 4)

  const noBase = createClient({ consumerKey, consumerSecret })
  t.teardown(() => noBase.close())
  await t.rejects(noBase.get('/relative'), { code: ErrorCodes.INVALID_REQUEST }, 'a path needs baseUrl')
  await t.rejects(noBase.get('ftp://example.com/x'), { code: ErrorCodes.INVALID_REQUEST }, 'only http(s)')
  t.throws(() => createClient({ consumerKey, consumerSecret, baseUrl: 'not a url' }), { code: ErrorCodes.INVALID_OPTION })
})

t.test('responses: text(), json(), bad JSON, non-2xx returned', async (t) => {
  const { server, client } = await setup(t, (request, response) => {
    if (request.url === '/json') {
      response.setHeader('content-type', 'application/json')
      response.end('{"name":"wörld","list":[1,2]}')
    } else if (request.url === '/bad') {
      response.end('{not json')
    } else if (request.url === '/denied') {
      response.statusCode = 401
      response.setHeader('www-authenticate', 'OAuth realm="x"')
      response.end('oauth_problem=signature_invalid')
    } else if (request.url === '/broken') {
      response.statusCode = 500
      response.end('boom')
    } else {
      response.end('plain ü')
    }
  })
  const json = await client.get(`${server.origin}/json`)
  t.equal(json.ok, true)
  t.equal(json.headers['content-type'], 'application/json')
  t.equal(json.url, `${server.origin}/json`)
  t.same(json.json(), { name: 'wörld', list: [1, 2] })
  t.ok(Buffer.isBuffer(json.body))

  t.equal((await client.get(`${server.origin}/text`)).text(), 'plain ü')

  const bad = await client.get(`${server.origin}/bad`)
  t.equal(bad.text(), '{not json')
  t.throws(() => bad.json(), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, status: 200, statusCode: 502 })

  const denied = await client.get(`${server.origin}/denied`)
  t.equal(denied.status, 401)
  t.equal(denied.ok, false)
  t.equal(denied.text(), 'oauth_problem=signature_invalid')
  t.equal(denied.headers['www-authenticate'], 'OAuth realm="x"')
  const broken = await client.post(`${server.origin}/broken`, { form: { a: '1' } })
  t.equal(broken.status, 500)
  t.equal(broken.text(), 'boom')
})

t.test('userAgent is sent unless the request sets one', async (t) => {
  const { server } = await setup(t)
  const client = createClient({ consumerKey, consumerSecret, userAgent: 'fastify-oauth1-test/1.0' })
  t.teardown(() => client.close())
  await client.get(`${server.origin}/a`)
  await client.get(`${server.origin}/b`, { headers: { 'User-Agent': 'custom/2' } })
  t.equal(server.requests[0]?.headers['user-agent'], 'fastify-oauth1-test/1.0')
  t.equal(server.requests[1]?.headers['user-agent'], 'custom/2')
  expectSigned(t, server.requests[0], consumerOnly)
  t.throws(() => createClient({ consumerKey, consumerSecret, userAgent: 5 as unknown as string }), { code: ErrorCodes.INVALID_OPTION })
})

t.test('maxResponseBytes bounds the body read', async (t) => {
  const { server } = await setup(t, (request, response) => {
    response.end('x'.repeat(request.url === '/big' ? 2000 : 100))
  })
  const client = createClient({ consumerKey, consumerSecret, maxResponseBytes: 100 })
  t.teardown(() => client.close())
  t.equal((await client.get(`${server.origin}/exact`)).body.length, 100, 'exactly the limit is fine')
  await t.rejects(client.get(`${server.origin}/big`), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, message: /larger than 100 bytes/ })
})

t.test('a stream body is refused before anything is sent', async (t) => {
  const { server, client } = await setup(t)
  const stream = Readable.from(['a=1'])
  await t.rejects(client.post(`${server.origin}/upload`, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: stream as unknown as string
  }), { code: ErrorCodes.INVALID_REQUEST, message: /stream/ })
  t.equal(server.requests.length, 0)
})

t.test('options are checked when the client is created', async (t) => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['timeout', { timeout: -1 }],
    ['timeout', { timeout: Number.NaN }],
    ['maxRedirections', { maxRedirections: 1.5 }],
    ['maxRedirections', { maxRedirections: -1 }],
    ['maxResponseBytes', { maxResponseBytes: 0 }],
    ['dispatcher', { dispatcher: {} }],
    ['consumerKey', { consumerKey: '' }]
  ]
  for (const [name, extra] of bad) {
    t.throws(() => createClient({ consumerKey, consumerSecret, ...extra } as Parameters<typeof createClient>[0]), { code: ErrorCodes.INVALID_OPTION, message: new RegExp(name) }, name)
  }
  t.throws(() => createClient(null as unknown as Parameters<typeof createClient>[0]), { code: ErrorCodes.INVALID_OPTION })
})

t.test('a dispatcher passed in is used and not closed', async (t) => {
  const { server } = await setup(t)
  const agent = new Agent()
  const seen: string[] = []
  const timeouts: unknown[] = []
  const counting = agent.compose((dispatch) => (opts, handler) => {
    seen.push(String(opts.path))
    timeouts.push([opts.headersTimeout, opts.bodyTimeout])
    return dispatch(opts, handler)
  })
  const client = createClient({ consumerKey, consumerSecret, dispatcher: counting })
  await client.get(`${server.origin}/through`)
  await client.close()
  t.same(seen, ['/through'])
  t.same(timeouts, [[10_000, 10_000]], 'default timeouts: 10 s for headers and for the body')
  t.equal(agent.closed, false, 'close() leaves a dispatcher it did not create')
  expectSigned(t, server.requests[0], consumerOnly)
  await agent.close()
})

t.test('timeouts: no answer rejects with OAUTH1_TIMEOUT (504)', async (t) => {
  const { server } = await setup(t, (request, response) => {
    if (request.url === '/slow-body') {
      response.writeHead(200, { 'content-type': 'text/plain' })
      response.write('part')
    }
    // otherwise: never answer
  })
  const client = createClient({ consumerKey, consumerSecret, token, tokenSecret, timeout: 200 })
  t.teardown(() => client.close())
  await t.rejects(client.get(`${server.origin}/never`), { code: ErrorCodes.TIMEOUT, statusCode: 504, message: /within 200 ms/ }, 'headers timeout')
  await t.rejects(client.get(`${server.origin}/slow-body`), { code: ErrorCodes.TIMEOUT, statusCode: 504 }, 'body timeout')

  const slowDefault = createClient({ consumerKey, consumerSecret })
  t.teardown(() => slowDefault.close())
  await t.rejects(slowDefault.get(`${server.origin}/never`, { timeout: 200 }), { code: ErrorCodes.TIMEOUT }, 'per-request timeout')
  t.equal(server.requests.length, 3)
})

t.test('connection refused rejects with OAUTH1_NETWORK (502)', async (t) => {
  const port = await closedPort()
  const client = createClient({ consumerKey, consumerSecret })
  t.teardown(() => client.close())
  const error = await client.get(`http://127.0.0.1:${port}/x?secret-query=1`).then(() => undefined, (error: unknown) => error)
  t.match(error, { code: ErrorCodes.NETWORK, statusCode: 502, message: new RegExp(`127\\.0\\.0\\.1:${port}/x`) })
  t.notMatch((error as Error).message, /secret-query/, 'the query is not in the message')
})

t.test('an abort signal rejects with OAUTH1_ABORTED (499), the reason as its cause', async (t) => {
  const { server, client } = await setup(t, () => {})
  const controller = new AbortController()
  const pending = client.get(`${server.origin}/hang`, { signal: controller.signal })
  const reason = new Error('stop')
  setTimeout(() => controller.abort(reason), 50)
  const error = await pending.then(() => undefined, (error: unknown) => error) as OAuth1Error
  t.match(error, { code: ErrorCodes.ABORTED, statusCode: 499, message: /aborted by the caller/ })
  t.equal(error.cause, reason)
  const already = new AbortController()
  already.abort()
  await t.rejects(client.get(`${server.origin}/hang`, { signal: already.signal }), { code: ErrorCodes.ABORTED }, 'an already aborted signal')
})

t.test('redirects', async (t) => {
  const other = await startServer(okJson)
  t.teardown(() => other.close())
  const { server } = await setup(t, (request, response) => {
    const path = request.url.split('?')[0]
    const go = (status: number, location: string) => {
      response.writeHead(status, { location })
      response.end()
    }
    if (path === '/start') go(302, '/next?page=2')
    else if (path === '/submit') go(303, '/result')
    else if (path === '/submit307') go(307, '/result')
    else if (path === '/away') go(302, `${other.origin}/landing?x=1`)
    else if (path === '/away307') go(307, `${other.origin}/landing`)
    else if (path === '/ftp') go(302, 'ftp://example.com/file')
    else okJson(request, response)
  })
  const follow = createClient({ consumerKey, consumerSecret, token, tokenSecret, maxRedirections: 2 })
  t.teardown(() => follow.close())

  t.test('maxRedirections 0 (default) returns the 3xx', async (t) => {
    const client = createClient({ consumerKey, consumerSecret })
    t.teardown(() => client.close())
    const before = server.requests.length
    const response = await client.get(`${server.origin}/start`)
    t.equal(response.status, 302)
    t.equal(response.headers.location, '/next?page=2')
    t.equal(server.requests.length, before + 1)
  })

  t.test('a same-origin redirect is signed again with a fresh nonce', async (t) => {
    const before = server.requests.length
    const response = await follow.get(`${server.origin}/start`)
    t.equal(response.status, 200)
    t.equal(response.url, `${server.origin}/next?page=2`)
    const [first, second] = server.requests.slice(before)
    const a = expectSigned(t, first, withFixedToken, 'first hop')
    const b = expectSigned(t, second, withFixedToken, 'second hop')
    t.equal(second?.url, '/next?page=2')
    t.same(b.params, [['page', '2']])
    t.not(a.oauth.oauth_nonce, b.oauth.oauth_nonce, 'fresh nonce')
    t.not(a.oauth.oauth_signature, b.oauth.oauth_signature)
  })

  t.test('303 after POST becomes a signed GET without the body', async (t) => {
    const before = server.requests.length
    const response = await follow.post(`${server.origin}/submit`, { form: { a: '1' } })
    t.equal(response.status, 200)
    const [, second] = server.requests.slice(before)
    t.equal(second?.method, 'GET')
    t.equal(second?.body.length, 0)
    t.equal(second?.headers['content-type'], undefined)
    t.same(expectSigned(t, second, withFixedToken).params, [])
  })

  t.test('307 keeps the method and the form body, signed again', async (t) => {
    const before = server.requests.length
    await follow.post(`${server.origin}/submit307`, { form: { a: '1' } })
    const [first, second] = server.requests.slice(before)
    t.equal(second?.method, 'POST')
    const a = expectSigned(t, first, withFixedToken)
    const b = expectSigned(t, second, withFixedToken)
    t.same(b.params, [['a', '1']])
    t.not(a.oauth.oauth_nonce, b.oauth.oauth_nonce)
  })

  t.test('a redirect to another origin carries no credentials', async (t) => {
    for (const placement of ['header', 'query'] as const) {
      const client = createClient({ consumerKey, consumerSecret, token, tokenSecret, placement, maxRedirections: 2 })
      t.teardown(() => client.close())
      const before = other.requests.length
      const response = await client.get(`${server.origin}/away`, { headers: { cookie: 'session=abc', Authorization: 'Basic eDp5', 'x-custom': 'kept' } })
      t.equal(response.status, 200)
      t.equal(response.url, `${other.origin}/landing?x=1`)
      const landed = other.requests[before]
      t.equal(landed?.url, '/landing?x=1', placement)
      t.equal(landed?.headers.authorization, undefined, `${placement}: no Authorization`)
      t.equal(landed?.headers.cookie, undefined, `${placement}: no cookie`)
      t.equal(hasOAuthQuery(landed), false, `${placement}: no oauth_* query parameters`)
      t.equal(landed?.headers['x-custom'], 'kept', `${placement}: other headers are kept`)
    }
    const body = createClient({ consumerKey, consumerSecret, token, tokenSecret, placement: 'body', maxRedirections: 2 })
    t.teardown(() => body.close())
    const before = other.requests.length
    await body.post(`${server.origin}/away307`, { form: { a: '1' } })
    const landed = other.requests[before]
    t.equal(landed?.method, 'POST')
    t.same(parseFormPairs(landed?.body.toString('utf8') ?? ''), [['a', '1']], 'body placement: the form arrives without oauth_* parameters')
    t.equal(landed?.headers.authorization, undefined)
  })

  t.test('a redirect to a non-http URL is refused', async (t) => {
    await t.rejects(follow.get(`${server.origin}/ftp`), { code: ErrorCodes.REDIRECT_REFUSED })
  })

  t.test('the redirect limit returns the last 3xx', async (t) => {
    const one = createClient({ consumerKey, consumerSecret, maxRedirections: 1 })
    t.teardown(() => one.close())
    const response = await one.get(`${server.origin}/start`, { query: {} })
    t.equal(response.status, 200, 'one hop is enough for /start')
    t.equal(response.url, `${server.origin}/next?page=2`)
  })
})

t.test('error messages never contain the consumer secret or the token secret', async (t) => {
  const { server } = await setup(t, (request, response) => {
    if (request.url.startsWith('/hang')) return
    if (request.url.startsWith('/big')) response.end('x'.repeat(500))
    else response.end('not json')
  })
  const client: OAuth1Client = createClient({ consumerKey, consumerSecret, token, tokenSecret, timeout: 200, maxResponseBytes: 100, baseUrl: server.origin })
  t.teardown(() => client.close())
  const port = await closedPort()
  const errors: unknown[] = []
  const catchIt = (promise: Promise<unknown>) => promise.then(() => t.fail('expected a rejection'), (error: unknown) => { errors.push(error) })
  await catchIt(client.get('/hang'))
  await catchIt(client.get('/big'))
  await catchIt(client.get('http://evil.example/steal'))
  await catchIt(client.post('/x', { body: Readable.from(['x']) as unknown as string }))
  await catchIt(client.get('/json').then((response) => response.json()))
  await catchIt(createClient({ consumerKey, consumerSecret, token, tokenSecret }).get(`http://127.0.0.1:${port}/down`))
  await catchIt(client.withToken({ token: 'u', tokenSecret: 'USER-SECRET-zz' }).post('/x', { oauth: { extraParams: { bad: 'x' } } }))
  t.equal(errors.length, 7)
  for (const error of errors) {
    t.ok(error instanceof OAuth1Error, String(error))
    const text = [String((error as Error).message), String((error as Error).stack), String(((error as Error).cause as Error | undefined)?.message)].join('\n')
    t.notMatch(text, consumerSecret, `${(error as OAuth1Error).code}: no consumer secret`)
    t.notMatch(text, tokenSecret, `${(error as OAuth1Error).code}: no token secret`)
    t.notMatch(text, 'USER-SECRET-zz', `${(error as OAuth1Error).code}: no user token secret`)
  }
})

t.test('retries: idempotent requests are tried again on 503, each attempt signed with a fresh nonce', async (t) => {
  let answered = 0
  const { server, client } = await setup(t, (_request, response) => {
    if (answered++ < 2) {
      response.statusCode = 503
      response.setHeader('retry-after', '0')
      response.end('busy')
      return
    }
    okJson(_request, response)
  }, { retries: 2 })
  const response = await client.get(server.origin + '/items?a=1')
  t.equal(response.status, 200, 'the third attempt succeeds')
  t.equal(server.requests.length, 3)
  const nonces = server.requests.map((request) => expectSigned(t, request, consumerOnly).oauth.oauth_nonce)
  t.equal(new Set(nonces).size, 3, 'three different nonces')
})

t.test('retries: the last answer is returned when every attempt fails; POST is never retried', async (t) => {
  const { server, client } = await setup(t, (_request, response) => {
    response.statusCode = 503
    response.setHeader('retry-after', '0')
    response.end('busy')
  }, { retries: 1 })
  t.equal((await client.get(server.origin + '/x')).status, 503)
  t.equal(server.requests.length, 2, 'one try and one retry')
  t.equal((await client.post(server.origin + '/x', { form: { a: '1' } })).status, 503)
  t.equal(server.requests.length, 3, 'POST is not idempotent: sent once')
})

t.test('retries: a connection still refused after the retries is reported as OAUTH1_NETWORK', async (t) => {
  const port = await closedPort()
  const client = createClient({ consumerKey, consumerSecret, retries: 2 })
  t.teardown(() => client.close())
  await t.rejects(client.get(`http://127.0.0.1:${port}/x`), { code: ErrorCodes.NETWORK })
})

t.test('retries: invalid option', async (t) => {
  t.throws(() => createClient({ consumerKey, consumerSecret, retries: -1 }), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => createClient({ consumerKey, consumerSecret, retries: 1.5 }), { code: ErrorCodes.INVALID_OPTION })
})
