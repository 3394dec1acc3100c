import t from 'tap'
import type { ClientResponse } from '../src/http/client.js'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { parseProblem } from '../src/protocol/problems.js'
import { checkProviderClientOptions, createProviderClient, type ProviderClientOptions, parseTokenResponse } from '../src/provider/provider-client.js'
import { flowOptions, startFakeProvider } from './helpers/fake-provider.js'

function response (status: number, body: string, headers: Record<string, string> = {}): ClientResponse {
  const buffer = Buffer.from(body)
  return {
    status,
    ok: status >= 200 && status < 300,
    headers,
    url: 'https://provider.example/oauth/request_token',
    body: buffer,
    text: () => buffer.toString('utf8'),
    json: () => JSON.parse(buffer.toString('utf8')),
    problem: () => parseProblem(status, buffer.toString('utf8'), headers['www-authenticate']),
    rateLimit: undefined,
    diagnosis: () => undefined
  }
}

t.test('createProviderClient runs the three steps against a verifying provider, without Fastify', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider, { requestTokenParams: { x_auth_access_type: 'write' } }))
  t.teardown(() => providerClient.close())

  const requestToken = await providerClient.getRequestToken('https://app.example/cb?a=1', { lang: 'fr ca' })
  t.equal(requestToken.token, provider.requestTokens[0])
  t.equal(requestToken.tokenSecret, provider.issuedSecrets[0], 'a secret with +/= decoded from the form body')
  t.same(requestToken.extra, { oauth_callback_confirmed: 'true' })
  t.equal(provider.seen[0]?.method, 'POST')
  t.equal(provider.seen[0]?.oauth.oauth_callback, 'https://app.example/cb?a=1')
  t.same(provider.seen[0]?.query, { x_auth_access_type: 'write', lang: 'fr ca' }, 'extra params in the signed query')

  const authorizeUrl = providerClient.authorizeUrl(requestToken.token)
  t.equal(authorizeUrl, `${provider.authorizeUrl}?oauth_token=${requestToken.token}`)
  const verifier = new URL(await provider.authorize(authorizeUrl)).searchParams.get('oauth_verifier') as string

  const access = await providerClient.getAccessToken(requestToken, verifier)
  const issued = provider.accessTokens[0]
  t.equal(access.token, issued?.token)
  t.equal(access.tokenSecret, issued?.secret)
  t.same(access.extra, { user_id: provider.user.userId, screen_name: provider.user.screenName })
  t.equal(provider.seen[1]?.oauth.oauth_verifier, verifier)
  t.equal(provider.seen[1]?.oauth.oauth_token, requestToken.token)

  const me = await providerClient.clientFor(access).get(provider.meUrl)
  t.same(me.json(), { id: provider.user.userId, screen_name: provider.user.screenName, query: {} })
  t.same(provider.rejected(), [], 'oauth-sign accepted every signature')
})

t.test('tokenMethod GET', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider, { tokenMethod: 'GET' }))
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('https://app.example/cb')
  const verifier = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token))).searchParams.get('oauth_verifier') as string
  await providerClient.getAccessToken(requestToken, verifier)
  t.same(provider.seen.map((item) => item.method), ['GET', 'GET'])
  t.same(provider.rejected(), [])
})

t.test('a wrong verifier or a reused request token is refused by the provider', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider))
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('https://app.example/cb')
  const verifier = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token))).searchParams.get('oauth_verifier') as string
  await t.rejects(providerClient.getAccessToken(requestToken, 'wrong'), { code: ErrorCodes.PROVIDER_ERROR, status: 401, problem: 'verifier_invalid' })
  await providerClient.getAccessToken(requestToken, verifier)
  await t.rejects(providerClient.getAccessToken(requestToken, verifier), { code: ErrorCodes.PROVIDER_ERROR, problem: 'token_used' })
})

t.test('provider failures become coded errors', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider, { timeout: 150 }))
  t.teardown(() => providerClient.close())

  provider.mode.requestToken = 'error'
  await t.rejects(providerClient.getRequestToken('https://app.example/cb'), {
    code: ErrorCodes.PROVIDER_ERROR, statusCode: 502, status: 500, problem: 'consumer_key_rejected', advice: 'try again later'
  })
  provider.mode.requestToken = 'unauthorized'
  provider.problem = 'nonce_used'
  await t.rejects(providerClient.getRequestToken('https://app.example/cb'), { code: ErrorCodes.PROVIDER_ERROR, status: 401, problem: 'nonce_used' })
  provider.mode.requestToken = 'garbage'
  await t.rejects(providerClient.getRequestToken('https://app.example/cb'), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, statusCode: 502 })
  provider.mode.requestToken = 'unconfirmed'
  await t.rejects(providerClient.getRequestToken('https://app.example/cb'), { code: ErrorCodes.CALLBACK_NOT_CONFIRMED, status: 200 })
  provider.mode.requestToken = 'hang'
  await t.rejects(providerClient.getRequestToken('https://app.example/cb'), { code: ErrorCodes.TIMEOUT, statusCode: 504 })
})

t.test('requireCallbackConfirmed: false accepts an OAuth 1.0 provider', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider, { requireCallbackConfirmed: false }))
  t.teardown(() => providerClient.close())
  provider.mode.requestToken = 'unconfirmed'
  const requestToken = await providerClient.getRequestToken('https://app.example/cb')
  t.equal(requestToken.token, provider.requestTokens[0])
  t.same(requestToken.extra, {})
})

t.test('authorizeUrl keeps the base query, adds configured and per-call params, then oauth_token', async (t) => {
  const providerClient = createProviderClient({
    consumerKey: 'k',
    consumerSecret: 's',
    requestTokenUrl: 'https://trello.com/1/OAuthGetRequestToken',
    authorizeUrl: 'https://trello.com/1/OAuthAuthorizeToken?x=1',
    accessTokenUrl: 'https://trello.com/1/OAuthGetAccessToken',
    authorizeParams: { name: 'My App', scope: 'read,write', expiration: 'never' }
  })
  t.teardown(() => providerClient.close())
  t.equal(providerClient.authorizeUrl('tok/en', { expiration: '1day' }),
    'https://trello.com/1/OAuthAuthorizeToken?x=1&name=My%20App&scope=read%2Cwrite&expiration=1day&oauth_token=tok%2Fen')
})

t.test('createProviderClient validates its options', async (t) => {
  const base: ProviderClientOptions = {
    consumerKey: 'k',
    consumerSecret: 's',
    requestTokenUrl: 'https://p.example/rt',
    authorizeUrl: 'https://p.example/auth',
    accessTokenUrl: 'https://p.example/at'
  }
  const cases: Array<[string, unknown]> = [
    ['requestTokenUrl', undefined],
    ['requestTokenUrl', 'not a url'],
    ['authorizeUrl', 'ftp://p.example/auth'],
    ['accessTokenUrl', 42],
    ['requestTokenParams', { a: 1 }],
    ['authorizeParams', 'scope=read'],
    ['tokenMethod', 'PUT'],
    ['timeout', -1]
  ]
  for (const [name, value] of cases) {
    t.throws(() => createProviderClient({ ...base, [name]: value } as ProviderClientOptions), { code: ErrorCodes.INVALID_OPTION }, `${name}: ${String(value)}`)
  }
  t.throws(() => checkProviderClientOptions(null as unknown as ProviderClientOptions), { code: ErrorCodes.INVALID_OPTION, message: /options/ })
  t.doesNotThrow(() => checkProviderClientOptions(base))
})

t.test('parseTokenResponse: form and JSON bodies', async (t) => {
  t.same(parseTokenResponse(response(200, 'oauth_token=a%20b&oauth_token_secret=s%2B%2F&user_id=1&screen_name=x'), 'access-token'),
    { token: 'a b', tokenSecret: 's+/', extra: { user_id: '1', screen_name: 'x' } })
  t.same(parseTokenResponse(response(200, ' {"oauth_token":"t","oauth_token_secret":"s","user_id":12,"verified":true,"nested":{}}'), 'access-token'),
    { token: 't', tokenSecret: 's', extra: { user_id: '12', verified: 'true' } })
  t.same(parseTokenResponse(response(201, 'oauth_token=t&oauth_token_secret='), 'x'), { token: 't', tokenSecret: '', extra: {} },
    'an empty secret is a secret')
})

t.test('parseTokenResponse: non-2xx is PROVIDER_ERROR with the provider status and problem', async (t) => {
  const error = t.throws(() => parseTokenResponse(response(401, 'oauth_problem=signature_invalid&oauth_problem_advice=check%20key',
    { 'WWW-Authenticate': 'OAuth realm="p", oauth_parameters_absent="oauth_nonce"' }), 'request-token')) as OAuth1Error
  t.ok(error instanceof OAuth1Error)
  t.equal(error.code, ErrorCodes.PROVIDER_ERROR)
  t.equal(error.statusCode, 502)
  t.equal(error.status, 401)
  t.equal(error.problem, 'signature_invalid')
  t.equal(error.advice, 'check key')
  t.same(error.details, { oauth_parameters_absent: 'oauth_nonce' })
  t.match(error.message, /request-token request with HTTP 401 \(oauth_problem=signature_invalid\)/)

  const long = parseError(response(503, 'x'.repeat(2000)))
  t.equal(long.problem, undefined)
  t.equal(long.body?.length, 513, 'body truncated')
  t.equal(long.message, 'The provider refused the access-token request with HTTP 503')
})

function parseError (input: ClientResponse): OAuth1Error {
  try {
    parseTokenResponse(input, 'access-token')
  } catch (error) {
    return error as OAuth1Error
  }
  throw new Error('expected a throw')
}

t.test('parseTokenResponse: unparsable or incomplete 2xx is PROVIDER_BAD_RESPONSE, secrets redacted', async (t) => {
  const json = parseError(response(200, '{not json'))
  t.equal(json.code, ErrorCodes.PROVIDER_BAD_RESPONSE)
  t.equal(json.status, 200)
  t.ok(json.cause instanceof SyntaxError)
  t.match(parseError(response(200, 'null')), { code: ErrorCodes.PROVIDER_BAD_RESPONSE })
  t.match(parseError(response(200, '<html>Oops</html>')), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, body: '<html>Oops</html>' })
  t.match(parseError(response(200, 'oauth_token=&oauth_token_secret=s')), { code: ErrorCodes.PROVIDER_BAD_RESPONSE })
  t.match(parseError(response(200, '[]')), { code: ErrorCodes.PROVIDER_BAD_RESPONSE })
  const leaky = parseError(response(200, 'oauth_token_secret=TOPSECRET&user_id=1'))
  t.equal(leaky.code, ErrorCodes.PROVIDER_BAD_RESPONSE)
  t.notMatch(leaky.body, /TOPSECRET/)
  t.match(leaky.body, /oauth_token_secret=\[redacted\]/)
})
