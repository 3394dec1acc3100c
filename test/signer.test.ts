import { createHash, createHmac, generateKeyPairSync, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Readable } from 'node:stream'
import t from 'tap'
import { parseAuthorizationHeader } from './helpers/signature-check.js'
import { baseStringUri, normalizeParameters, signatureBaseString } from '../src/protocol/base-string.js'
import { parseForm } from '../src/protocol/encoding.js'
import { generateNonce } from '../src/protocol/nonce.js'
import { createSigner, type SignableRequest, type SignerOptions } from '../src/signer/signer.js'
import { findHeader, isFormContentType } from '../src/protocol/headers.js'
import { ErrorCodes } from '../src/errors.js'

// Expected values below come from RFC 5849, OAuth Core 1.0 Appendix A, X's documentation, the
// OAuth wiki test cases, or node:crypto applied to a base string written out by hand.

function hmac (hash: 'sha1' | 'sha256' | 'sha512', key: string, text: string): string {
  return createHmac(hash, key).update(text).digest('base64')
}

/** The test helpers' reader for `Authorization: OAuth k="v", ...` (RFC 5849 §3.5.1), which throws on anything else. */
function parseAuthorization (header: unknown): { realm: string | undefined, params: Record<string, string> } {
  const parsed = typeof header === 'string' ? parseAuthorizationHeader(header) : undefined
  if (parsed === undefined) throw new Error(`not an OAuth header: ${String(header)}`)
  return parsed
}

function queryRecord (url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams)
}

function bodyRecord (body: unknown): Record<string, string> {
  if (typeof body !== 'string') throw new Error('expected a string body')
  return Object.fromEntries(new URLSearchParams(body))
}

// A fixed clock and nonce for the hand-written base strings below.
const fixed = { consumerKey: 'ck', consumerSecret: 'cs', now: () => 1_700_000_000_999, nonce: () => 'abcdefghij0123456789' }
// The protocol parameters for `fixed` (HMAC-SHA1, no token), normalised and encoded once more, by hand.
const O = 'oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdefghij0123456789%26oauth_signature_method%3DHMAC-SHA1' +
  '%26oauth_timestamp%3D1700000000%26oauth_version%3D1.0'

function signatureOf (signed: { oauthParams: Record<string, string> }): string | undefined {
  return signed.oauthParams.oauth_signature
}

// ---------------------------------------------------------------------------------------------
// (1) X's documented example, step by step
// https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
// ---------------------------------------------------------------------------------------------

const x = {
  consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
  consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
  token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
  timestamp: 1318622958,
  url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
  body: 'status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21',
  parameterString: 'include_entities=true&oauth_consumer_key=xvz1evFS4wEEPTGEFPHBog&oauth_nonce=kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg' +
    '&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1318622958&oauth_token=370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb' +
    '&oauth_version=1.0&status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21',
  baseString: 'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue' +
    '%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg' +
    '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958' +
    '%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0' +
    '%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
  signingKey: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw&LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  signature: 'hCtSmYh+iHYCEqBWrE7C7hYmtUk='
}

t.test('X example: parameter string, base string and signature, step by step', async (t) => {
  const url = new URL(x.url)
  const params = parseForm(url.search.slice(1))
  parseForm(x.body, params)
  t.same(params, [['include_entities', 'true'], ['status', 'Hello Ladies + Gentlemen, a signed OAuth request!']],
    'collecting: the body is decoded (lower-case %2b and %2c included)')
  params.push(
    ['oauth_consumer_key', x.consumerKey], ['oauth_nonce', x.nonce], ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', String(x.timestamp)], ['oauth_token', x.token], ['oauth_version', '1.0'])
  const parameterString = normalizeParameters(params)
  t.equal(parameterString, x.parameterString, 'the documented parameter string')
  const base = signatureBaseString('POST', baseStringUri(url), parameterString)
  t.equal(base, x.baseString, 'the documented signature base string')
  t.equal(hmac('sha1', x.signingKey, base), x.signature, 'the documented signing key and signature agree')
})

t.test('X example: createSigner().sign() gives the documented signature and header', async (t) => {
  const signer = createSigner({
    consumerKey: x.consumerKey,
    consumerSecret: x.consumerSecret,
    token: x.token,
    tokenSecret: x.tokenSecret,
    now: () => x.timestamp * 1000 + 999,
    nonce: () => x.nonce
  })
  t.equal(signer.signatureMethod, 'HMAC-SHA1', 'HMAC-SHA1 is the default')
  t.equal(signer.placement, 'header', 'header is the default')
  const request = { method: 'POST', url: x.url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: x.body }
  const signed = signer.sign(request)
  t.equal(signed.oauthParams.oauth_signature, x.signature)
  // The header as X's "Authorizing a request" page builds it: sorted keys, percent-encoded values,
  // ", " between pairs. (That page prints another signature, tnnArxj06cWHq44gCs1OSKk/jLY=, that does
  // not follow from its own inputs; the "Creating a signature" page's value is used here.)
  t.equal(signed.headers.authorization,
    'OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", ' +
    'oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1318622958", ' +
    'oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0"')
  t.equal(signed.url, x.url, 'the URL is unchanged')
  t.equal(signed.body, x.body, 'the body is unchanged')
  t.equal(signed.headers['content-type'], 'application/x-www-form-urlencoded')
  t.same(signed.oauthParams, {
    oauth_consumer_key: x.consumerKey,
    oauth_nonce: x.nonce,
    oauth_signature: x.signature,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: '1318622958',
    oauth_token: x.token,
    oauth_version: '1.0'
  })

  const perCall = createSigner({ consumerKey: x.consumerKey, consumerSecret: x.consumerSecret })
    .sign(request, { token: x.token, tokenSecret: x.tokenSecret, nonce: x.nonce, timestamp: x.timestamp })
  t.equal(perCall.oauthParams.oauth_signature, x.signature, 'same result with token, nonce and timestamp given per call')
})

// ---------------------------------------------------------------------------------------------
// (2) The photos example: OAuth Core 1.0 Appendix A (HMAC-SHA1, PLAINTEXT) and RFC 5849 §2.1, §2.3
// ---------------------------------------------------------------------------------------------

t.test('OAuth Core 1.0 Appendix A.5: GET photos with HMAC-SHA1', async (t) => {
  const signer = createSigner({
    consumerKey: 'dpf43f3p2l4k3l03',
    consumerSecret: 'kd94hf93k423kf44',
    token: 'nnch734d00sl2jdk',
    tokenSecret: 'pfkkdhi9sl3r4s00',
    realm: 'http://photos.example.net/',
    now: () => 1191242096_000,
    nonce: () => 'kllo9940pd9333jh'
  })
  const signed = signer.sign({ method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' })
  t.equal(signed.oauthParams.oauth_signature, 'tR3+Ty81lMeYAr/Fid0kMTYa/WM=')
  const { realm, params } = parseAuthorization(signed.headers.authorization)
  t.equal(realm, 'http://photos.example.net/')
  // A.5.3 Authorization header, realm aside
  t.same(params, {
    oauth_consumer_key: 'dpf43f3p2l4k3l03',
    oauth_token: 'nnch734d00sl2jdk',
    oauth_signature_method: 'HMAC-SHA1',
    oauth_signature: 'tR3+Ty81lMeYAr/Fid0kMTYa/WM=',
    oauth_timestamp: '1191242096',
    oauth_nonce: 'kllo9940pd9333jh',
    oauth_version: '1.0'
  })
  t.equal(signed.url, 'http://photos.example.net/photos?file=vacation.jpg&size=original')
})

t.test('OAuth Core 1.0 Appendix A.2 and A.4: request token and access token with PLAINTEXT', async (t) => {
  const signer = createSigner({ consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44', signatureMethod: 'PLAINTEXT', placement: 'query' })
  const requestToken = signer.sign({ method: 'POST', url: 'https://photos.example.net/request_token' }, { nonce: 'hsu94j3884jdopsl', timestamp: 1191242090 })
  t.equal(requestToken.oauthParams.oauth_signature, 'kd94hf93k423kf44&')
  t.same(queryRecord(requestToken.url), {
    oauth_consumer_key: 'dpf43f3p2l4k3l03',
    oauth_signature_method: 'PLAINTEXT',
    oauth_signature: 'kd94hf93k423kf44&',
    oauth_timestamp: '1191242090',
    oauth_nonce: 'hsu94j3884jdopsl',
    oauth_version: '1.0'
  }, 'the A.2 request parameters')
  t.match(requestToken.url, /oauth_signature=kd94hf93k423kf44%26(&|$)/, 'as printed: kd94hf93k423kf44%26')

  const accessToken = signer.sign({ method: 'POST', url: 'https://photos.example.net/access_token' },
    { token: 'hh5s93j4hdidpola', tokenSecret: 'hdhd0244k9j7ao03', nonce: 'dji430splmx33448', timestamp: 1191242092 })
  t.equal(accessToken.oauthParams.oauth_signature, 'kd94hf93k423kf44&hdhd0244k9j7ao03')
  t.same(queryRecord(accessToken.url), {
    oauth_consumer_key: 'dpf43f3p2l4k3l03',
    oauth_token: 'hh5s93j4hdidpola',
    oauth_signature_method: 'PLAINTEXT',
    oauth_signature: 'kd94hf93k423kf44&hdhd0244k9j7ao03',
    oauth_timestamp: '1191242092',
    oauth_nonce: 'dji430splmx33448',
    oauth_version: '1.0'
  }, 'the A.4 request parameters')
})

t.test('RFC 5849 §2.1 and §2.3: temporary credentials and token request with PLAINTEXT', async (t) => {
  const signer = createSigner({ consumerKey: 'jd83jd92dhsh93js', consumerSecret: 'ja893SD9', signatureMethod: 'PLAINTEXT', realm: 'Example' })
  const temporary = signer.sign({ method: 'POST', url: 'https://server.example.com/request_temp_credentials' },
    { callback: 'http://client.example.net/cb?x=1' })
  t.match(temporary.headers.authorization, /^OAuth realm="Example", /)
  t.match(temporary.headers.authorization, /oauth_callback="http%3A%2F%2Fclient.example.net%2Fcb%3Fx%3D1"/, 'as printed in §2.1')
  t.match(temporary.headers.authorization, /oauth_signature="ja893SD9%26"/, 'as printed in §2.1')
  t.notMatch(temporary.headers.authorization, /oauth_token=/, 'no token on the temporary-credential request')

  const token = signer.sign({ method: 'POST', url: 'https://server.example.com/request_token' },
    { token: 'hdk48Djdsa', tokenSecret: 'xyz4992k83j47x0b', verifier: '473f82d3' })
  const { realm, params } = parseAuthorization(token.headers.authorization)
  t.equal(realm, 'Example')
  t.equal(params.oauth_signature, 'ja893SD9&xyz4992k83j47x0b', 'as printed in §2.3')
  t.equal(params.oauth_token, 'hdk48Djdsa')
  t.equal(params.oauth_verifier, '473f82d3')
})

t.test('RSA-SHA1 through the signer: the OAuth wiki test vector', async (t) => {
  const privateKey = readFileSync(new URL('./fixtures/oauth-wiki-rsa-private.pem', import.meta.url), 'utf8')
  const publicKey = readFileSync(new URL('./fixtures/oauth-wiki-rsa-public.pem', import.meta.url), 'utf8')
  const signer = createSigner({ consumerKey: 'dpf43f3p2l4k3l03', signatureMethod: 'RSA-SHA1', privateKey })
  const signed = signer.sign({ method: 'GET', url: 'http://photos.example.net/photos?file=vacaction.jpg&size=original' },
    { nonce: '13917289812797014437', timestamp: 1196666512 })
  const expected = 'jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5wUmUl4aCI4BwpraNx4RtEX' +
    'Me5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5twt399mXwaYdCwFYE='
  t.equal(signed.oauthParams.oauth_signature, expected)
  const base = 'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03' +
    '%26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal'
  t.ok(verify('sha1', Buffer.from(base), publicKey, Buffer.from(expected, 'base64')), 'verifies with the public key')
})

// ---------------------------------------------------------------------------------------------
// (3) Edge cases, each checked against a base string written out by hand
// ---------------------------------------------------------------------------------------------

t.test('duplicate query keys are all signed, sorted by value', async (t) => {
  const signed = createSigner(fixed).sign({ method: 'GET', url: 'http://example.com/r?b=2&a=3&a=1&a=2' })
  const base = 'GET&http%3A%2F%2Fexample.com%2Fr&a%3D1%26a%3D2%26a%3D3%26b%3D2%26' + O
  t.equal(signatureOf(signed), hmac('sha1', 'cs&', base))
  t.equal(signed.url, 'http://example.com/r?b=2&a=3&a=1&a=2', 'the query is sent as given')
})

t.test('"+" and "%20" mean the same space, in the query and in a form body', async (t) => {
  const signer = createSigner(fixed)
  const getBase = 'GET&http%3A%2F%2Fexample.com%2Fr&' + O + '%26q%3Da%2520b'
  for (const url of ['http://example.com/r?q=a+b', 'http://example.com/r?q=a%20b', 'http://example.com/r?q=a b']) {
    t.equal(signatureOf(signer.sign({ method: 'GET', url })), hmac('sha1', 'cs&', getBase), url)
  }
  const postBase = 'POST&http%3A%2F%2Fexample.com%2Fr&' + O + '%26q%3Da%2520b'
  const form = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }
  for (const body of ['q=a+b', 'q=a%20b', Buffer.from('q=a+b'), new URLSearchParams({ q: 'a b' })]) {
    t.equal(signatureOf(signer.sign({ method: 'POST', url: 'http://example.com/r', headers: form, body })), hmac('sha1', 'cs&', postBase),
      `body ${String(body)} (${body.constructor.name})`)
  }
  const plus = 'POST&http%3A%2F%2Fexample.com%2Fr&' + O + '%26q%3Da%252Bb'
  t.equal(signatureOf(signer.sign({ method: 'POST', url: 'http://example.com/r', headers: form, body: 'q=a%2Bb' })), hmac('sha1', 'cs&', plus),
    '%2B stays a literal plus')
})

t.test('unicode in the path, query and body', async (t) => {
  const signer = createSigner(fixed)
  const base = 'GET&http%3A%2F%2Fexample.com%2F%25C3%25BC&' + O + '%26q%3D%25C3%25BC%25E2%2598%2583'
  for (const url of ['http://example.com/ü?q=ü☃', 'http://example.com/%C3%BC?q=%C3%BC%E2%98%83']) {
    t.equal(signatureOf(signer.sign({ method: 'GET', url })), hmac('sha1', 'cs&', base), url)
  }
  const postBase = 'POST&http%3A%2F%2Fexample.com%2Fr&' + O + '%26s%3D%25F0%259F%2598%2580'
  t.equal(signatureOf(signer.sign({ method: 'POST', url: 'http://example.com/r', body: new URLSearchParams({ s: '😀' }) })), hmac('sha1', 'cs&', postBase))
  t.throws(() => signer.sign({ method: 'GET', url: 'http://example.com/r' }, { callback: 'https://app.example/\uD800' }), { code: 'OAUTH1_INVALID_REQUEST' },
    'a lone surrogate in a protocol parameter')
  t.throws(() => signer.sign({ method: 'GET', url: 'http://example.com/r?q=%FF' }), { code: 'OAUTH1_INVALID_REQUEST' }, 'invalid UTF-8 in the query')
})

t.test('reserved characters, literal or escaped, sign the same', async (t) => {
  const signer = createSigner(fixed)
  const base = 'GET&http%3A%2F%2Fexample.com%2Fr&a%3D%2521%2527%2528%2529%252A%26b%3D%253D%2526%252B%26' + O
  for (const url of ["http://example.com/r?a=!'()*&b=%3D%26%2B", 'http://example.com/r?a=%21%27%28%29%2A&b=%3D%26%2B']) {
    t.equal(signatureOf(signer.sign({ method: 'GET', url })), hmac('sha1', 'cs&', base), url)
  }
})

t.test('host case and ports in the base string URI', async (t) => {
  const signer = createSigner(fixed)
  const cases: Array<[string, string]> = [
    ['HTTP://EXAMPLE.COM:80/r', 'http%3A%2F%2Fexample.com%2Fr'],
    ['https://Example.Com:443/r', 'https%3A%2F%2Fexample.com%2Fr'],
    ['http://example.com:8080/r', 'http%3A%2F%2Fexample.com%3A8080%2Fr'],
    ['https://example.com:80/r', 'https%3A%2F%2Fexample.com%3A80%2Fr'],
    ['http://example.com/r#fragment', 'http%3A%2F%2Fexample.com%2Fr']
  ]
  for (const [url, encodedUri] of cases) {
    t.equal(signatureOf(signer.sign({ method: 'GET', url })), hmac('sha1', 'cs&', `GET&${encodedUri}&${O}`), url)
  }
  const asUrl = signer.sign({ method: 'get', url: new URL('HTTP://EXAMPLE.COM:80/r') })
  t.equal(signatureOf(asUrl), hmac('sha1', 'cs&', `GET&http%3A%2F%2Fexample.com%2Fr&${O}`), 'a URL object and a lower-case method')
})

t.test('empty values are signed as name=', async (t) => {
  const signed = createSigner(fixed).sign({ method: 'GET', url: 'http://example.com/r?a=&b' })
  t.equal(signatureOf(signed), hmac('sha1', 'cs&', 'GET&http%3A%2F%2Fexample.com%2Fr&a%3D%26b%3D%26' + O))
})

t.test('secrets containing & = + % are encoded in the key', async (t) => {
  const signer = createSigner({ ...fixed, consumerSecret: 'c&=+%', token: 'tk', tokenSecret: 's&=+%' })
  const base = 'GET&http%3A%2F%2Fexample.com%2Fr&oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdefghij0123456789' +
    '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk%26oauth_version%3D1.0'
  t.equal(signatureOf(signer.sign({ method: 'GET', url: 'http://example.com/r' })), hmac('sha1', 'c%26%3D%2B%25&s%26%3D%2B%25', base))
  const plaintext = createSigner({ ...fixed, consumerSecret: 'c&=+%', token: 'tk', tokenSecret: 's&=+%', signatureMethod: 'PLAINTEXT' })
  const signed = plaintext.sign({ method: 'GET', url: 'http://example.com/r' })
  t.equal(signatureOf(signed), 'c%26%3D%2B%25&s%26%3D%2B%25')
  t.match(signed.headers.authorization, /oauth_signature="c%2526%253D%252B%2525%26s%2526%253D%252B%2525"/, 'encoded once more in the header')
})

t.test('every signature method', async (t) => {
  const baseFor = (method: string): string => 'GET&http%3A%2F%2Fexample.com%2Fr&oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdefghij0123456789' +
    `%26oauth_signature_method%3D${method}%26oauth_timestamp%3D1700000000%26oauth_version%3D1.0`
  for (const [method, hash] of [['HMAC-SHA1', 'sha1'], ['HMAC-SHA256', 'sha256'], ['HMAC-SHA512', 'sha512']] as const) {
    const signed = createSigner({ ...fixed, signatureMethod: method }).sign({ method: 'GET', url: 'http://example.com/r' })
    t.equal(signed.oauthParams.oauth_signature_method, method)
    t.equal(signatureOf(signed), hmac(hash, 'cs&', baseFor(method)), method)
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' })
  for (const [method, hash] of [['RSA-SHA1', 'sha1'], ['RSA-SHA256', 'sha256']] as const) {
    for (const key of [privateKey, pem]) {
      const signer = createSigner({ consumerKey: 'ck', signatureMethod: method, privateKey: key, now: fixed.now, nonce: fixed.nonce })
      const signed = signer.sign({ method: 'GET', url: 'http://example.com/r' }, { tokenSecret: 'ignored by RSA' })
      const signature = Buffer.from(signatureOf(signed) ?? '', 'base64')
      t.ok(verify(hash, Buffer.from(baseFor(method)), publicKey, signature), `${method} (${typeof key === 'string' ? 'PEM' : 'KeyObject'}) verifies`)
    }
  }
  const plaintextSigner = createSigner({ ...fixed, signatureMethod: 'PLAINTEXT', token: 'tk', tokenSecret: 'ts' })
  const plaintext = plaintextSigner.sign({ method: 'GET', url: 'http://example.com/r' })
  t.equal(signatureOf(plaintext), 'cs&ts', 'PLAINTEXT')
})

t.test('placement: header', async (t) => {
  const signer = createSigner({ ...fixed, placement: 'header' })
  const request = {
    method: 'POST',
    url: 'http://example.com/r?x=1',
    headers: { Authorization: 'Bearer old', 'X-Keep': 'yes', 'X-List': ['a', 'b'], Cookie: ['a=1', 'b=2'], 'X-Num': 3, 'X-Undef': undefined },
    body: 'a=1'
  }
  const snapshot = JSON.parse(JSON.stringify(request))
  const signed = signer.sign(request)
  t.same(JSON.parse(JSON.stringify(request)), snapshot, 'the input is not mutated')
  t.equal(signed.url, 'http://example.com/r?x=1')
  t.equal(signed.body, 'a=1', 'the body is unchanged (no form content type, so not a signed form)')
  t.notOk('Authorization' in signed.headers, 'an existing Authorization header is replaced whatever its case')
  t.same(signed.headers, { 'X-Keep': 'yes', 'X-List': 'a, b', Cookie: 'a=1; b=2', 'X-Num': '3', authorization: signed.headers.authorization },
    'other headers copied as strings (lists joined, cookies with "; "), undefined dropped')
  t.not(signed.headers, request.headers, 'a copy of the headers')
  const { realm, params } = parseAuthorization(signed.headers.authorization)
  t.equal(realm, undefined)
  t.same(params, signed.oauthParams, 'the header carries every protocol parameter')
  t.equal(params.oauth_signature, hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&' + O + '%26x%3D1'))
})

t.test('placement: query', async (t) => {
  const signer = createSigner({ ...fixed, placement: 'query' })
  const request = { method: 'GET', url: 'http://example.com/r?x=1', headers: { Authorization: 'Basic keep' } }
  const snapshot = JSON.parse(JSON.stringify(request))
  const signed = signer.sign(request)
  t.same(JSON.parse(JSON.stringify(request)), snapshot, 'the input is not mutated')
  t.ok(signed.url.startsWith('http://example.com/r?x=1&oauth_'), 'the parameters are appended to the existing query')
  const query = queryRecord(signed.url)
  t.equal(query.x, '1')
  for (const [name, value] of Object.entries(signed.oauthParams)) t.equal(query[name], value, `${name} in the URL`)
  t.equal(query.oauth_signature, hmac('sha1', 'cs&', 'GET&http%3A%2F%2Fexample.com%2Fr&' + O + '%26x%3D1'))
  t.same(signed.headers, { Authorization: 'Basic keep' }, 'no Authorization is added; the existing one is left to the caller')
  t.equal(signed.body, undefined)

  const fresh = signer.sign({ method: 'GET', url: 'http://example.com/r' })
  t.ok(fresh.url.startsWith('http://example.com/r?oauth_consumer_key=ck&'), 'a URL without a query gets "?"')
  t.equal(queryRecord(fresh.url).oauth_signature, hmac('sha1', 'cs&', 'GET&http%3A%2F%2Fexample.com%2Fr&' + O))
})

t.test('placement: query with an empty query or fragment in the URL', async (t) => {
  const signer = createSigner({ ...fixed, placement: 'query' })
  const expected = hmac('sha1', 'cs&', 'GET&http%3A%2F%2Fexample.com%2Fr&' + O)
  for (const url of ['http://example.com/r?', 'http://example.com/r#', 'http://example.com/r?#frag', 'http://example.com/r#frag']) {
    const signed = signer.sign({ method: 'GET', url })
    t.ok(signed.url.startsWith('http://example.com/r?oauth_consumer_key=ck&'), `${url} -> ${signed.url}`)
    t.notMatch(signed.url, /#|\?\?/, 'no fragment and no "??" in the URL sent')
    t.equal(queryRecord(signed.url).oauth_signature, expected)
    t.equal(new URL(signed.url).searchParams.getAll('oauth_consumer_key').length, 1)
  }
})

t.test('placement: body', async (t) => {
  const signer = createSigner({ ...fixed, placement: 'body' })
  const request = { method: 'POST', url: 'http://example.com/r', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }
  const snapshot = JSON.parse(JSON.stringify(request))
  const signed = signer.sign(request)
  t.same(JSON.parse(JSON.stringify(request)), snapshot, 'the input is not mutated')
  t.equal(signed.url, 'http://example.com/r')
  t.notOk(findHeader(signed.headers, 'authorization'))
  t.ok(typeof signed.body === 'string' && signed.body.startsWith('a=1&oauth_'), 'the parameters are appended to the form')
  const body = bodyRecord(signed.body)
  t.equal(body.a, '1')
  for (const [name, value] of Object.entries(signed.oauthParams)) t.equal(body[name], value, `${name} in the body`)
  t.equal(body.oauth_signature, hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&a%3D1%26' + O))

  const empty = signer.sign({ method: 'POST', url: 'http://example.com/r' })
  t.equal(empty.headers['content-type'], 'application/x-www-form-urlencoded', 'a content type is added for the created form')
  t.ok(typeof empty.body === 'string' && empty.body.startsWith('oauth_consumer_key=ck&'))
  t.equal(bodyRecord(empty.body).oauth_signature, hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&' + O))

  const fromBuffer = signer.sign({ ...request, body: Buffer.from('a=1') })
  t.equal(bodyRecord(fromBuffer.body).oauth_signature, body.oauth_signature, 'a Buffer form body signs like the string')
  const fromParams = signer.sign({ method: 'PUT', url: 'http://example.com/r', body: new URLSearchParams({ a: '1' }) })
  t.equal(fromParams.headers['content-type'], 'application/x-www-form-urlencoded')
  t.equal(bodyRecord(fromParams.body).oauth_signature, hmac('sha1', 'cs&', 'PUT&http%3A%2F%2Fexample.com%2Fr&a%3D1%26' + O))
})

t.test('placement: body errors', async (t) => {
  const signer = createSigner({ ...fixed, placement: 'body' })
  const json = { 'content-type': 'application/json' }
  const cases: Array<[string, SignableRequest]> = [
    ['a JSON body', { method: 'POST', url: 'http://example.com/r', headers: json, body: '{"a":1}' }],
    ['a body without content type', { method: 'POST', url: 'http://example.com/r', body: 'a=1' }],
    ['bytes without a form content type', { method: 'POST', url: 'http://example.com/r', body: Buffer.from('a=1') }],
    ['an empty body declared as JSON', { method: 'POST', url: 'http://example.com/r', headers: { 'Content-Type': 'application/json' } }],
    ['GET', { method: 'GET', url: 'http://example.com/r' }],
    ['HEAD', { method: 'head', url: 'http://example.com/r' }],
    ['GET with a form body', { method: 'GET', url: 'http://example.com/r', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }]
  ]
  for (const [name, request] of cases) t.throws(() => signer.sign(request), { code: 'OAUTH1_INVALID_REQUEST' }, name)
})

t.test('realm goes in the header only, never in the base string', async (t) => {
  const signer = createSigner({ ...fixed, realm: 'Photos' })
  const signed = signer.sign({ method: 'GET', url: 'http://example.com/r' })
  t.ok(String(signed.headers.authorization).startsWith('OAuth realm="Photos", oauth_consumer_key="ck"'))
  t.equal(signatureOf(signed), hmac('sha1', 'cs&', 'GET&http%3A%2F%2Fexample.com%2Fr&' + O))
  t.notOk('realm' in signed.oauthParams)

  const inQuery = createSigner({ ...fixed, realm: 'Photos', placement: 'query' }).sign({ method: 'GET', url: 'http://example.com/r' })
  t.notMatch(inQuery.url, /realm/, 'no realm in the query')
  t.equal(queryRecord(inQuery.url).oauth_signature, signatureOf(signed))
  const inBody = createSigner({ ...fixed, realm: 'Photos', placement: 'body' }).sign({ method: 'POST', url: 'http://example.com/r' })
  t.notMatch(String(inBody.body), /realm/, 'no realm in the body')

  const empty = createSigner({ ...fixed, realm: '' }).sign({ method: 'GET', url: 'http://example.com/r' })
  t.ok(String(empty.headers.authorization).startsWith('OAuth realm="", '), 'an empty realm is sent as given')
})

t.test('oauth_body_hash', async (t) => {
  const json = { 'content-type': 'application/json' }
  // The draft's example body; SHA-1 "Lve95gjOVATpfV8EL5X4nxwjKHE=".
  const sha1 = createSigner({ ...fixed, bodyHash: true }).sign({ method: 'POST', url: 'https://example.com/r', headers: json, body: 'Hello World!' })
  t.equal(sha1.oauthParams.oauth_body_hash, 'Lve95gjOVATpfV8EL5X4nxwjKHE=')
  t.equal(signatureOf(sha1), hmac('sha1', 'cs&', 'POST&https%3A%2F%2Fexample.com%2Fr&oauth_body_hash%3DLve95gjOVATpfV8EL5X4nxwjKHE%253D%26' + O),
    'the body hash is signed')
  t.match(sha1.headers.authorization, /oauth_body_hash="Lve95gjOVATpfV8EL5X4nxwjKHE%3D"/)
  t.equal(sha1.body, 'Hello World!', 'the body itself is not in the base string and not changed')

  const body = '{"amount":"10.00","note":"ü & +"}'
  const sha256 = createSigner({ ...fixed, bodyHash: 'sha256' }).sign({ method: 'POST', url: 'https://example.com/r', headers: json, body })
  t.equal(sha256.oauthParams.oauth_body_hash, createHash('sha256').update(Buffer.from(body, 'utf8')).digest('base64'), "'sha256' when asked")
  const impliedSigner = createSigner({ ...fixed, signatureMethod: 'HMAC-SHA256', bodyHash: true })
  const implied = impliedSigner.sign({ method: 'POST', url: 'https://example.com/r', headers: json, body })
  t.equal(implied.oauthParams.oauth_body_hash, sha256.oauthParams.oauth_body_hash, 'true follows the method: SHA-256 for HMAC-SHA256')
  const bytes = Buffer.from([0x7b, 0x00, 0xff, 0x7d])
  const fromBytes = createSigner({ ...fixed, bodyHash: 'sha512' }).sign({ method: 'PUT', url: 'https://example.com/r', headers: json, body: bytes })
  t.equal(fromBytes.oauthParams.oauth_body_hash, createHash('sha512').update(bytes).digest('base64'), 'a Buffer body is hashed as bytes')
  t.equal(fromBytes.body, bytes, 'and sent as is')

  const get = createSigner({ ...fixed, bodyHash: true }).sign({ method: 'GET', url: 'https://example.com/r' })
  t.equal(get.oauthParams.oauth_body_hash, '2jmj7l5rSw0yVb/vlWAYkK/YBwk=', 'no body hashes as the empty string (SHA-1 of "")')

  const form = createSigner({ ...fixed, bodyHash: true }).sign({
    method: 'POST', url: 'https://example.com/r', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1'
  })
  t.notOk('oauth_body_hash' in form.oauthParams, 'never for a form body')
  t.equal(signatureOf(form), hmac('sha1', 'cs&', 'POST&https%3A%2F%2Fexample.com%2Fr&a%3D1%26' + O))
  const params = createSigner({ ...fixed, bodyHash: true }).sign({ method: 'POST', url: 'https://example.com/r', body: new URLSearchParams('a=1') })
  t.notOk('oauth_body_hash' in params.oauthParams, 'never for a URLSearchParams body')
  const bodyPlacement = createSigner({ ...fixed, bodyHash: true, placement: 'body' }).sign({ method: 'POST', url: 'https://example.com/r' })
  t.notOk('oauth_body_hash' in bodyPlacement.oauthParams, 'never when the parameters themselves make the body a form')
  t.notMatch(String(bodyPlacement.body), /oauth_body_hash/)

  const off = createSigner(fixed).sign({ method: 'POST', url: 'https://example.com/r', headers: json, body: '{}' })
  t.notOk('oauth_body_hash' in off.oauthParams, 'off by default')
})

t.test('URLSearchParams bodies', async (t) => {
  const signer = createSigner(fixed)
  const body = new URLSearchParams([['b', 'x y'], ['a', '1'], ['a', '+']])
  const signed = signer.sign({ method: 'POST', url: 'http://example.com/r', body })
  t.equal(signed.body, 'b=x%20y&a=1&a=%2B', 'serialised with %20, order kept')
  t.equal(signed.headers['content-type'], 'application/x-www-form-urlencoded', 'content type added')
  t.equal(signatureOf(signed), hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&a%3D%252B%26a%3D1%26b%3Dx%2520y%26' + O))
  t.equal(body.toString(), 'b=x+y&a=1&a=%2B', 'the input is not changed')

  const declaredType = { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' }
  const declared = signer.sign({ method: 'POST', url: 'http://example.com/r', headers: declaredType, body })
  t.same(declared.headers, { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8', authorization: declared.headers.authorization },
    'an existing form content type is kept, none added')
  t.throws(() => signer.sign({ method: 'POST', url: 'http://example.com/r', headers: { 'content-type': 'application/json' }, body }),
    { code: 'OAUTH1_INVALID_REQUEST' })
})

t.test('Buffer and Uint8Array bodies', async (t) => {
  const signer = createSigner(fixed)
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const expected = hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&' + O + '%26q%3D%25C3%25BC')
  const sliced = Buffer.from('xxxq=%C3%BC').subarray(3)
  const u8 = new TextEncoder().encode('q=ü')
  for (const body of [Buffer.from('q=ü'), sliced, u8]) {
    const signed = signer.sign({ method: 'POST', url: 'http://example.com/r', headers: form, body })
    t.equal(signatureOf(signed), expected, `${body.constructor.name} (offset ${body.byteOffset})`)
    t.equal(signed.body, body, 'sent unchanged with header placement')
  }
  const none = signer.sign({ method: 'POST', url: 'http://example.com/r', headers: form })
  t.equal(signatureOf(none), hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&' + O), 'a form content type without a body')
  t.equal(none.body, undefined)
  const other = signer.sign({ method: 'POST', url: 'http://example.com/r', headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from('q=1') })
  t.equal(signatureOf(other), hmac('sha1', 'cs&', 'POST&http%3A%2F%2Fexample.com%2Fr&' + O), 'a non-form body is not parsed')
})

t.test('a stream body is rejected', async (t) => {
  const signer = createSigner(fixed)
  const streamLike = { pipe () {}, on () {} } as unknown as Uint8Array
  t.throws(() => signer.sign({ method: 'POST', url: 'http://example.com/r', body: streamLike }), { code: 'OAUTH1_INVALID_REQUEST', message: /stream/ })
  t.throws(() => signer.sign({ method: 'POST', url: 'http://example.com/r', body: Readable.from(['a=1']) as unknown as Uint8Array }),
    { code: 'OAUTH1_INVALID_REQUEST' })
  t.throws(() => signer.sign({ method: 'POST', url: 'http://example.com/r', body: 42 as unknown as string }), { code: 'OAUTH1_INVALID_REQUEST' })
})

t.test('invalid requests', async (t) => {
  const signer = createSigner(fixed)
  const cases: Array<[string, unknown]> = [
    ['not an object', null],
    ['a method with a space', { method: 'GE T', url: 'http://example.com/' }],
    ['a missing method', { url: 'http://example.com/' }],
    ['a relative URL', { method: 'GET', url: '/r' }],
    ['an ftp URL', { method: 'GET', url: 'ftp://example.com/r' }],
    ['a malformed query', { method: 'GET', url: 'http://example.com/r?a=%zz' }]
  ]
  for (const [name, request] of cases) t.throws(() => signer.sign(request as SignableRequest), { code: 'OAUTH1_INVALID_REQUEST' }, name)
})

t.test('nonce: 20-30 letters and digits, unique over many calls', async (t) => {
  const signer = createSigner({ consumerKey: 'ck', consumerSecret: 'cs' })
  const seen = new Set<string>()
  for (let i = 0; i < 5000; i++) {
    const nonce = signer.sign({ method: 'GET', url: 'http://example.com/' }).oauthParams.oauth_nonce as string
    if (!/^[A-Za-z0-9]{20,30}$/.test(nonce)) t.fail(`bad nonce ${nonce}`)
    seen.add(nonce)
  }
  t.equal(seen.size, 5000, '5000 signatures, 5000 nonces')
  const direct = new Set<string>()
  for (let i = 0; i < 20000; i++) direct.add(generateNonce())
  t.equal(direct.size, 20000, 'generateNonce stays unique across refills of its pool')
  t.match(generateNonce(), /^[A-Za-z0-9]{20,30}$/)
  t.equal(createSigner(fixed).sign({ method: 'GET', url: 'http://example.com/' }, { nonce: 'given' }).oauthParams.oauth_nonce, 'given', 'a per-call nonce wins')
})

t.test('timestamp: whole seconds from the injected clock, clockOffset, per-call value', async (t) => {
  let ms = 1_318_622_958_999
  const signer = createSigner({ ...fixed, now: () => ms })
  const ts = (): string | undefined => signer.sign({ method: 'GET', url: 'http://example.com/' }).oauthParams.oauth_timestamp
  t.equal(ts(), '1318622958', 'floored, not rounded')
  ms = 1_318_622_958_000
  t.equal(ts(), '1318622958')
  t.equal(signer.clockOffset, 0)
  signer.clockOffset = -30
  t.equal(ts(), '1318622928', 'clockOffset is added in seconds')
  signer.clockOffset = 120
  t.equal(ts(), '1318623078')
  signer.clockOffset = 1.5
  t.equal(ts(), '1318622959', 'a fractional offset (e.g. from a Date header in ms / 1000) still gives whole seconds')
  signer.clockOffset = -0.25
  t.equal(ts(), '1318622957')
  t.equal(signer.sign({ method: 'GET', url: 'http://example.com/' }, { timestamp: 1191242096 }).oauthParams.oauth_timestamp, '1191242096',
    'a per-call timestamp wins over the clock and offset')
  t.equal(signer.sign({ method: 'GET', url: 'http://example.com/' }, { timestamp: '137131201' }).oauthParams.oauth_timestamp, '137131201')

  const real = createSigner({ consumerKey: 'ck', consumerSecret: 'cs' })
  const before = Math.floor(Date.now() / 1000)
  const value = Number(real.sign({ method: 'GET', url: 'http://example.com/' }).oauthParams.oauth_timestamp)
  t.ok(Number.isInteger(value) && value >= before && value <= before + 2, 'the default clock is Date.now, in seconds')
})

t.test('per-call token, callback and verifier', async (t) => {
  const signer = createSigner({ ...fixed, token: 'default', tokenSecret: 'defaultSecret' })
  const base = (token: string): string => 'GET&http%3A%2F%2Fexample.com%2Fr&oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdefghij0123456789' +
    `%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3D${token}%26oauth_version%3D1.0`
  const get = { method: 'GET', url: 'http://example.com/r' }
  t.equal(signatureOf(signer.sign(get)), hmac('sha1', 'cs&defaultSecret', base('default')), 'the signer token')
  const other = signer.sign(get, { token: 'other', tokenSecret: 'otherSecret' })
  t.equal(other.oauthParams.oauth_token, 'other')
  t.equal(signatureOf(other), hmac('sha1', 'cs&otherSecret', base('other')), 'a per-call token and secret')
  t.equal(signatureOf(signer.sign(get, { token: 'other' })), hmac('sha1', 'cs&', base('other')),
    'a per-call token without a secret does not borrow the default secret')
  t.equal(signatureOf(signer.sign(get, { tokenSecret: 'rotated' })), hmac('sha1', 'cs&rotated', base('default')), 'a per-call secret alone')

  const plain = createSigner(fixed)
  const callback = plain.sign({ method: 'POST', url: 'https://example.com/request_token' }, { callback: 'https://app.example/cb?x=1' })
  t.equal(callback.oauthParams.oauth_callback, 'https://app.example/cb?x=1')
  t.notOk('oauth_token' in callback.oauthParams)
  t.equal(signatureOf(callback), hmac('sha1', 'cs&',
    'POST&https%3A%2F%2Fexample.com%2Frequest_token&oauth_callback%3Dhttps%253A%252F%252Fapp.example%252Fcb%253Fx%253D1%26' + O))
  t.match(callback.headers.authorization, /oauth_callback="https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1"/)

  const verifier = plain.sign({ method: 'POST', url: 'https://example.com/access_token' }, { token: 'rt', tokenSecret: 'rts', verifier: 'v1' })
  t.equal(signatureOf(verifier), hmac('sha1', 'cs&rts', 'POST&https%3A%2F%2Fexample.com%2Faccess_token&oauth_consumer_key%3Dck' +
    '%26oauth_nonce%3Dabcdefghij0123456789%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000' +
    '%26oauth_token%3Drt%26oauth_verifier%3Dv1%26oauth_version%3D1.0'))
})

t.test('extraParams', async (t) => {
  const signer = createSigner(fixed)
  const get = { method: 'GET', url: 'http://example.com/r' }
  const signed = signer.sign(get, { extraParams: { oauth_session_handle: 'h s' } })
  t.equal(signed.oauthParams.oauth_session_handle, 'h s')
  t.equal(signatureOf(signed), hmac('sha1', 'cs&', 'GET&http%3A%2F%2Fexample.com%2Fr&oauth_consumer_key%3Dck%26oauth_nonce%3Dabcdefghij0123456789' +
    '%26oauth_session_handle%3Dh%2520s%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_version%3D1.0'))
  t.match(signed.headers.authorization, /oauth_session_handle="h%20s"/)
  for (const name of ['session_handle', 'x_auth_mode', 'oauth_signature', 'oauth_nonce', 'oauth_token', 'oauth_body_hash', 'oauth_version']) {
    t.throws(() => signer.sign(get, { extraParams: { [name]: 'v' } }), { code: 'OAUTH1_INVALID_REQUEST' }, `${name} is refused`)
  }
  t.throws(() => signer.sign(get, { extraParams: { oauth_x: 1 as unknown as string } }), { code: 'OAUTH1_INVALID_REQUEST' }, 'a non-string value')
})

t.test('findHeader and isFormContentType', async (t) => {
  t.equal(findHeader({ 'Content-Type': 'text/plain' }, 'content-type'), 'text/plain')
  t.equal(findHeader({ 'X-A': ['1', '2'] }, 'x-a'), '1, 2')
  t.equal(findHeader({ 'X-N': 5 }, 'x-n'), '5')
  t.equal(findHeader({ 'X-U': undefined }, 'x-u'), undefined)
  t.equal(findHeader(undefined, 'x'), undefined)
  t.equal(findHeader({ 'Content-Typo': 'x' }, 'content-type'), undefined)
  t.ok(isFormContentType('application/x-www-form-urlencoded'))
  t.ok(isFormContentType('Application/X-WWW-Form-Urlencoded ; charset=UTF-8'))
  t.notOk(isFormContentType('application/json'))
  t.notOk(isFormContentType('application/x-www-form-urlencoded-not'))
  t.notOk(isFormContentType(undefined))
})

// ---------------------------------------------------------------------------------------------
// (4) Options are checked when the signer is created
// ---------------------------------------------------------------------------------------------

t.test('option validation at createSigner time', async (t) => {
  const secret = 'S3cr3t-Value-Never-Shown'
  const { publicKey: rsaPublic } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const { privateKey: edPrivate } = generateKeyPairSync('ed25519')
  const base = { consumerKey: 'ck', consumerSecret: secret }
  const cases: Array<[string, unknown]> = [
    ['no options', undefined],
    ['missing consumerKey', { consumerSecret: secret }],
    ['empty consumerKey', { consumerKey: '', consumerSecret: secret }],
    ['non-string consumerKey', { consumerKey: 42, consumerSecret: secret }],
    ['missing consumerSecret for HMAC', { consumerKey: 'ck' }],
    ['non-string consumerSecret', { consumerKey: 'ck', consumerSecret: 42 }],
    ['unknown signatureMethod', { ...base, signatureMethod: 'HMAC-MD5' }],
    ['lower-case signatureMethod', { ...base, signatureMethod: 'hmac-sha1' }],
    ['RSA without privateKey', { ...base, signatureMethod: 'RSA-SHA1' }],
    ['invalid PEM', { ...base, signatureMethod: 'RSA-SHA256', privateKey: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----` }],
    ['public key PEM given as private', { ...base, signatureMethod: 'RSA-SHA1', privateKey: rsaPublic.export({ type: 'spki', format: 'pem' }) }],
    ['public KeyObject given as private', { ...base, signatureMethod: 'RSA-SHA1', privateKey: rsaPublic }],
    ['ed25519 key', { ...base, signatureMethod: 'RSA-SHA256', privateKey: edPrivate }],
    ['unknown placement', { ...base, placement: 'cookie' }],
    ['bad bodyHash', { ...base, bodyHash: 'md5' }],
    ['bodyHash as a number', { ...base, bodyHash: 1 }],
    ['realm with a quote', { ...base, realm: `a"${secret}` }],
    ['realm with a line break', { ...base, realm: 'a\r\nX-Injected: 1' }],
    ['realm with a backslash', { ...base, realm: 'a\\' }],
    ['non-string token', { ...base, token: 1 }],
    ['tokenSecret without token', { ...base, tokenSecret: secret }],
    ['now not a function', { ...base, now: 5 }],
    ['nonce not a function', { ...base, nonce: 'fixed' }]
  ]
  for (const [name, options] of cases) {
    const err = t.throws(() => createSigner(options as SignerOptions), { code: 'OAUTH1_INVALID_OPTION', name: 'OAuth1Error', statusCode: 500 }, name)
    if (err instanceof Error) t.notMatch(err.message, secret, `${name}: the message does not contain the secret`)
    else t.fail(`${name}: no error`)
  }
  t.ok(createSigner({ consumerKey: 'ck', consumerSecret: '' }), 'an empty consumer secret is allowed')
  t.ok(createSigner({ ...base, bodyHash: false, placement: 'query', realm: 'R', token: 't', tokenSecret: 's' }), 'valid options pass')
})

t.test('createSigner (the public one) refuses unknown option names, suggesting the closest', async (t) => {
  t.throws(() => createSigner({ ...fixed, consumerSecert: 'x' } as SignerOptions),
    { code: 'OAUTH1_INVALID_OPTION', message: /Unknown option "consumerSecert" for createSigner\. Did you mean "consumerSecret"\?/ })
  t.throws(() => createSigner({ ...fixed, baseUrl: 'https://a.example/' } as SignerOptions),
    { code: 'OAUTH1_INVALID_OPTION', message: /Unknown option "baseUrl"/ })
  t.doesNotThrow(() => createSigner({ ...fixed, realm: undefined }), 'undefined values are accepted')
  const core = await import('../src/core.js')
  t.equal(core.createSigner, createSigner, 'the entries export this one')
})

t.test('returnBaseString: X\'s documented base string, only when asked', async (t) => {
  const signer = createSigner({ consumerKey: x.consumerKey, consumerSecret: x.consumerSecret, token: x.token, tokenSecret: x.tokenSecret })
  const request = { method: 'POST', url: x.url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: x.body }
  const signed = signer.sign(request, { nonce: x.nonce, timestamp: x.timestamp, returnBaseString: true })
  t.equal(signed.baseString, x.baseString, 'the base string X documents')
  t.equal(signatureOf(signed), x.signature, 'and the signature over it')
  const plain = signer.sign(request, { nonce: x.nonce, timestamp: x.timestamp })
  t.notOk('baseString' in plain, 'not asked: no baseString property')
  t.equal(signatureOf(plain), x.signature)
  const plaintext = createSigner({ ...fixed, signatureMethod: 'PLAINTEXT' }).sign({ method: 'GET', url: 'https://a.example/' }, { returnBaseString: true })
  t.equal(plaintext.baseString, '', 'PLAINTEXT signs no base string')
})

t.test('bodyHash per call: the caller\'s oauth_body_hash for a body the signer does not read', async (t) => {
  const signer = createSigner(fixed)
  const hash = createHash('sha1').update('streamed bytes').digest('base64')
  const signed = signer.sign({ method: 'PUT', url: 'https://a.example/upload', headers: { 'content-type': 'application/octet-stream' } },
    { bodyHash: hash, returnBaseString: true })
  t.equal(signed.oauthParams.oauth_body_hash, hash)
  t.match(signed.baseString, `oauth_body_hash%3D${encodeURIComponent(encodeURIComponent(hash))}`, 'signed into the base string')
  t.throws(() => signer.sign({ method: 'PUT', url: 'https://a.example/', body: 'text' }, { bodyHash: hash }),
    { code: 'OAUTH1_INVALID_REQUEST', message: /leave body out/ })
  t.throws(() => signer.sign({ method: 'PUT', url: 'https://a.example/' }, { bodyHash: 'a b' }), { code: 'OAUTH1_INVALID_REQUEST', message: /base64/ })
})

t.test('oauth_timestamp is always a whole number from 1 to 2^31 - 1: other values are refused, not sent', async (t) => {
  const request = { method: 'GET', url: 'http://example.com/' }
  const signer = createSigner({ ...fixed })
  for (const timestamp of [0, -1, 1.5, 2 ** 31, Number.NaN, '0', '-1', '2147483648', '12abc', '', ' 1', '1e9']) {
    t.throws(() => signer.sign(request, { timestamp }), { code: ErrorCodes.INVALID_REQUEST, message: /timestamp/ }, `per-call ${JSON.stringify(timestamp)}`)
  }
  t.equal(signer.sign(request, { timestamp: 1 }).oauthParams.oauth_timestamp, '1')
  t.equal(signer.sign(request, { timestamp: 2 ** 31 - 1 }).oauthParams.oauth_timestamp, '2147483647')
  t.equal(signer.sign(request, { timestamp: '2147483647' }).oauthParams.oauth_timestamp, '2147483647')

  signer.clockOffset = -1_700_000_000
  t.throws(() => signer.sign(request), { code: ErrorCodes.INVALID_REQUEST, message: /clockOffset/ }, 'an offset that takes the clock to 0')
  signer.clockOffset = 4_000_000_000
  t.throws(() => signer.sign(request), { code: ErrorCodes.INVALID_REQUEST, message: /clockOffset/ }, 'an offset past 2^31 - 1')
  signer.clockOffset = Number.NaN
  t.throws(() => signer.sign(request), { code: ErrorCodes.INVALID_REQUEST }, 'a NaN offset')
  signer.clockOffset = 0
  t.equal(signer.sign(request).oauthParams.oauth_timestamp, '1700000000')
  t.throws(() => createSigner({ ...fixed, now: () => 0 }).sign(request), { code: ErrorCodes.INVALID_REQUEST }, 'a clock at the epoch')
})
