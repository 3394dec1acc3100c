import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import t from 'tap'
import { computeBodyHash, createSignatureFunction, signatureMethods } from '../src/protocol/signature-methods.js'

// The RSA-SHA1 test case of the OAuth wiki (http://wiki.oauth.net/TestCases, section 9.3).
const wikiPrivateKey = readFileSync(new URL('./fixtures/oauth-wiki-rsa-private.pem', import.meta.url), 'utf8')
const wikiPublicKey = readFileSync(new URL('./fixtures/oauth-wiki-rsa-public.pem', import.meta.url), 'utf8')
const wikiBaseString = 'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03' +
  '%26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal'
const wikiSignature = 'jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5twt399mXwaYdCwFYE='

t.test('signatureMethods lists the six methods', async (t) => {
  t.same([...signatureMethods], ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'RSA-SHA1', 'RSA-SHA256', 'PLAINTEXT'])
  t.ok(Object.isFrozen(signatureMethods))
})

t.test('HMAC-*: key is encode(consumer secret)&encode(token secret) (§3.4.2)', async (t) => {
  const base = 'POST&https%3A%2F%2Fexample.com%2F&a%3D1'
  // Secrets with the characters that must be encoded in the key, written out by hand.
  const consumerSecret = 'c&s=+%ü'
  const tokenSecret = 't s/&'
  const key = 'c%26s%3D%2B%25%C3%BC&t%20s%2F%26'
  for (const [method, hash] of [['HMAC-SHA1', 'sha1'], ['HMAC-SHA256', 'sha256'], ['HMAC-SHA512', 'sha512']] as const) {
    const sign = createSignatureFunction(method, { consumerSecret })
    t.equal(sign.usesBaseString, true)
    t.equal(sign.bodyHash, hash, `${method} hashes bodies with ${hash}`)
    t.equal(sign(base, tokenSecret), createHmac(hash, key).update(base).digest('base64'), `${method} with a token secret`)
    t.equal(sign(base, ''), createHmac(hash, 'c%26s%3D%2B%25%C3%BC&').update(base).digest('base64'), `${method} without a token secret`)
    t.equal(sign(base, tokenSecret), createHmac(hash, key).update(base).digest('base64'), `${method}: the cached key is right when the token secret comes back`)
  }
})

t.test('HMAC-SHA1: X documentation example', async (t) => {
  const sign = createSignatureFunction('HMAC-SHA1', { consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw' })
  const base = 'POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog' +
    '%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958' +
    '%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0' +
    '%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521'
  t.equal(sign(base, 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE'), 'hCtSmYh+iHYCEqBWrE7C7hYmtUk=')
})

t.test('PLAINTEXT (§3.4.4)', async (t) => {
  // RFC 5849 §2.1 and §2.3
  const rfc = createSignatureFunction('PLAINTEXT', { consumerSecret: 'ja893SD9' })
  t.equal(rfc.usesBaseString, false)
  t.equal(rfc.bodyHash, 'sha1')
  t.equal(rfc('ignored', ''), 'ja893SD9&')
  t.equal(rfc('ignored', 'xyz4992k83j47x0b'), 'ja893SD9&xyz4992k83j47x0b')
  const encoded = createSignatureFunction('PLAINTEXT', { consumerSecret: 'a b&c' })
  t.equal(encoded('', 'd=e%'), 'a%20b%26c&d%3De%25', 'both secrets are encoded')
  const empty = createSignatureFunction('PLAINTEXT', { consumerSecret: '' })
  t.equal(empty('', ''), '&')
})

t.test('RSA-SHA1: the OAuth wiki test vector (PKCS#8 PEM fixture)', async (t) => {
  const sign = createSignatureFunction('RSA-SHA1', { privateKey: wikiPrivateKey })
  t.equal(sign.usesBaseString, true)
  t.equal(sign.bodyHash, 'sha1')
  t.equal(sign(wikiBaseString, 'token secret is ignored'), wikiSignature)
  t.ok(verify('sha1', Buffer.from(wikiBaseString), wikiPublicKey, Buffer.from(wikiSignature, 'base64')))
})

t.test('RSA keys: PKCS#1 PEM, PEM Buffer and KeyObject give the same signature', async (t) => {
  const keyObject = createPrivateKey(wikiPrivateKey)
  const pkcs1 = keyObject.export({ type: 'pkcs1', format: 'pem' }) as string
  t.match(pkcs1, /^-----BEGIN RSA PRIVATE KEY-----/)
  for (const privateKey of [pkcs1, Buffer.from(wikiPrivateKey), keyObject]) {
    t.equal(createSignatureFunction('RSA-SHA1', { privateKey })(wikiBaseString, ''), wikiSignature)
  }
})

t.test('RSA-SHA256 with a generated key, checked with crypto.verify', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const sign = createSignatureFunction('RSA-SHA256', { privateKey })
  t.equal(sign.bodyHash, 'sha256')
  const base = 'GET&https%3A%2F%2Fapi.example.com%2Fv1&oauth_body_hash%3D47DEQpj8HBSa%252B%252FTImW%252B5JCeuQeRkm5NMpJWZG3hSuFU%253D'
  const signature = sign(base, '')
  t.ok(verify('sha256', Buffer.from(base), publicKey, Buffer.from(signature, 'base64')), 'verifies with SHA-256')
  t.notOk(verify('sha1', Buffer.from(base), publicKey, Buffer.from(signature, 'base64')), 'does not verify as SHA-1')
  t.notOk(verify('sha256', Buffer.from(base + 'x'), publicKey, Buffer.from(signature, 'base64')), 'bound to the base string')
})

t.test('key material is checked when the function is built', async (t) => {
  const secret = 'TOP-SECRET-VALUE'
  const { publicKey: ed } = generateKeyPairSync('ed25519')
  const { privateKey: edPrivate } = generateKeyPairSync('ed25519')
  const cases: Array<[string, () => unknown]> = [
    ['RSA without a key', () => createSignatureFunction('RSA-SHA1', { consumerSecret: secret })],
    ['garbage PEM', () => createSignatureFunction('RSA-SHA256', { privateKey: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n` })],
    ['a public key PEM', () => createSignatureFunction('RSA-SHA1', { privateKey: wikiPublicKey })],
    ['a public KeyObject', () => createSignatureFunction('RSA-SHA1', { privateKey: createPublicKey(wikiPublicKey) })],
    ['an ed25519 public KeyObject', () => createSignatureFunction('RSA-SHA1', { privateKey: ed })],
    ['an ed25519 private key', () => createSignatureFunction('RSA-SHA256', { privateKey: edPrivate })],
    ['an ed25519 private PEM', () => createSignatureFunction('RSA-SHA256', { privateKey: edPrivate.export({ type: 'pkcs8', format: 'pem' }) })],
    ['HMAC without a consumer secret', () => createSignatureFunction('HMAC-SHA1', {})],
    ['PLAINTEXT without a consumer secret', () => createSignatureFunction('PLAINTEXT', {})],
    ['an unknown method', () => createSignatureFunction('HMAC-MD5' as 'HMAC-SHA1', { consumerSecret: secret })]
  ]
  for (const [name, fn] of cases) {
    const err = t.throws(fn, { code: 'OAUTH1_INVALID_OPTION', name: 'OAuth1Error' }, name) as Error
    t.notMatch(err.message, secret, `${name}: the message has no secret`)
  }
})

t.test('computeBodyHash (OAuth Request Body Hash §3.1)', async (t) => {
  t.equal(computeBodyHash('sha1', 'Hello World!'), 'Lve95gjOVATpfV8EL5X4nxwjKHE=', 'the draft example body')
  t.equal(computeBodyHash('sha1', undefined), '2jmj7l5rSw0yVb/vlWAYkK/YBwk=', 'no body hashes as the empty string')
  t.equal(computeBodyHash('sha1', ''), createHash('sha1').update('').digest('base64'))
  t.equal(computeBodyHash('sha256', undefined), '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')
  t.equal(computeBodyHash('sha512', '{"a":1}'), createHash('sha512').update('{"a":1}').digest('base64'))
  const bytes = Buffer.from([0, 255, 1, 254])
  t.equal(computeBodyHash('sha256', bytes), createHash('sha256').update(bytes).digest('base64'), 'bytes are hashed as bytes')
  t.equal(computeBodyHash('sha1', 'ü'), createHash('sha1').update(Buffer.from([0xc3, 0xbc])).digest('base64'), 'text is hashed as UTF-8')
})
