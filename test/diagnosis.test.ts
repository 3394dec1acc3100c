import t from 'tap'
import oauthSign from 'oauth-sign'
import { baseStringDifference, diagnoseSignature, providerBaseString } from '../src/protocol/diagnosis.js'
import { ErrorCodes, type OAuth1Error } from '../src/errors.js'
import { createClient } from '../src/http/client.js'
import { createProviderClient } from '../src/provider/provider-client.js'
import { checkSignature, type Handler, okJson, startServer } from './helpers/signature-check.js'

// RFC 5849 §3.4.1.1's example base string, and the same request as a provider that dropped a parameter saw it.
const ours = 'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7'

t.test('providerBaseString reads Flickr-style debug_sbs, raw or encoded once more', async (t) => {
  t.equal(providerBaseString(`oauth_problem=signature_invalid&debug_sbs=${ours}`), ours)
  t.equal(providerBaseString(`oauth_problem=signature_invalid&debug_sbs=${encodeURIComponent(ours)}`), ours)
  t.equal(providerBaseString('oauth_problem=signature_invalid'), undefined)
  t.equal(providerBaseString('oauth_problem=signature_invalid&debug_sbs=GET%26%E0%A4%A'), 'GET%26%E0%A4%A', 'malformed encoding kept as sent')
})

t.test('baseStringDifference names the part and the parameter', async (t) => {
  t.equal(baseStringDifference(ours, ours), undefined)
  t.match(baseStringDifference(ours, 'GET' + ours.slice(4)), { index: 0, part: 'method' })
  t.match(baseStringDifference(ours, ours.replace('example.com', 'example.org')), { part: 'uri', ours: /example\.com/, theirs: /example\.org/ })
  const plusForSpace = ours.replace('a2%3Dr%2520b', 'a2%3Dr%252Bb')
  const difference = baseStringDifference(ours, plusForSpace)
  t.match(difference, { part: 'parameters', parameter: 'a2' }, 'a space the provider saw as "+"')
  t.equal(difference?.index, ours.indexOf('%2520b') + 4, 'at the first character that differs')
  const dropped = ours.replace('%26c2%3D', '')
  t.match(baseStringDifference(ours, dropped), { part: 'parameters', parameter: 'c2' })
  t.match(baseStringDifference(ours, ours.slice(0, 30)), { index: 30, part: 'uri' }, 'a prefix differs where it ends')
})

t.test('diagnoseSignature bundles ours, theirs and the first difference', async (t) => {
  t.same(diagnoseSignature(ours, 'oauth_problem=signature_invalid'), { baseString: ours })
  const theirs = ours.replace('oauth_nonce%3D7d8f3e4a', 'oauth_nonce%3D7d8f3e4b')
  const diagnosis = diagnoseSignature(ours, `oauth_problem=signature_invalid&debug_sbs=${theirs}`)
  t.equal(diagnosis.providerBaseString, theirs)
  t.match(diagnosis.difference, { part: 'parameters', parameter: 'oauth_nonce' })
})

// A Flickr-style provider: it verifies the signature with oauth-sign over the request as it sees
// it and, when it does not match, answers 401 `oauth_problem=signature_invalid&debug_sbs=<its base string>`.
// `scheme: 'https'` plays a provider behind a TLS terminator: it sees an https URL, we signed http.
function flickrStyle (scheme: 'http' | 'https', credentials: { consumerSecret: string, tokenSecret?: string }): Handler {
  return (request, response) => {
    const check = checkSignature(request, { ...credentials, scheme })
    if (check.valid) {
      response.end('oauth_token=rt&oauth_token_secret=rs&oauth_callback_confirmed=true')
      return
    }
    const signed: Record<string, string> = {}
    for (const [name, value] of Object.entries(check.oauth)) if (name !== 'oauth_signature') signed[name] = value
    for (const [name, value] of check.params) signed[name] = value
    response.writeHead(401, { 'content-type': 'text/plain' })
    response.end(`oauth_problem=signature_invalid&debug_sbs=${oauthSign.generateBase(request.method, check.baseUri, signed)}`)
  }
}

t.test('API calls: response.diagnosis() shows both base strings and where they part', async (t) => {
  const server = await startServer(flickrStyle('https', { consumerSecret: 'cs', tokenSecret: 'as' }))
  t.teardown(() => server.close())
  const client = createClient({ consumerKey: 'ck', consumerSecret: 'cs', origins: [server.origin] }).withToken({ token: 'at', tokenSecret: 'as' })
  const response = await client.get(`${server.origin}/services/rest/`, { query: { method: 'flickr.test.login' } })
  t.equal(response.status, 401)
  const diagnosis = response.diagnosis()
  t.ok(diagnosis, 'a signature refusal has a diagnosis')
  t.match(diagnosis?.baseString, /^GET&http%3A%2F%2F127\.0\.0\.1/, 'ours: the http URL we called')
  t.match(diagnosis?.providerBaseString, /^GET&https%3A%2F%2F127\.0\.0\.1/, 'theirs: the https URL it saw')
  t.match(diagnosis?.difference, { part: 'uri', index: 'GET&http'.length })
  t.match(diagnosis?.baseString, /method%3Dflickr\.test\.login/)
  t.match(diagnosis?.baseString, /oauth_token%3Dat%26/, 'the token stays (it is sent in clear anyway)')
  t.notMatch(JSON.stringify(diagnosis), /"as"|cs%26as/, 'no secret')

  const fine = await startServer(okJson)
  t.teardown(() => fine.close())
  const ok = createClient({ consumerKey: 'ck', consumerSecret: 'cs', origins: [fine.origin] })
  t.equal((await ok.get(`${fine.origin}/x`)).diagnosis(), undefined, 'a 200 has none')
})

t.test('a 401 naming the signature, without oauth_problem, is diagnosed with our base string', async (t) => {
  const server = await startServer((_request, response) => {
    response.writeHead(401, { 'www-authenticate': 'OAuth realm="api", error="invalid signature"' })
    response.end('Invalid signature')
  })
  t.teardown(() => server.close())
  const client = createClient({ consumerKey: 'ck', consumerSecret: 'cs', origins: [server.origin] })
  const diagnosis = (await client.post(`${server.origin}/a`, { form: { q: 'x y' } })).diagnosis()
  t.match(diagnosis, { baseString: /^POST&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fa&oauth_consumer_key%3Dck.*%26q%3Dx%2520y$/ })
  t.equal(diagnosis?.providerBaseString, undefined)
  const other = await startServer((_request, response) => {
    response.writeHead(401)
    response.end('oauth_problem=token_rejected')
  })
  t.teardown(() => other.close())
  const otherClient = createClient({ consumerKey: 'ck', consumerSecret: 'cs', origins: [other.origin] })
  t.equal((await otherClient.get(`${other.origin}/a`)).diagnosis(), undefined, 'other refusals are not signature problems')
})

t.test('token calls: OAUTH1_PROVIDER_ERROR carries the diagnosis, the verifier masked, no secret', async (t) => {
  const server = await startServer(flickrStyle('https', { consumerSecret: 'consumer-secret' }))
  t.teardown(() => server.close())
  const providerClient = createProviderClient({
    consumerKey: 'ck',
    consumerSecret: 'consumer-secret',
    requestTokenUrl: `${server.origin}/services/oauth/request_token`,
    authorizeUrl: `${server.origin}/services/oauth/authorize`,
    accessTokenUrl: `${server.origin}/services/oauth/access_token`
  })
  t.teardown(() => providerClient.close())
  const refused = await providerClient.getRequestToken('https://app.example/cb').catch((error: unknown) => error) as OAuth1Error
  t.match(refused, { code: ErrorCodes.PROVIDER_ERROR, problem: 'signature_invalid' })
  t.match(refused.diagnosis, { difference: { part: 'uri' }, baseString: /oauth_callback%3Dhttps%253A%252F%252Fapp\.example%252Fcb/ })

  const exchange = await providerClient.getAccessToken({ token: 'request-token-1', tokenSecret: 'request-secret-1' }, 'verifier-7781')
    .catch((error: unknown) => error) as OAuth1Error
  t.match(exchange, { code: ErrorCodes.PROVIDER_ERROR, problem: 'signature_invalid' })
  const diagnosis = exchange.diagnosis
  t.match(diagnosis?.baseString, /oauth_verifier%3D%5Bverifier%5D/, 'our verifier masked')
  t.match(diagnosis?.providerBaseString, /oauth_verifier%3D%5Bverifier%5D/, 'theirs masked the same way')
  t.match(diagnosis?.baseString, /oauth_token%3Drequest-token-1/, 'the request token kept')
  t.equal(diagnosis?.difference?.part, 'uri', 'the masked strings still compare')
  const everything = JSON.stringify({ ...exchange, message: exchange.message, diagnosis })
  for (const secret of ['verifier-7781', 'request-secret-1', 'consumer-secret']) t.notOk(everything.includes(secret), `${secret} nowhere in the error`)
})

t.test('diagnoseSignature cuts the secrets out of an echoing provider\'s string', async (t) => {
  const diagnosis = diagnoseSignature('GET&http%3A%2F%2Fa%2F&oauth_verifier%3Dv-1%26x%3D1', 'oauth_problem=signature_invalid&debug_sbs=GET&http%3A%2F%2Fa%2F&secret%3Dcs-77', ['cs-77'])
  t.equal(diagnosis.baseString, 'GET&http%3A%2F%2Fa%2F&oauth_verifier%3D%5Bverifier%5D%26x%3D1')
  t.equal(diagnosis.providerBaseString, 'GET&http%3A%2F%2Fa%2F&secret%3D[redacted]')
})
