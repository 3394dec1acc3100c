/**
 * The three-legged dance by hand against a provider built on python oauthlib's endpoints:
 * request token (with callback) -> authorize -> follow the redirect -> access token -> /api/me,
 * signed with createSigner and sent with undici. Also checks that the provider enforces what
 * later flow tests rely on (single-use tokens, nonce, callback, denial).
 *
 * Needs /usr/bin/python3 with python3-oauthlib python3-jwt python3-cryptography (Debian):
 * without them this test fails, it does not skip.
 */
import t from 'tap'
import { request } from 'undici'
import { createSigner, parseFormToRecord, type SignedRequest, type SignerOptions, type SignOptions } from '../src/core.js'
import { type OauthlibProvider, startOauthlibProvider } from './helpers/oauthlib-provider.js'
import { debianPackages } from './helpers/python.js'

const consumerKey = 'fastifyoauth1consumerkey01'
const consumerSecret = 'c0nsumer-s3cret&=+%'
const callback = 'http://127.0.0.1:3000/auth/oauthlib/callback?state=a b'

async function send (signed: SignedRequest, method: string): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, text: string }> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(signed.headers)) headers[name] = typeof value === 'number' ? String(value) : value
  const response = await request(signed.url, { method: method as 'GET', headers, body: signed.body })
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() }
}

async function call (provider: OauthlibProvider, method: string, path: string, signer: SignerOptions, options: SignOptions = {}) {
  const signed = createSigner(signer).sign({ method, url: provider.origin + path }, options)
  return send(signed, method)
}

async function get (url: string) {
  const response = await request(url, { method: 'GET' })
  return { status: response.statusCode, headers: response.headers, text: await response.body.text() }
}

async function requestToken (provider: OauthlibProvider) {
  const response = await call(provider, 'POST', '/oauth/request_token', { consumerKey, consumerSecret }, { callback })
  return { ...response, form: parseFormToRecord(response.text) }
}

t.test('three-legged flow against the oauthlib provider', async (t) => {
  let provider: OauthlibProvider
  try {
    provider = await startOauthlibProvider({ consumerKey, consumerSecret })
  } catch (error) {
    t.fail(`oauthlib provider unavailable; the integration suite needs the Debian packages ${debianPackages}: ${(error as Error).message}`)
    return
  }
  t.teardown(() => provider.close())

  // 1. temporary credentials
  const temporary = await requestToken(provider)
  t.equal(temporary.status, 200, 'request token: 200', { body: temporary.text })
  t.match(temporary.headers['content-type'], /application\/x-www-form-urlencoded/)
  t.match(temporary.form.oauth_token, /^[A-Za-z0-9]{30}$/, 'request token: oauth_token')
  t.match(temporary.form.oauth_token_secret, /^[A-Za-z0-9]{30}$/, 'request token: oauth_token_secret')
  t.equal(temporary.form.oauth_callback_confirmed, 'true', 'request token: oauth_callback_confirmed=true')
  const requestTokenValue = temporary.form.oauth_token as string
  const requestTokenSecret = temporary.form.oauth_token_secret as string

  // 2. the user approves; follow the redirect by hand
  const authorize = await get(`${provider.origin}/oauth/authorize?oauth_token=${encodeURIComponent(requestTokenValue)}`)
  t.equal(authorize.status, 302, 'authorize: 302 to the callback', { body: authorize.text })
  const location = new URL(String(authorize.headers.location))
  t.equal(location.origin + location.pathname, 'http://127.0.0.1:3000/auth/oauthlib/callback', 'authorize: redirects to the registered callback')
  t.equal(location.searchParams.get('state'), 'a b', 'authorize: the callback keeps its own query')
  t.equal(location.searchParams.get('oauth_token'), requestTokenValue, 'authorize: callback carries the request token')
  const verifier = location.searchParams.get('oauth_verifier') as string
  t.match(verifier, /^[A-Za-z0-9]{30}$/, 'authorize: callback carries oauth_verifier')

  // 3. token credentials
  const tokenSigner = { consumerKey, consumerSecret, token: requestTokenValue, tokenSecret: requestTokenSecret }
  const accessSigned = createSigner(tokenSigner).sign({ method: 'POST', url: provider.origin + '/oauth/access_token' }, { verifier })
  const access = await send(accessSigned, 'POST')
  t.equal(access.status, 200, 'access token: 200', { body: access.text })
  const accessForm = parseFormToRecord(access.text)
  t.match(accessForm.oauth_token, /^[A-Za-z0-9]{30}$/, 'access token: oauth_token')
  t.match(accessForm.oauth_token_secret, /^[A-Za-z0-9]{30}$/, 'access token: oauth_token_secret')
  t.equal(accessForm.user_id, '1001', 'access token: user_id')
  t.equal(accessForm.screen_name, 'demo_user', 'access token: screen_name')
  t.not(accessForm.oauth_token, requestTokenValue, 'access token differs from the request token')

  // 4. the protected resource, in every placement
  const user = { consumerKey, consumerSecret, token: accessForm.oauth_token, tokenSecret: accessForm.oauth_token_secret }
  for (const placement of ['header', 'query'] as const) {
    const me = await call(provider, 'GET', '/api/me', { ...user, placement })
    t.equal(me.status, 200, `GET /api/me (${placement}): 200`, { body: me.text })
    t.same(JSON.parse(me.text), { id: '1001', screen_name: 'demo_user' }, `GET /api/me (${placement}): the demo user`)
  }
  const withRealm = await call(provider, 'GET', '/api/me?fields=id,screen_name&q=caf%C3%A9+%F0%9F%98%80', { ...user, realm: 'oauthlib-provider', signatureMethod: 'HMAC-SHA256' })
  t.equal(withRealm.status, 200, 'GET /api/me with realm, HMAC-SHA256 and a unicode query: 200', { body: withRealm.text })

  // The provider enforces what the flow tests rely on.
  t.test('provider rules', async (t) => {
    const replay = await send(accessSigned, 'POST')
    t.equal(replay.status, 401, 'the same access-token request twice: refused (nonce and request token are single-use)')

    const again = await call(provider, 'POST', '/oauth/access_token', tokenSigner, { verifier })
    t.equal(again.status, 401, 'an exchanged request token cannot be exchanged again')
    t.equal(parseFormToRecord(again.text).oauth_problem, 'token_rejected', 'oauth_problem=token_rejected')

    const reauthorize = await get(`${provider.origin}/oauth/authorize?oauth_token=${requestTokenValue}`)
    t.equal(reauthorize.status, 401, 'an exchanged request token cannot be authorised again')

    const second = await requestToken(provider)
    const denied = await get(`${provider.origin}/oauth/authorize?oauth_token=${second.form.oauth_token}&deny=1`)
    t.equal(denied.status, 302, 'deny: 302')
    const deniedUrl = new URL(String(denied.headers.location))
    t.equal(deniedUrl.searchParams.get('denied'), second.form.oauth_token, 'deny: callback carries denied=<token>')
    t.equal(deniedUrl.searchParams.get('oauth_verifier'), null, 'deny: no verifier')

    const third = await requestToken(provider)
    await get(`${provider.origin}/oauth/authorize?oauth_token=${third.form.oauth_token}`)
    const wrongVerifier = await call(provider, 'POST', '/oauth/access_token',
      { consumerKey, consumerSecret, token: third.form.oauth_token, tokenSecret: third.form.oauth_token_secret },
      { verifier: 'A'.repeat(30) })
    t.equal(wrongVerifier.status, 401, 'a wrong verifier: 401')
    t.equal(parseFormToRecord(wrongVerifier.text).oauth_problem, 'verifier_invalid', 'oauth_problem=verifier_invalid')

    const noCallback = await call(provider, 'POST', '/oauth/request_token', { consumerKey, consumerSecret })
    t.equal(noCallback.status, 400, 'request token without oauth_callback: 400')
    const badCallback = await call(provider, 'POST', '/oauth/request_token', { consumerKey, consumerSecret }, { callback: 'javascript:alert(1)' })
    t.equal(badCallback.status, 401, 'request token with a non-http callback: 401')

    const stale = await call(provider, 'GET', '/api/me', user, { timestamp: Math.floor(Date.now() / 1000) - 3600 })
    t.equal(stale.status, 401, 'stale timestamp: 401')
    t.equal(JSON.parse(stale.text).oauth_problem, 'timestamp_refused', 'oauth_problem=timestamp_refused')

    const wrongSecret = await call(provider, 'GET', '/api/me', { ...user, tokenSecret: 'nope' })
    t.equal(wrongSecret.status, 401, 'wrong token secret: 401')
    t.equal(JSON.parse(wrongSecret.text).oauth_problem, 'signature_invalid', 'oauth_problem=signature_invalid')

    const wrongConsumer = await call(provider, 'POST', '/oauth/request_token', { consumerKey, consumerSecret: 'nope' }, { callback })
    t.equal(wrongConsumer.status, 401, 'wrong consumer secret: 401')
    t.equal(parseFormToRecord(wrongConsumer.text).oauth_problem, 'signature_invalid', 'oauth_problem=signature_invalid')

    const longNonce = await call(provider, 'GET', '/api/me', { ...user, nonce: () => 'n'.repeat(32) })
    t.equal(longNonce.status, 401, 'a 32-character nonce (oauth-1.0a style) is refused by oauthlib\'s defaults')
  })
})
