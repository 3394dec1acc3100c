/**
 * Interop: every request our signer produces must be accepted by an INDEPENDENT verifier,
 * python oauthlib's provider side (ResourceEndpoint with a token, SignatureOnlyEndpoint
 * without), with oauthlib's default limits (nonce 20-30 alnum, version 1.0, 600 s window).
 *
 * Needs /usr/bin/python3 with the Debian packages python3-oauthlib python3-jwt
 * python3-cryptography. Missing ones make this test FAIL, never skip.
 *
 * Requests are generated from a seeded PRNG (set INTEROP_SEED to explore other seeds);
 * nonces and timestamps are live, because oauthlib checks them against its clock.
 * INTEROP_DUMP=file writes every request of the matrix and oauthlib's answer as JSON lines.
 */
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import {
  baseStringUri, createSigner, normalizeParameters, parseForm, signatureBaseString, signatureMethods,
  type ParamList, type Placement, type SignableRequest, type SignatureMethod, type SignedRequest,
  type SignerOptions, type SignOptions
} from '../src/core.js'
import { debianPackages, startVerifier, type Verifier, type VerifyAnswer, type VerifySpec } from './helpers/python.js'

const seed = Number(process.env.INTEROP_SEED ?? 20240515)
const variantsPerCombination = 10

// ---------------------------------------------------------------- deterministic inputs
function mulberry32 (state: number): () => number {
  return () => {
    state |= 0
    state = (state + 0x6D2B79F5) | 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const random = mulberry32(seed)
const int = (n: number): number => Math.floor(random() * n)
const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T
const chance = (p: number): boolean => random() < p
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
const alnumString = (length: number): string => Array.from({ length }, () => alnum[int(alnum.length)]).join('')

// oauthlib's default validator wants client keys, tokens and nonces of 20-30 letters and digits.
const consumerKey = 'dpf43f3p2l4k3l03cnsmr0'
const tokens = ['nnch734d00sl2jdk0000tok', 'hh5s93j4hdidpolaccesstoken0']

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
const privatePkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const privatePkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()

const secrets = ['kd94hf93k423kf44', '', 'se&=+%cret', 'ünï 日本 😀', "!*'()~-._", ' spaced out ', '%20%25', 'a&b=c+d', '[]#?/']
const plainSecrets = ['kd94hf93k423kf44', '', 'pfkkdhi9sl3r4s00', '~-._tilde']
const names = ['a', 'b', 'A', 'status', 'q', 'x[]', 'ids[0]', 'café', '日本', 'emoji😀', 'with space', 'plus+sign',
  'amp&eq=', 'pct%', '-._~', "!*'()", 'c@', '']
const values = ['', 'hello world', 'a+b', '1 + 1 = 2', "!*'();:@&=+$,/?#[]", 'é', 'naïve café', '日本語', '😀🎉', '100%',
  '%20', '%', '%zz', 'line\nbreak', 'tab\tx', '"quoted"', '<tag>', 'a&b=c', '~-._', 'ü+ä', '\u00a0nbsp', 'Ça 日本 😀 !*',
  'x'.repeat(300), '0', 'B', 'b', 'ß', 'a\u2028b']
const urls = [
  'https://api.example.com/1.1/statuses/update.json',
  'https://API.Example.COM/Mixed/Case/Path',
  'https://example.com:443/explicit-default-port',
  'http://example.com:80/explicit-default-http-port',
  'http://example.com/plain-http',
  'https://example.com:8443/odd-port',
  'http://example.com:443/http-on-443',
  'https://example.com:80/https-on-80',
  'http://127.0.0.1:8080/ipv4',
  'http://[::1]:9000/ipv6',
  'https://example.com',
  'https://example.com/a%20b/caf%C3%A9/%E6%97%A5%E6%9C%AC',
  'https://example.com/lower%c3%a9/%7euser/%2Fslash',
  "https://example.com/sub-delims/!$'()*,;=:@/~tilde",
  'https://example.com/raw space/é/日本/😀',
  'https://example.com/with/fragment#section',
  'https://example.com/path;params=1/x;y',
  'https://example.com/trailing/',
  'https://example.com/q?',
  'https://example.com/q?&'
]
const callbacks = ['https://client.example/cb', 'oob', 'https://client.example/cb?state=a b&x=1', 'http://127.0.0.1:3000/auth/x/callback']
const callbacksWithPercent = ['https://client.example/caf%C3%A9?q=100%25']
const realms = ['Example', 'http://sp.example.com/', 'Schoology API', '1234567_SB1', 'realm with, comma', '']

type Style = 'rfc3986' | 'form' | 'loose' | 'lowerhex' | 'uri-component'
const styles: Style[] = ['rfc3986', 'form', 'loose', 'lowerhex', 'uri-component']
const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())

/** Encodes one name or value for a query or form body, in one of the ways clients really do it. */
function encodePart (s: string, style: Style): string {
  switch (style) {
    case 'rfc3986': return rfc3986(s)
    case 'form': return new URLSearchParams([['', s]]).toString().slice(1) // `+` for spaces, `*` raw
    // sub-delims that mean nothing in a form string stay raw (oauthlib accepts `!*'();:@,/?$` raw)
    case 'loose': return rfc3986(s).replace(/%(21|2A|27|28|29|3B|3A|40|2C|2F|3F|24)/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    case 'lowerhex': return rfc3986(s).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())
    case 'uri-component': return encodeURIComponent(s) // `%20` for spaces, `!'()*` raw
  }
}

function formString (count: number): string {
  const parts: string[] = []
  let previous = 'a'
  for (let i = 0; i < count; i++) {
    const name = chance(0.25) ? previous : pick(names) // duplicate keys on purpose
    previous = name
    const style = pick(styles)
    if (chance(0.08)) parts.push(encodePart(name, style)) // a name without `=`
    else parts.push(encodePart(name, style) + '=' + encodePart(pick(values), style))
  }
  if (chance(0.1)) parts.splice(int(parts.length + 1), 0, '') // a stray `&`
  return parts.join('&')
}

// ---------------------------------------------------------------- cases
interface Case {
  name: string
  signer: SignerOptions
  request: SignableRequest
  sign?: SignOptions
  /** Credentials the verifier holds (default: the signer's). */
  verifierSecrets?: Partial<VerifySpec>
  /** Changes the signed request before it reaches the verifier (negative controls). */
  tamper?: (spec: VerifySpec) => void
}

function baseSigner (method: SignatureMethod, placement: Placement): SignerOptions {
  if (method.startsWith('RSA')) return { consumerKey, signatureMethod: method, placement, privateKey: chance(0.5) ? privatePkcs8 : privateKey }
  const pool = method === 'PLAINTEXT' && placement !== 'header' ? plainSecrets : secrets
  return { consumerKey, signatureMethod: method, placement, consumerSecret: pick(pool) }
}

function randomCase (method: SignatureMethod, placement: Placement, withToken: boolean, index: number): Case {
  const signer = baseSigner(method, placement)
  const sign: SignOptions = {}
  // oauthlib decodes oauth_* values from the query or body twice (see the deviations below), so
  // values that contain `%` once decoded only travel in the header here.
  const percentSafe = placement === 'header'
  if (withToken) {
    const token = pick(tokens)
    const tokenSecret = pick(method === 'PLAINTEXT' && !percentSafe ? plainSecrets : secrets)
    if (chance(0.5)) Object.assign(signer, { token, tokenSecret })
    else Object.assign(sign, { token, tokenSecret })
  }
  if (placement === 'header' && chance(0.4)) signer.realm = pick(realms)
  if (chance(0.3)) signer.nonce = () => alnumString(20 + int(11))
  if (chance(0.15)) sign.callback = pick(percentSafe ? [...callbacks, ...callbacksWithPercent] : callbacks)
  if (chance(0.1)) sign.verifier = alnumString(24)
  if (chance(0.1)) sign.extraParams = { oauth_session_handle: percentSafe ? 'handle with space & %' : 'handle with space &' }
  if (chance(0.1)) sign.timestamp = chance(0.5) ? Math.floor(Date.now() / 1000) - 120 : String(Math.floor(Date.now() / 1000) + 60)

  let url = pick(urls)
  if (chance(0.6)) {
    const query = formString(1 + int(4))
    const hashAt = url.indexOf('#')
    const [beforeHash, hash] = hashAt === -1 ? [url, ''] : [url.slice(0, hashAt), url.slice(hashAt)]
    url = beforeHash + (beforeHash.includes('?') ? (beforeHash.endsWith('?') || beforeHash.endsWith('&') ? '' : '&') : '?') + query + hash
  }

  const bodyMethods = ['POST', 'PUT', 'PATCH', 'DELETE', 'post']
  const httpMethod = placement === 'body' ? pick(bodyMethods) : pick(['GET', 'GET', 'HEAD', 'OPTIONS', 'get', ...bodyMethods])
  const request: SignableRequest = { method: httpMethod, url }
  const canHaveBody = !['GET', 'HEAD'].includes(httpMethod.toUpperCase())
  const formType = pick(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=UTF-8'])
  const kind = canHaveBody ? pick(placement === 'body' ? ['none', 'form', 'form', 'params', 'bytes'] : ['none', 'form', 'params', 'bytes', 'json', 'json', 'text']) : 'none'
  switch (kind) {
    case 'form':
      request.headers = { 'content-type': formType }
      request.body = formString(int(5))
      break
    case 'params': {
      const params = new URLSearchParams()
      for (let i = 1 + int(3); i > 0; i--) params.append(pick(names), pick(values))
      request.body = params
      if (chance(0.5)) request.headers = { 'Content-Type': formType }
      break
    }
    case 'bytes':
      request.headers = { 'Content-Type': formType }
      request.body = Buffer.from(formString(1 + int(3)))
      break
    case 'json':
      request.headers = { 'content-type': 'application/json' }
      request.body = JSON.stringify({ status: pick(values), n: int(1000), list: [pick(values)] })
      if (chance(0.5)) signer.bodyHash = chance(0.5) ? true : pick(['sha1', 'sha256', 'sha512'] as const)
      break
    case 'text':
      request.headers = { 'content-type': 'text/plain; charset=utf-8' }
      request.body = 'a=b&c=d' // not a form: must not be signed as parameters
      break
  }
  if (!canHaveBody && chance(0.2) && placement !== 'body') signer.bodyHash = true // hash of the empty body
  return { name: `#${index} ${method} ${placement} ${withToken ? 'token' : 'no-token'} ${httpMethod} ${String(url).slice(0, 80)} (${kind})`, signer, request, sign }
}

const now = (): number => Math.floor(Date.now() / 1000)

/** Hand-picked requests: the classic traps, each once, on top of the random matrix. */
function curatedCases (): Case[] {
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const hmac = (extra: Partial<SignerOptions> = {}): SignerOptions => ({ consumerKey, consumerSecret: 'kd94hf93k423kf44', ...extra })
  const withToken = { token: tokens[0], tokenSecret: 'pfkkdhi9sl3r4s00' }
  return [
    { name: 'RFC 5849 §3.4.1 example request shape', signer: hmac({ ...withToken, realm: 'Example' }), request: { method: 'POST', url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', headers: form, body: 'c2&a3=2+q' } },
    { name: 'empty query `?` with query placement', signer: hmac({ placement: 'query' }), request: { method: 'GET', url: 'https://example.com/q?' } },
    { name: 'fragment with query placement', signer: hmac({ placement: 'query' }), request: { method: 'GET', url: 'https://example.com/q?x=1#frag?y=2' } },
    { name: 'stray separators `?&a=1&&b=&`', signer: hmac({ placement: 'query', ...withToken }), request: { method: 'GET', url: 'https://example.com/q?&a=1&&b=&' } },
    { name: 'value-less parameter `?flag`', signer: hmac(withToken), request: { method: 'GET', url: 'https://example.com/q?flag&flag=&x' } },
    { name: 'duplicate keys sorted by value (2, 1, 10, empty)', signer: hmac(), request: { method: 'POST', url: 'https://example.com/q?a=2&a=1&a=10&a=', headers: form, body: 'a=0&a=1' } },
    { name: '`+`, `%20` and `%2B` in query and form body', signer: hmac({ placement: 'body', ...withToken }), request: { method: 'POST', url: 'https://example.com/q?s=a+b&t=a%20b&u=a%2Bb', headers: form, body: 's=a+b&t=a%20b&u=a%2Bb' } },
    { name: 'unicode names and values (é, 日本, emoji)', signer: hmac({ placement: 'query' }), request: { method: 'GET', url: 'https://example.com/%E6%97%A5?%C3%A9=%F0%9F%98%80&%E6%97%A5%E6%9C%AC=caf%C3%A9' } },
    { name: "reserved characters !*'();:@&=+$,/?#[] as a value", signer: hmac({ placement: 'body' }), request: { method: 'POST', url: 'https://example.com/r', body: new URLSearchParams([['r', "!*'();:@&=+$,/?#[]"]]) } },
    { name: 'secrets with &=+%', signer: { consumerKey, consumerSecret: 'c&=+%s', token: tokens[1], tokenSecret: 't&=+%s' }, request: { method: 'GET', url: 'https://example.com/s' } },
    { name: 'JSON body plus query parameters (node-oauth#326)', signer: hmac(withToken), request: { method: 'POST', url: 'https://example.com/j?include=a,b&x=1', headers: { 'content-type': 'application/json' }, body: '{"a":"b=c&d"}' } },
    { name: 'text/plain body that looks like a form', signer: hmac(), request: { method: 'POST', url: 'https://example.com/t', headers: { 'content-type': 'text/plain' }, body: 'a=b&c=d' } },
    { name: 'form content type with charset', signer: hmac({ placement: 'body' }), request: { method: 'PUT', url: 'https://example.com/c', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: 'x=%C3%A9' } },
    { name: 'RSA-SHA1 with a PKCS#1 PEM key', signer: { consumerKey, signatureMethod: 'RSA-SHA1', privateKey: privatePkcs1, ...withToken }, request: { method: 'GET', url: 'https://photos.example.net/photos?file=vacation.jpg&size=original' } },
    { name: 'RSA-SHA256 GET with oauth_body_hash of the empty body (Mastercard style)', signer: { consumerKey, signatureMethod: 'RSA-SHA256', privateKey, bodyHash: 'sha256' }, request: { method: 'GET', url: 'https://sandbox.api.example.com/x?a=1' } },
    { name: 'HMAC-SHA256 two-legged with a fixed token and a NetSuite realm', signer: hmac({ signatureMethod: 'HMAC-SHA256', realm: '1234567_SB1', ...withToken }), request: { method: 'POST', url: 'https://1234567-sb1.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=12&deploy=1', headers: { 'content-type': 'application/json' }, body: '{}' } },
    { name: 'upper-case host with explicit default port', signer: hmac(), request: { method: 'GET', url: 'HTTPS://WWW.Example.COM:443/Upper/%7Ecase?Q=%41' } },
    { name: 'custom method and IPv6 host', signer: hmac({ placement: 'query' }), request: { method: 'PROPFIND', url: 'http://[0:0::1]:8080/dav/' } },
    { name: 'timestamp passed as a number', signer: hmac(), request: { method: 'GET', url: 'https://example.com/ts' }, sign: { timestamp: now() } },
    { name: 'request-token call: callback with query and percent (header)', signer: hmac({ realm: 'Photos' }), request: { method: 'POST', url: 'https://example.com/oauth/request_token' }, sign: { callback: 'https://client.example/cb?next=%2Fhome&x=a+b' } },
    { name: 'access-token call with verifier (body placement)', signer: hmac({ placement: 'body', ...withToken }), request: { method: 'POST', url: 'https://example.com/oauth/access_token' }, sign: { verifier: 'hfdp7dh39dks9884' } }
  ]
}

// Things oauthlib gets wrong, checked so the report stays true: each case must be REJECTED by
// oauthlib, while the same content signed with header placement (first item) is ACCEPTED.
interface Deviation { name: string, why: string, header: Case, deviant: Case }
function deviations (): Deviation[] {
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const hmac = (placement: Placement, extra: Partial<SignerOptions> = {}): SignerOptions => ({ consumerKey, consumerSecret: 'kd94hf93k423kf44', placement, ...extra })
  const callback = 'https://client.example/cb?q=100%25'
  return [
    {
      name: 'oauth_callback containing %25 sent in the query',
      why: 'oauthlib unquotes oauth_* values again after parse_qsl already decoded the query (signature.collect_parameters), so "100%25" becomes "100%". RFC 5849 §3.4.1.3.1 decodes once.',
      header: { name: 'header', signer: hmac('header'), request: { method: 'POST', url: 'https://example.com/oauth/request_token' }, sign: { callback } },
      deviant: { name: 'query', signer: hmac('query'), request: { method: 'POST', url: 'https://example.com/oauth/request_token' }, sign: { callback } }
    },
    {
      name: 'PLAINTEXT with a secret containing & sent in the form body',
      why: 'same double decoding: the PLAINTEXT signature "a%26b&" is read as "a&b&".',
      header: { name: 'header', signer: { consumerKey, consumerSecret: 'a&b', signatureMethod: 'PLAINTEXT' }, request: { method: 'POST', url: 'https://example.com/p' } },
      deviant: { name: 'body', signer: { consumerKey, consumerSecret: 'a&b', signatureMethod: 'PLAINTEXT', placement: 'body' }, request: { method: 'POST', url: 'https://example.com/p' } }
    },
    {
      name: 'upper-case media type Application/X-WWW-Form-Urlencoded',
      why: 'oauthlib looks for the lower-case content type as a substring, so it leaves the body parameters out; media types are case-insensitive (RFC 9110 §8.3.1).',
      header: { name: 'header', signer: hmac('header'), request: { method: 'POST', url: 'https://example.com/f', headers: form, body: 'a=1' } },
      deviant: { name: 'upper-case type', signer: hmac('header'), request: { method: 'POST', url: 'https://example.com/f', headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded' }, body: 'a=1' } }
    },
    {
      name: 'a query parameter named realm next to a header realm',
      why: 'oauthlib drops every parameter named "realm" when the Authorization header mentions realm; RFC 5849 §3.4.1.3.1 excludes only the header\'s realm.',
      header: { name: 'header', signer: hmac('header'), request: { method: 'GET', url: 'https://example.com/r?realm=x' } },
      deviant: { name: 'header realm', signer: hmac('header', { realm: 'Example' }), request: { method: 'GET', url: 'https://example.com/r?realm=x' } }
    }
  ]
}

// ---------------------------------------------------------------- plumbing
function flattenHeaders (headers: SignedRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) out[name] = Array.isArray(value) ? value.join(', ') : String(value)
  return out
}

/**
 * The request as the provider sees it: no fragment, and the authority exactly as the client
 * wrote it (upper-case host, explicit default port), the way a server rebuilds it from `Host`.
 */
function wireUri (input: string | URL, signedUrl: string): string {
  const withoutHash = signedUrl.split('#')[0] as string
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(String(input))?.[1]
  if (authority === undefined) return withoutHash
  return withoutHash.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*/i, (_m, scheme: string) => scheme + authority)
}

function toSpec (c: Case, signed: SignedRequest, signOptions: SignOptions): VerifySpec {
  const rsa = c.signer.signatureMethod?.startsWith('RSA') === true
  const token = signOptions.token ?? c.signer.token
  const tokenSecret = signOptions.token !== undefined ? (signOptions.tokenSecret ?? '') : (c.signer.tokenSecret ?? '')
  return {
    method: c.request.method,
    uri: wireUri(c.request.url, signed.url),
    headers: flattenHeaders(signed.headers),
    body: signed.body === undefined ? null : typeof signed.body === 'string' ? signed.body : Buffer.from(signed.body).toString('utf8'),
    consumer_key: c.signer.consumerKey,
    consumer_secret: rsa ? null : (c.signer.consumerSecret ?? null),
    rsa_public_key: rsa ? publicPem : null,
    token: token ?? null,
    token_secret: token === undefined ? null : tokenSecret,
    realm: c.signer.placement === undefined || c.signer.placement === 'header' ? (c.signer.realm ?? null) : null,
    ...c.verifierSecrets
  }
}

/** Our own base string for a failure report (diagnostics only). */
function ourBaseString (c: Case, signed: SignedRequest): string {
  try {
    const url = new URL(signed.url)
    const params: ParamList = parseForm(url.search.slice(1))
    const type = Object.entries(signed.headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1]
    if (typeof type === 'string' && /^application\/x-www-form-urlencoded/i.test(type) && signed.body !== undefined) {
      parseForm(typeof signed.body === 'string' ? signed.body : Buffer.from(signed.body).toString('utf8'), params)
    }
    const fromQueryOrBody = new Set(params.map(([k]) => k))
    for (const [k, v] of Object.entries(signed.oauthParams)) if (!fromQueryOrBody.has(k)) params.push([k, v])
    return signatureBaseString(c.request.method, baseStringUri(url), normalizeParameters(params.filter(([k]) => k !== 'oauth_signature')))
  } catch (error) {
    return `(cannot compute: ${String(error)})`
  }
}

interface Outcome { c: Case, signed: SignedRequest, spec: VerifySpec, answer: VerifyAnswer }

async function run (verifier: Verifier, c: Case): Promise<Outcome> {
  const signer = createSigner(c.signer)
  const signOptions = c.sign ?? {}
  const signed = signer.sign(c.request, signOptions)
  const spec = toSpec(c, signed, signOptions)
  c.tamper?.(spec)
  return { c, signed, spec, answer: await verifier.verify(spec) }
}

/** Escapes everything outside printable ASCII: a raw U+2028 in a diagnostic breaks the TAP stream. */
function ascii (value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}

/** A failure's diagnostics, for the assertion's YAML block (kept out of the one-line message). */
function describe (o: Outcome): Record<string, string> {
  return {
    oauthlib: ascii(o.answer.detail),
    ours: ascii(ourBaseString(o.c, o.signed)),
    request: ascii(`${o.spec.method} ${o.spec.uri}`),
    headers: ascii(o.spec.headers),
    body: ascii(o.spec.body)
  }
}

// ---------------------------------------------------------------- the test
t.test('python oauthlib (provider side) accepts what createSigner signs', async (t) => {
  let verifier: Verifier
  try {
    verifier = await startVerifier()
  } catch (error) {
    t.fail(`python oauthlib verifier unavailable; the integration suite needs the Debian packages ${debianPackages}: ${(error as Error).message}`)
    return
  }
  t.teardown(() => verifier.close())
  t.comment(`oauthlib ${verifier.oauthlibVersion}, seed ${seed}; oauthlib provider methods: ${verifier.methods.join(', ')}`)

  const unsupported = signatureMethods.filter((m) => !verifier.methods.includes(m))
  for (const method of unsupported) t.comment(`NOT VERIFIED: oauthlib ${verifier.oauthlibVersion} has no provider-side ${method}`)
  t.same(unsupported, [], 'oauthlib verifies every signature method we sign with')

  t.test('random matrix: every method x placement x token, plus hand-picked traps', async (t) => {
    const cases: Case[] = []
    let index = 0
    for (const method of signatureMethods) {
      for (const placement of ['header', 'query', 'body'] as const) {
        for (const withToken of [false, true]) {
          for (let i = 0; i < variantsPerCombination; i++) cases.push(randomCase(method, placement, withToken, index++))
        }
      }
    }
    cases.push(...curatedCases())
    const outcomes = await Promise.all(cases.map((c) => run(verifier, c)))
    if (process.env.INTEROP_DUMP !== undefined) {
      writeFileSync(process.env.INTEROP_DUMP, outcomes.map((o) => JSON.stringify({ name: o.c.name, spec: o.spec, answer: o.answer })).join('\n') + '\n')
    }
    const failures = outcomes.filter((o) => !o.answer.valid)
    for (const o of failures) t.fail(`oauthlib rejected: ${ascii(o.c.name)}`, describe(o))
    t.equal(failures.length, 0, `oauthlib accepted all ${outcomes.length} signed requests`)

    const perMethod = new Map<string, number>()
    for (const o of outcomes) if (o.answer.valid) perMethod.set(o.c.signer.signatureMethod ?? 'HMAC-SHA1', (perMethod.get(o.c.signer.signatureMethod ?? 'HMAC-SHA1') ?? 0) + 1)
    t.comment(`verified ${outcomes.length - failures.length}/${outcomes.length}: ${[...perMethod].map(([m, n]) => `${m} ${n}`).join(', ')}`)
    const endpoints = outcomes.map((o) => o.answer.endpoint)
    t.ok(endpoints.includes('resource') && endpoints.includes('signature-only'), 'both ResourceEndpoint and SignatureOnlyEndpoint were used')
    const types = new Set(outcomes.map((o) => o.answer.signature_type))
    t.same([...types].sort(), ['AUTH_HEADER', 'BODY', 'QUERY'], 'oauthlib saw all three placements')
    const realmed = outcomes.filter((o) => o.spec.realm !== null && o.answer.valid)
    t.ok(realmed.length > 0, `realm round-trips through oauthlib's header parser (${realmed.length} requests)`)
    for (const o of realmed) if (o.answer.realm !== o.spec.realm) t.fail(`realm changed: sent ${o.spec.realm}, oauthlib read ${String(o.answer.realm)}`)
  })

  t.test('oauth_body_hash (JSON bodies, bodyHash: true)', async (t) => {
    t.comment('oauthlib\'s provider does NOT check oauth_body_hash against the body: it only signs it like any oauth_* parameter. The hash itself is checked here with hashlib.')
    const expected: Record<SignatureMethod, string> = { 'HMAC-SHA1': 'sha1', 'HMAC-SHA256': 'sha256', 'HMAC-SHA512': 'sha512', 'RSA-SHA1': 'sha1', 'RSA-SHA256': 'sha256', PLAINTEXT: 'sha1' }
    const cases: Case[] = []
    for (const method of signatureMethods) {
      for (const placement of ['header', 'query'] as const) {
        const signer = { ...baseSigner(method, placement), bodyHash: true, token: tokens[0], tokenSecret: 'ts' }
        cases.push({ name: `${method} ${placement} JSON`, signer, request: { method: 'POST', url: 'https://api.example.com/v1/items?dry_run=1', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ name: 'é 日本 😀', n: 1 }) } })
        cases.push({ name: `${method} ${placement} GET (empty body)`, signer: { ...signer }, request: { method: 'GET', url: 'https://api.example.com/v1/items' } })
      }
    }
    const outcomes = await Promise.all(cases.map((c) => run(verifier, c)))
    for (const o of outcomes) {
      const method = o.c.signer.signatureMethod as SignatureMethod
      t.ok(o.answer.valid, `oauthlib accepts ${o.c.name} with oauth_body_hash`, { detail: ascii(o.answer.detail) })
      t.equal(o.answer.body_hash?.matches, expected[method], `${o.c.name}: oauth_body_hash is the ${expected[method]} of the body`)
    }

    const form = await run(verifier, { name: 'form body', signer: { consumerKey, consumerSecret: 's', bodyHash: true }, request: { method: 'POST', url: 'https://example.com/f', body: new URLSearchParams({ a: 'b' }) } })
    t.ok(form.answer.valid, 'form body with bodyHash: accepted')
    t.notOk('oauth_body_hash' in form.signed.oauthParams, 'no oauth_body_hash on a form body (draft-eaton-oauth-bodyhash §3.1)')

    const tampered = await run(verifier, {
      name: 'JSON body changed after signing',
      signer: { consumerKey, consumerSecret: 's', bodyHash: true },
      request: { method: 'POST', url: 'https://example.com/j', headers: { 'content-type': 'application/json' }, body: '{"amount":1}' },
      tamper: (spec) => { spec.body = '{"amount":1000}' }
    })
    t.equal(tampered.answer.body_hash?.matches, null, 'the harness sees the body no longer matches oauth_body_hash')
    t.comment(`oauthlib verdict on a JSON body changed after signing: ${tampered.answer.valid ? 'ACCEPTED (oauthlib ignores oauth_body_hash)' : 'rejected'}`)
    t.equal(tampered.answer.valid, true, 'documented: oauthlib does not verify oauth_body_hash (a provider must check it itself)')
  })

  t.test('negative controls: oauthlib must reject these', async (t) => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' }
    const hmac = (extra: Partial<SignerOptions> = {}): SignerOptions => ({ consumerKey, consumerSecret: 'kd94hf93k423kf44', token: tokens[0], tokenSecret: 'pfkkdhi9sl3r4s00', ...extra })
    const replaced = (from: RegExp, to: string) => (spec: VerifySpec) => {
      const before = JSON.stringify(spec)
      const after = before.replace(from, to)
      if (after === before) throw new Error(`tamper pattern ${String(from)} did not match`)
      Object.assign(spec, JSON.parse(after))
    }
    const controls: Case[] = [
      { name: 'query parameter changed after signing', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a?amount=1' }, tamper: replaced(/amount=1/, 'amount=2') },
      { name: 'form body parameter changed after signing (body placement)', signer: hmac({ placement: 'body' }), request: { method: 'POST', url: 'https://example.com/a', headers: form, body: 'amount=1' }, tamper: replaced(/amount=1/, 'amount=2') },
      { name: 'wrong consumer secret', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a' }, verifierSecrets: { consumer_secret: 'kd94hf93k423kf45' } },
      { name: 'wrong token secret', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a' }, verifierSecrets: { token_secret: 'wrong' } },
      { name: 'method changed (POST -> PUT)', signer: hmac(), request: { method: 'POST', url: 'https://example.com/a' }, tamper: (spec) => { spec.method = 'PUT' } },
      { name: 'port changed', signer: hmac({ placement: 'query' }), request: { method: 'GET', url: 'https://example.com:8443/a' }, tamper: replaced(/:8443/, ':8444') },
      { name: 'path case changed', signer: hmac(), request: { method: 'GET', url: 'https://example.com/Path' }, tamper: replaced(/\/Path/, '/path') },
      { name: 'RSA-SHA256 signed with another key', signer: { consumerKey, signatureMethod: 'RSA-SHA256', privateKey: otherKey }, request: { method: 'GET', url: 'https://example.com/a' } },
      { name: 'PLAINTEXT with the wrong secret', signer: { consumerKey, consumerSecret: 'right', signatureMethod: 'PLAINTEXT' }, request: { method: 'GET', url: 'https://example.com/a' }, verifierSecrets: { consumer_secret: 'wrong' } },
      { name: 'stale timestamp (one hour old)', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a' }, sign: { timestamp: now() - 3600 } },
      { name: '32-character nonce (as oauth-1.0a sends)', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a' }, sign: { nonce: alnumString(32) } },
      { name: 'oauth_version="1.0A" (as node-oauth sends)', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a' }, tamper: replaced(/oauth_version=\\"1.0\\"/, 'oauth_version=\\"1.0A\\"') },
      { name: 'unknown access token', signer: hmac(), request: { method: 'GET', url: 'https://example.com/a' }, verifierSecrets: { token: tokens[1] } }
    ]
    const outcomes = await Promise.all(controls.map((c) => run(verifier, c)))
    for (const o of outcomes) t.notOk(o.answer.valid, `rejected: ${o.c.name}`, { detail: ascii(o.answer.detail) })

    // Replay: the same signed request twice. The first is fine, the second reuses the nonce.
    const signed = createSigner(hmac()).sign({ method: 'GET', url: 'https://example.com/replay' })
    const spec = toSpec({ name: 'replay', signer: hmac(), request: { method: 'GET', url: 'https://example.com/replay' } }, signed, {})
    t.ok((await verifier.verify(spec)).valid, 'replay control: first use accepted')
    const replay = await verifier.verify(spec)
    t.notOk(replay.valid, 'replay control: second use (same nonce) rejected')
    const rejected = outcomes.filter((o) => !o.answer.valid).length + (replay.valid ? 0 : 1)
    t.comment(`negative controls rejected: ${rejected}/${outcomes.length + 1}`)
  })

  t.test('documented oauthlib deviations from RFC 5849 (oauthlib is wrong, not the signer)', async (t) => {
    for (const d of deviations()) {
      const [header, deviant] = await Promise.all([run(verifier, d.header), run(verifier, d.deviant)])
      t.ok(header.answer.valid, `${d.name}: accepted with header placement / lower-case type`, { detail: ascii(header.answer.detail) })
      t.notOk(deviant.answer.valid, `${d.name}: oauthlib rejects it (if it now accepts, oauthlib fixed it: move the case into the matrix)`)
      t.comment(`oauthlib deviation - ${d.name}: ${d.why}`)
    }
  })
})
