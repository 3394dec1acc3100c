// Names that are also Object.prototype members (constructor, __proto__, toString, ...) in request
// input: a signature method, header names. They must be looked up as data, never off a prototype.
import t from 'tap'
import { Agent, request } from 'undici'
import { normalizeHeaders } from '../src/http/interceptor.js'
import { createSignatureFunction, isSignatureMethod, signatureMethods, type SignatureMethod } from '../src/protocol/signature-methods.js'
import { createSigner } from '../src/signer/signer.js'
import { createMockProvider } from '../src/testing/index.js'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'

const prototypeNames = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'] as const

/** An Authorization header naming `method`; the provider must refuse the method before it reads the signature. */
function headerWith (method: string, consumerKey: string): string {
  const timestamp = Math.floor(Date.now() / 1000)
  return `OAuth oauth_consumer_key="${consumerKey}", oauth_token="some-token", oauth_signature_method="${method}", ` +
    `oauth_signature="c2lnbmF0dXJl", oauth_timestamp="${timestamp}", oauth_nonce="n-${method}-${Math.random()}", oauth_version="1.0"`
}

t.test('mock provider in-process (dispatcher): a prototype name as oauth_signature_method is signature_method_rejected', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  for (const method of prototypeNames) {
    const response = await request(`${provider.url}/1.1/account/verify_credentials.json`, {
      dispatcher: provider.dispatcher,
      headers: { authorization: headerWith(method, provider.consumerKey) }
    })
    const body = await response.body.text()
    t.equal(response.statusCode, 400, `${method}: 400`)
    t.equal(new URLSearchParams(body).get('oauth_problem'), 'signature_method_rejected', `${method}: the method is refused`)
    t.match(response.headers['www-authenticate'], /oauth_problem="signature_method_rejected"/)
    t.equal(provider.requests.at(-1)?.problem, 'signature_method_rejected', `${method}: recorded`)
  }
})

t.test('mock provider on a real port: a prototype name as oauth_signature_method is signature_method_rejected', async (t) => {
  const provider = createMockProvider()
  const { url } = await provider.listen()
  t.teardown(() => provider.close())
  const agent = new Agent()
  t.teardown(() => agent.close())
  for (const method of prototypeNames) {
    const response = await request(`${url}/1.1/account/verify_credentials.json`, {
      dispatcher: agent,
      headers: { authorization: headerWith(method, provider.consumerKey) }
    })
    const body = await response.body.text()
    t.equal(response.statusCode, 400, `${method}: 400, the connection is not dropped`)
    t.equal(new URLSearchParams(body).get('oauth_problem'), 'signature_method_rejected', `${method}: the method is refused`)
  }
})

t.test('the in-process dispatcher keeps headers named like prototype members as sent', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  const response = await request(`${provider.url}/nowhere`, {
    dispatcher: provider.dispatcher,
    headers: [['constructor', 'c'], ['__proto__', 'p'], ['toString', 't'], ['toString', 't2']]
  })
  await response.body.dump()
  const headers = provider.requests.at(-1)?.headers as Record<string, string>
  t.equal(Object.hasOwn(headers, 'constructor') && headers.constructor, 'c', 'constructor')
  t.equal(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value, 'p', '__proto__ is a header, not a prototype')
  t.equal(headers.tostring, 't, t2', 'repeated header names are joined (names lower-cased)')
})

t.test('normalizeHeaders: a list or iterable with prototype names gives own headers', async (t) => {
  const flat = normalizeHeaders(['constructor', 'c', '__proto__', 'p', 'valueOf', 'v'])
  t.equal(Object.getOwnPropertyDescriptor(flat, 'constructor')?.value, 'c')
  t.equal(Object.getOwnPropertyDescriptor(flat, '__proto__')?.value, 'p')
  t.equal(Object.getOwnPropertyDescriptor(flat, 'valueOf')?.value, 'v')
  const pairs = normalizeHeaders(new Map([['hasOwnProperty', 'h']]) as never)
  t.equal(Object.getOwnPropertyDescriptor(pairs, 'hasOwnProperty')?.value, 'h')
})

t.test('signature methods: prototype names are not methods; signatureMethods still lists the six', async (t) => {
  t.same([...signatureMethods], ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'RSA-SHA1', 'RSA-SHA256', 'PLAINTEXT'])
  for (const method of signatureMethods) t.ok(isSignatureMethod(method), method)
  for (const name of prototypeNames) {
    t.notOk(isSignatureMethod(name), name)
    t.throws(() => createSignatureFunction(name as SignatureMethod, { consumerSecret: 's' }), { code: ErrorCodes.INVALID_OPTION, message: /signatureMethod/ })
    t.throws(() => createSigner({ consumerKey: 'k', consumerSecret: 's', signatureMethod: name as SignatureMethod }), { code: ErrorCodes.INVALID_OPTION })
  }
})

t.test('OAuth1Error: an unknown code gets status 500, not a prototype member', async (t) => {
  t.equal(new OAuth1Error('constructor' as never, 'x').statusCode, 500)
  t.equal(new OAuth1Error('toString' as never, 'x').statusCode, 500)
})
