import type { ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import { type ClientOptions, createClient } from '../src/http/client.js'
import { createProviderClient, type ProviderClient, type ProviderClientOptions, providerClientOptionKeys, maxExtraFieldLength, maxExtraFields } from '../src/provider/provider-client.js'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { presets, type ProviderPreset } from '../src/presets/presets.js'
import { redactSecrets } from '../src/protocol/problems.js'
import { expectSigned, okJson, startServer, type Handler, type RecordedRequest, type TestServer } from './helpers/signature-check.js'

// Providers that misbehave on purpose (issue 13): huge or endless bodies, redirects to another
// origin, bodies echoing secrets. Every server is a real node:http server on 127.0.0.1, port 0.

const consumerKey = 'hostile-consumer-key'
const consumerSecret = 'CONSUMER-SECRET-hostile-0001'
const requestToken = { token: 'REQUEST-TOKEN-rt-7731', tokenSecret: 'REQUEST-SECRET-rs-9902' }
const verifier = 'VERIFIER-vv-4410'
const user = { token: 'USER-TOKEN-ut-1', tokenSecret: 'USER-SECRET-us-1' }

async function serve (t: Test, handler: Handler): Promise<TestServer> {
  const server = await startServer(handler)
  t.teardown(() => server.close())
  return server
}

function endpoints (server: TestServer, overrides: Partial<ProviderClientOptions> = {}): ProviderClientOptions {
  return {
    consumerKey,
    consumerSecret,
    requestTokenUrl: `${server.origin}/request_token`,
    authorizeUrl: `${server.origin}/authorize`,
    accessTokenUrl: `${server.origin}/access_token`,
    ...overrides
  }
}

async function failure (promise: Promise<unknown>): Promise<OAuth1Error> {
  try {
    await promise
  } catch (error) {
    if (!(error instanceof OAuth1Error)) throw error
    return error
  }
  throw new Error('expected a rejection')
}

/** Everything an error would put in a log: message, stack, fields, and its cause chain. */
function logged (error: OAuth1Error): string {
  const parts: string[] = [error.message, String(error.stack), JSON.stringify(error), String(error.body), JSON.stringify(error.details ?? {}), String(error.advice), String(error.problem)]
  let cause = error.cause as Error | undefined
  while (cause !== undefined && cause !== null) {
    parts.push(String(cause.message), String(cause.stack), JSON.stringify(cause))
    cause = cause.cause as Error | undefined
  }
  return parts.join('\n')
}

/** Streams `total` bytes as fast as the client reads them; records how many were accepted and when the connection closed. */
function flood (total: number, state: { written: number, closed: boolean }, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded', ...headers })
    const chunk = Buffer.alloc(64 * 1024, 'a')
    response.on('close', () => { state.closed = true })
    const pump = (): void => {
      while (state.written < total && !state.closed) {
        state.written += chunk.length
        if (!response.write(chunk)) {
          response.once('drain', pump)
          return
        }
      }
      if (!state.closed) response.end()
    }
    pump()
  }
}

/** Sends the headers, then one byte every `everyMs`: undici's per-chunk body timeout never fires. */
function drip (everyMs: number, state: { closedAt?: number, bytes: number }): Handler {
  return (_request, response: ServerResponse) => {
    response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
    const timer = setInterval(() => {
      state.bytes++
      response.write('a')
    }, everyMs)
    response.on('close', () => {
      clearInterval(timer)
      state.closedAt = Date.now()
    })
  }
}

async function waitFor (predicate: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms
  while (!predicate() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10))
  return predicate()
}

t.test('memory: a 100 MB token response is refused after the 16 KiB cap, not read to the end', async (t) => {
  const state = { written: 0, closed: false }
  const server = await serve(t, flood(100 * 1024 * 1024, state))
  const providerClient = createProviderClient(endpoints(server))
  t.teardown(() => providerClient.close())
  const error = await failure(providerClient.getRequestToken('https://app.example/cb'))
  t.match(error, { code: ErrorCodes.PROVIDER_BAD_RESPONSE, message: /larger than 16384 bytes/ })
  t.ok(await waitFor(() => state.closed), 'the connection was closed by the client')
  t.ok(state.written < 16 * 1024 * 1024, `the server could write only ${state.written} bytes before the read stopped`)
})

t.test('memory: a declared 15 MiB access-token response is refused unread', async (t) => {
  const state = { written: 0, closed: false }
  const size = 15 * 1024 * 1024
  const server = await serve(t, flood(size, state, { 'content-length': String(size) }))
  const providerClient = createProviderClient(endpoints(server))
  t.teardown(() => providerClient.close())
  const error = await failure(providerClient.getAccessToken(requestToken, verifier))
  t.match(error, { code: ErrorCodes.PROVIDER_BAD_RESPONSE, message: /larger than 16384 bytes/ })
  t.ok(await waitFor(() => state.closed), 'the connection was closed')
  t.ok(state.written < size, `only ${state.written} of ${size} bytes were accepted`)
})

t.test('memory: maxTokenResponseBytes sets the cap; the API client keeps its own 16 MiB cap', async (t) => {
  const big = 'x'.repeat(1024 * 1024)
  const server = await serve(t, (request, response) => {
    if (request.url.startsWith('/api')) {
      response.setHeader('content-type', 'text/plain')
      response.end(big)
      return
    }
    response.setHeader('content-type', 'application/x-www-form-urlencoded')
    response.end(`oauth_token=t&oauth_token_secret=s&oauth_callback_confirmed=true&pad=${'p'.repeat(500)}`)
  })
  const small = createProviderClient(endpoints(server, { maxTokenResponseBytes: 200 }))
  t.teardown(() => small.close())
  t.match(await failure(small.getRequestToken('https://app.example/cb')), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, message: /larger than 200 bytes/ })
  const normal = createProviderClient(endpoints(server, { baseUrl: server.origin }))
  t.teardown(() => normal.close())
  t.equal((await normal.getRequestToken('https://app.example/cb')).token, 't', 'a 600-byte answer fits the default cap')
  t.equal((await normal.clientFor(user).get('/api/big')).body.length, big.length, 'a 1 MiB API answer is read')
  t.throws(() => createProviderClient(endpoints(server, { maxTokenResponseBytes: -1 })), { code: ErrorCodes.INVALID_OPTION, message: /maxTokenResponseBytes/ })
})

t.test(`memory: at most ${maxExtraFields} extra fields of at most ${maxExtraFieldLength} characters are kept`, async (t) => {
  const fields = Array.from({ length: 100 }, (_, i) => `f${i}=${i}`)
  const server = await serve(t, (_request, response) => {
    response.end(['oauth_token=T', `long=${'L'.repeat(maxExtraFieldLength + 1)}`, `${'N'.repeat(maxExtraFieldLength + 1)}=1`, 'oauth_token_secret=S', ...fields].join('&'))
  })
  const providerClient = createProviderClient(endpoints(server))
  t.teardown(() => providerClient.close())
  const access = await providerClient.getAccessToken(requestToken, verifier)
  t.equal(access.token, 'T')
  t.equal(access.tokenSecret, 'S', 'the credentials are read whatever comes before them')
  const names = Object.keys(access.extra)
  t.equal(names.length, maxExtraFields)
  t.notOk(Object.hasOwn(access.extra, 'long'), 'a too long value is dropped')
  t.notOk(names.some((name) => name.length > maxExtraFieldLength), 'a too long name is dropped')
  t.same(names.slice(0, 3), ['f0', 'f1', 'f2'], 'the first fields are kept')
  t.equal(access.extra.f63, '63')
  t.notOk(Object.hasOwn(access.extra, 'f64'), 'the rest are dropped')
})

t.test('deadline: a body dripped byte by byte ends in OAUTH1_TIMEOUT at the deadline, and the upstream read is closed', async (t) => {
  const state: { closedAt?: number, bytes: number } = { bytes: 0 }
  const server = await serve(t, drip(40, state))
  const providerClient = createProviderClient(endpoints(server, { timeout: 400 }))
  t.teardown(() => providerClient.close())
  const started = Date.now()
  const error = await failure(providerClient.getRequestToken('https://app.example/cb'))
  const took = Date.now() - started
  t.match(error, { code: ErrorCodes.TIMEOUT, statusCode: 504, message: /within 400 ms/ })
  t.ok(took >= 380 && took < 1500, `rejected at the deadline (${took} ms), not after the drip ends`)
  t.ok(state.bytes >= 3, `the body was dripping (${state.bytes} bytes) when the deadline hit`)
  t.ok(await waitFor(() => state.closedAt !== undefined, 1000), 'the upstream connection was closed')
  t.ok((state.closedAt ?? Infinity) - started < 1500, 'closed at the deadline')

  const client = createClient({ consumerKey, consumerSecret, timeout: 300 })
  t.teardown(() => client.close())
  const again: { closedAt?: number, bytes: number } = { bytes: 0 }
  const slow = await serve(t, drip(40, again))
  t.match(await failure(client.get(`${slow.origin}/resource`)), { code: ErrorCodes.TIMEOUT }, 'API calls too')
  t.ok(await waitFor(() => again.closedAt !== undefined, 1000), 'and their upstream read is closed')
})

t.test('deadline: the whole call, retries included, is bounded by timeout', async (t) => {
  let attempts = 0
  const server = await serve(t, (_request, response) => {
    attempts++
    response.statusCode = 503
    response.setHeader('retry-after', '1')
    response.end('busy')
  })
  const client = createClient({ consumerKey, consumerSecret, timeout: 300, retries: 5 })
  t.teardown(() => client.close())
  const started = Date.now()
  t.match(await failure(client.get(`${server.origin}/busy`)), { code: ErrorCodes.TIMEOUT })
  t.ok(Date.now() - started < 1000, 'the retry wait (1 s) did not outlive the 300 ms deadline')
  t.equal(attempts, 1)
})

t.test('abort: a caller signal ends the token calls with OAUTH1_ABORTED and closes the upstream read', async (t) => {
  const state: { closedAt?: number, bytes: number } = { bytes: 0 }
  const server = await serve(t, drip(30, state))
  const providerClient = createProviderClient(endpoints(server, { timeout: 5000 }))
  t.teardown(() => providerClient.close())
  const controller = new AbortController()
  const started = Date.now()
  setTimeout(() => controller.abort(), 150)
  const error = await failure(providerClient.getRequestToken('https://app.example/cb', undefined, { signal: controller.signal }))
  t.match(error, { code: ErrorCodes.ABORTED, statusCode: 499 })
  t.ok(Date.now() - started < 1000, 'rejected when aborted, long before the 5 s deadline')
  t.ok(await waitFor(() => state.closedAt !== undefined, 1000), 'the upstream connection was closed')

  const second: { closedAt?: number, bytes: number } = { bytes: 0 }
  const other = await serve(t, drip(30, second))
  const providerClient2 = createProviderClient(endpoints(other, { timeout: 5000 }))
  t.teardown(() => providerClient2.close())
  const controller2 = new AbortController()
  setTimeout(() => controller2.abort(new Error('browser left')), 100)
  const error2 = await failure(providerClient2.getAccessToken(requestToken, verifier, { signal: controller2.signal }))
  t.match(error2, { code: ErrorCodes.ABORTED })
  t.match(error2.cause, { message: 'browser left' }, 'the abort reason is the cause')
  t.ok(await waitFor(() => second.closedAt !== undefined, 1000), 'the access-token read was closed too')

  const silent = await serve(t, () => {})
  const providerClient3 = createProviderClient(endpoints(silent))
  t.teardown(() => providerClient3.close())
  t.match(await failure(providerClient3.getRequestToken('https://app.example/cb', {}, { signal: AbortSignal.abort() })), { code: ErrorCodes.ABORTED }, 'an already aborted signal')
  t.match(await failure(providerClient3.getRequestToken('https://app.example/cb', {}, { signal: 'stop' as unknown as AbortSignal })), { code: ErrorCodes.INVALID_REQUEST, message: /signal/ }, 'a signal that is not one')
  t.match(await failure(providerClient3.client.get(`${silent.origin}/x`, { timeout: -5 })), { code: ErrorCodes.INVALID_REQUEST, message: /timeout/ }, 'a bad per-call timeout')
  t.equal(silent.requests.length, 0, 'nothing was sent for the aborted or invalid calls')
})

t.test('secrets: token responses never put a token-like field in an error', async (t) => {
  const bodies: Record<string, { status: number, body: string, headers?: Record<string, string> }> = {
    '/nested-json': { status: 200, body: JSON.stringify({ data: { oauth_token: 'NESTED-T-111', oauth_token_secret: 'NESTED-S-222' }, ok: true }) },
    '/upper-form': { status: 200, body: 'OAUTH_TOKEN=UPPER-T-333&OAUTH_TOKEN_SECRET=UPPER-S-444&user_id=1' },
    '/json-error': { status: 401, body: JSON.stringify({ error: { Session_Handle: 'HANDLE-555', detail: { my_secret: 'DEEP-666' } } }) },
    '/upper-error': { status: 400, body: 'oauth_problem=token_rejected&OAUTH_TOKEN_SECRET=UPPER-S-777' },
    '/echo-500': {
      status: 500,
      body: `Internal error for ${requestToken.token} (secret ${requestToken.tokenSecret}), verifier ${verifier}; sent oauth_token: ECHO-T-888 and token ECHO-T-999`,
      headers: { 'www-authenticate': 'OAuth oauth_problem="token_rejected", oauth_token="HDR-T-000", oauth_problem_advice="token HDR-A-123 unknown"' }
    },
    '/xml': { status: 200, body: '<r><oauth_token>XML-T-1</oauth_token><oauth_token_secret>XML-S-2</oauth_token_secret></r>' },
    '/bad-json': { status: 200, body: '{"oauth_token_secret": "BADJSON-S-3", ' }
  }
  const server = await serve(t, (request, response) => {
    const answer = bodies[request.url.split('?')[0] as string]
    response.writeHead(answer?.status ?? 404, answer?.headers ?? {})
    response.end(answer?.body ?? '')
  })
  // Token-like fields, whatever the step; and the values the access-token call sent.
  const fields = /NESTED-[TS]|UPPER-[TS]|HANDLE-555|DEEP-666|ECHO-T|HDR-[TA]|XML-[TS]|BADJSON-S|CONSUMER-SECRET/
  const sent = /REQUEST-TOKEN|REQUEST-SECRET|VERIFIER-vv/
  for (const path of Object.keys(bodies)) {
    const providerClient = createProviderClient(endpoints(server, { accessTokenUrl: server.origin + path, requestTokenUrl: server.origin + path }))
    t.teardown(() => providerClient.close())
    const access = await failure(providerClient.getAccessToken(requestToken, verifier))
    const start = await failure(providerClient.getRequestToken('https://app.example/cb'))
    for (const error of [access, start]) {
      t.ok(error.code === ErrorCodes.PROVIDER_ERROR || error.code === ErrorCodes.PROVIDER_BAD_RESPONSE, `${path}: ${error.code}`)
      t.notMatch(logged(error), fields, `${path}: no token-like field in message, body, details, advice or cause`)
    }
    t.notMatch(logged(access), sent, `${path}: no echo of the request token, its secret or the verifier`)
    t.equal(access.status, bodies[path]?.status, `${path}: the provider status is kept`)
  }
  const echoed = await failure(createProviderClient(endpoints(server, { accessTokenUrl: server.origin + '/echo-500' })).getAccessToken(requestToken, verifier))
  t.match(echoed.body, /^Internal error for \[redacted\]/, 'the rest of the body stays readable')
  t.equal(echoed.problem, 'token_rejected')
  t.same(echoed.details, { oauth_token: '[redacted]' })
  const nested = await failure(createProviderClient(endpoints(server, { accessTokenUrl: server.origin + '/json-error' })).getAccessToken(requestToken, verifier))
  t.match(nested.body, '"Session_Handle":"[redacted]"')
  t.match(nested.body, '"my_secret":"[redacted]"')
})

t.test('redactSecrets: forms, JSON at any depth, XML, free text, known values', async (t) => {
  t.equal(redactSecrets('oauth_token=a&OAUTH_TOKEN_SECRET=b&user_id=1'), 'oauth_token=[redacted]&OAUTH_TOKEN_SECRET=[redacted]&user_id=1')
  t.equal(redactSecrets('{"a":{"b":{"x_Verifier":"v","n":[1,{"token":7}]}},"name":"ok"}'), '{"a":{"b":{"x_Verifier":"[redacted]","n":[1,{"token":"[redacted]"}]}},"name":"ok"}')
  t.equal(redactSecrets('<oauth_session_handle>h</oauth_session_handle>'), '<oauth_session_handle>[redacted]</oauth_session_handle>')
  t.equal(redactSecrets('bad token abc; secret: def'), 'bad token [redacted]; secret: [redacted]')
  t.equal(redactSecrets('saw k3y-value twice: k3y-value', ['k3y-value', undefined]), 'saw [redacted] twice: [redacted]')
  t.equal(redactSecrets('status=failed&reason=timeout'), 'status=failed&reason=timeout', 'other fields are left alone')
})

t.test('redirects: token endpoints never take tokens from another origin, even with maxRedirections', async (t) => {
  const evil = await serve(t, (_request, response) => {
    response.end('oauth_token=from-evil-token&oauth_token_secret=from-evil-secret&oauth_callback_confirmed=true')
  })
  const server = await serve(t, (request, response) => {
    const path = request.url.split('?')[0]
    if (path === '/access_token' || path === '/request_token') {
      response.writeHead(307, { location: `${evil.origin}${path}` })
      response.end()
      return
    }
    if (path === '/moved') {
      response.writeHead(307, { location: '/request_token_here' })
      response.end()
      return
    }
    response.end('oauth_token=good&oauth_token_secret=fine&oauth_callback_confirmed=true')
  })
  const providerClient = createProviderClient(endpoints(server, { maxRedirections: 5 }))
  t.teardown(() => providerClient.close())
  const access = await failure(providerClient.getAccessToken(requestToken, verifier))
  t.match(access, { code: ErrorCodes.REDIRECT_REFUSED, statusCode: 502, message: /another origin/ })
  t.notMatch(logged(access), /from-evil/)
  t.match(await failure(providerClient.getRequestToken('https://app.example/cb')), { code: ErrorCodes.REDIRECT_REFUSED })
  t.equal(evil.requests.length, 0, 'the other origin was never called')

  const same = createProviderClient(endpoints(server, { maxRedirections: 2, requestTokenUrl: `${server.origin}/moved` }))
  t.teardown(() => same.close())
  t.equal((await same.getRequestToken('https://app.example/cb')).token, 'good', 'a same-origin redirect is still followed')
  const landed = server.requests.at(-1) as RecordedRequest
  t.equal(landed.url.split('?')[0], '/request_token_here')
  expectSigned(t, landed, { consumerKey, consumerSecret }, 'and signed again')
})

t.test('bad input: CR/LF/NUL in headers is OAUTH1_INVALID_REQUEST before sending, never retried', async (t) => {
  const server = await serve(t, okJson)
  const client = createClient({ consumerKey, consumerSecret, retries: 3 })
  t.teardown(() => client.close())
  for (const value of ['a\r\nx-injected: 1', 'a\nb', 'a\u0000b', ['ok', 'b\rc']]) {
    const error = await failure(client.get(`${server.origin}/x`, { headers: { 'x-test': value } }))
    t.match(error, { code: ErrorCodes.INVALID_REQUEST, message: /x-test/ }, JSON.stringify(value))
    t.notMatch(error.message, /injected/, 'the value is not echoed')
  }
  t.match(await failure(client.get(`${server.origin}/x`, { headers: { 'bad name': 'v' } })), { code: ErrorCodes.INVALID_REQUEST })
  t.equal(server.requests.length, 0, 'nothing was sent, no retry')
})

t.test('bad input: URLs with user info are refused and never echoed', async (t) => {
  const server = await serve(t, (request, response) => {
    if (request.url === '/to-userinfo') {
      response.writeHead(302, { location: `http://bob:REDIRECT-PW@127.0.0.1:${server.port}/x` })
      response.end()
      return
    }
    okJson(request, response)
  })
  const client = createClient({ consumerKey, consumerSecret, maxRedirections: 2 })
  t.teardown(() => client.close())
  const error = await failure(client.get(`http://alice:PASSWORD-123@127.0.0.1:${server.port}/x`))
  t.match(error, { code: ErrorCodes.INVALID_REQUEST, message: /user name or password/ })
  t.notMatch(logged(error), /PASSWORD-123|alice/)
  const redirect = await failure(client.get(`${server.origin}/to-userinfo`))
  t.match(redirect, { code: ErrorCodes.REDIRECT_REFUSED })
  t.notMatch(logged(redirect), /REDIRECT-PW/)
  t.equal(server.requests.length, 1, 'only the redirecting request was sent')
  t.throws(() => createClient({ consumerKey, consumerSecret, baseUrl: `http://u:BASE-PW@127.0.0.1:${server.port}/` }), { code: ErrorCodes.INVALID_OPTION, message: /baseUrl/ })
})

t.test('bad input: createClient checks every option type and refuses unknown keys', async (t) => {
  const base = { consumerKey, consumerSecret }
  const cases: Array<[string, Record<string, unknown>]> = [
    ['baseUrl', { baseUrl: 'ftp://files.example/' }],
    ['baseUrl', { baseUrl: 'javascript:alert(1)' }],
    ['baseUrl', { baseUrl: 42 }],
    ['correctClockSkew', { correctClockSkew: 'yes' }],
    ['correctClockSkew', { correctClockSkew: 1 }],
    ['userAgent', { userAgent: 'ua\r\nx: 1' }],
    ['userAgent', { userAgent: 7 }],
    ['dispatcher', { dispatcher: {} }],
    ['dispatcher', { dispatcher: 'agent' }],
    ['origins', { origins: 'https://upload.example' }],
    ['origins', { origins: ['ftp://upload.example'] }],
    ['apiOrigins', { apiOrigins: [17] }],
    ['timeout', { timeout: '10' }],
    ['maxResponseBytes', { maxResponseBytes: '1' }]
  ]
  for (const [name, value] of cases) {
    t.throws(() => createClient({ ...base, ...value } as never), { code: ErrorCodes.INVALID_OPTION, message: new RegExp(`"${name}"`) }, `${name}: ${JSON.stringify(value)}`)
  }
  t.throws(() => createClient({ ...base, timout: 5 } as never), { code: ErrorCodes.INVALID_OPTION, message: /Unknown option "timout" for createClient\. Did you mean "timeout"\?/ })
  t.throws(() => createClient({ ...base, requestTokenParams: {}, maxTokenResponseBytes: 1 } as never), { code: ErrorCodes.INVALID_OPTION, message: /maxTokenResponseBytes/ }, 'provider-client-only keys are not client keys')
  t.doesNotThrow(() => createClient({ ...presets.x, ...base }).close(), 'a spread preset is accepted')
  t.doesNotThrow(() => createClient({ ...base, timout: undefined } as never).close(), 'an undefined unknown key is ignored')
})

t.test('bad input: createProviderClient refuses unknown keys and exports the keys it knows', async (t) => {
  const server = await serve(t, okJson)
  t.throws(() => createProviderClient({ ...endpoints(server), requestTokenURL: 'x' } as never), { code: ErrorCodes.INVALID_OPTION, message: /Did you mean "requestTokenUrl"/ })
  t.throws(() => createProviderClient({ ...endpoints(server), requireCallbackConfirmed: 'no' } as never), { code: ErrorCodes.INVALID_OPTION, message: /requireCallbackConfirmed/ })
  t.throws(() => createProviderClient({ ...endpoints(server), correctClockSkew: 'yes' } as never), { code: ErrorCodes.INVALID_OPTION, message: /correctClockSkew/ })
  for (const key of ['consumerKey', 'privateKey', 'baseUrl', 'origins', 'timeout', 'provider', 'requestTokenUrl', 'maxTokenResponseBytes', 'quirks', 'apiOrigins']) {
    t.ok(providerClientOptionKeys.has(key), `providerClientOptionKeys has ${key}`)
  }
  t.notOk(providerClientOptionKeys.has('callbackUrl'), 'plugin keys are not provider client keys')
  const spread = createProviderClient({ ...presets.trello, ...endpoints(server) })
  t.teardown(() => spread.close())
  t.pass('a spread preset is accepted')
})

t.test('second API host: origins (and a preset\'s apiOrigins) are called signed, others refused', async (t) => {
  const api = await serve(t, okJson)
  const upload = await serve(t, okJson)
  const elsewhere = await serve(t, okJson)
  const client = createClient({ consumerKey, consumerSecret, ...user, baseUrl: api.origin, origins: [upload.origin + '/ignored/path'] })
  t.teardown(() => client.close())
  t.equal((await client.get('/1.1/me')).status, 200)
  t.equal((await client.post(`${upload.origin}/media`, { form: { a: '1' } })).status, 200)
  expectSigned(t, api.requests[0], { consumerKey, consumerSecret, tokenSecret: user.tokenSecret })
  expectSigned(t, upload.requests[0], { consumerKey, consumerSecret, tokenSecret: user.tokenSecret }, 'the second host gets a signed call')
  t.match(await failure(client.get(`${elsewhere.origin}/x`)), { code: ErrorCodes.INVALID_REQUEST, message: /refusing to send credentials/ })
  t.equal(elsewhere.requests.length, 0, 'no credentials to any other origin')

  const preset: ProviderPreset = {
    id: 'two-hosts',
    label: 'Two hosts',
    legs: 3,
    signatureMethod: 'HMAC-SHA1',
    baseUrl: api.origin + '/',
    requestTokenUrl: `${api.origin}/request_token`,
    authorizeUrl: `${api.origin}/authorize`,
    accessTokenUrl: `${api.origin}/access_token`,
    denial: ['denied-param'],
    userFields: {},
    quirks: [],
    ...{ apiOrigins: [upload.origin] }
  }
  const providerClient = createProviderClient({ provider: preset, consumerKey, consumerSecret })
  t.teardown(() => providerClient.close())
  t.equal((await providerClient.clientFor(user).get(`${upload.origin}/media/status`)).status, 200, 'the preset\'s apiOrigins are allowed for the user client')
  expectSigned(t, upload.requests[1], { consumerKey, consumerSecret, tokenSecret: user.tokenSecret })
  t.match(await failure(providerClient.clientFor(user).get(`${elsewhere.origin}/x`)), { code: ErrorCodes.INVALID_REQUEST })

  const noBase = createClient({ consumerKey, consumerSecret, origins: [upload.origin] })
  t.teardown(() => noBase.close())
  t.match(await failure(noBase.get(`${elsewhere.origin}/x`)), { code: ErrorCodes.INVALID_REQUEST }, 'origins without baseUrl also limit absolute URLs')
  t.equal(elsewhere.requests.length, 0)
})

// Types (checked by tsc, never run): the new per-call options and client options.
export function typeChecks (providerClient: ProviderClient, signal: AbortSignal): unknown[] {
  const options: ClientOptions = { consumerKey, origins: ['https://upload.x.com', new URL('https://api.x.com')], apiOrigins: ['https://upload.x.com'] }
  // @ts-expect-error origins is a list
  const single: ClientOptions = { consumerKey, origins: 'https://upload.x.com' }
  const clientOptions: ProviderClientOptions = { consumerKey, maxTokenResponseBytes: 4096 }
  // @ts-expect-error maxTokenResponseBytes is a number
  const wrong: ProviderClientOptions = { consumerKey, maxTokenResponseBytes: '4k' }
  const keys: ReadonlySet<string> = providerClientOptionKeys
  return [
    providerClient.getRequestToken('https://app.example/cb', undefined, { signal }),
    providerClient.getAccessToken(requestToken, verifier, { signal }),
    providerClient.getAccessToken(requestToken, verifier),
    // @ts-expect-error signal is an AbortSignal
    providerClient.getRequestToken('https://app.example/cb', {}, { signal: 'stop' }),
    options, single, clientOptions, wrong, keys
  ]
}
