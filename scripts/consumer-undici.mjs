// A user's project, run by scripts/check-consumer-undici.sh in a fresh directory where the packed
// tarball and one undici major are installed: fastify-oauth1/core's signing interceptor composed
// on that undici's own Agent, with its redirect interceptor outside it. A loopback provider checks
// every Authorization header with an HMAC-SHA1 computed here from RFC 5849 §3.4 (node:crypto, no
// code of the package). Usage: node consumer-undici.mjs <expected undici major>. Exits 1 on any failure.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { Agent, interceptors } from 'undici'
import { createSigningInterceptor } from 'fastify-oauth1/core'

const credentials = { consumerKey: 'ci-consumer-key', consumerSecret: 'ci consumer secret/+', token: 'ci-token', tokenSecret: 'ci token secret!' }
const require = createRequire(import.meta.url)
const undiciVersion = JSON.parse(readFileSync(require.resolve('undici/package.json'), 'utf8')).version
const failures = []
const check = (ok, what) => { if (!ok) failures.push(what) }

/** RFC 5849 §3.6: unreserved characters stay, everything else is %XX of its UTF-8 bytes. */
const encode = (value) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
const decodeForm = (value) => decodeURIComponent(value.replace(/\+/g, ' '))

/** The Authorization header's parameters (RFC 5849 §3.5.1), or null when it is not an OAuth header. */
function oauthParams (header) {
  if (typeof header !== 'string' || !/^OAuth\s/i.test(header)) return null
  const params = {}
  for (const part of header.slice(6).split(',')) {
    const match = /^\s*([^=\s]+)="([^"]*)"\s*$/.exec(part)
    if (match === null) return null
    params[decodeURIComponent(match[1])] = decodeURIComponent(match[2])
  }
  return params
}

/** Verifies one request's HMAC-SHA1 signature as a provider would (RFC 5849 §3.4.1, §3.4.2). */
function verify (req, origin, body) {
  const oauth = oauthParams(req.headers.authorization)
  if (oauth === null) return { ok: false, why: `no OAuth Authorization header: ${String(req.headers.authorization)}` }
  const [path, query = ''] = req.url.split(/\?(.*)/s)
  const pairs = [...query.split('&'), ...(req.headers['content-type'] === 'application/x-www-form-urlencoded' ? body.split('&') : [])]
    .filter((pair) => pair !== '')
    .map((pair) => pair.split(/=(.*)/s).map((part) => decodeForm(part ?? '')))
  for (const [name, value] of Object.entries(oauth)) if (name !== 'realm' && name !== 'oauth_signature') pairs.push([name, value])
  const normalized = pairs.map(([name, value]) => [encode(name), encode(value)])
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`).join('&')
  const base = [req.method.toUpperCase(), encode(origin + path), encode(normalized)].join('&')
  const key = `${encode(credentials.consumerSecret)}&${encode(credentials.tokenSecret)}`
  const expected = createHmac('sha1', key).update(base).digest()
  const got = Buffer.from(oauth.oauth_signature ?? '', 'base64')
  const problems = []
  if (oauth.oauth_signature_method !== 'HMAC-SHA1') problems.push(`method ${oauth.oauth_signature_method}`)
  if (oauth.oauth_consumer_key !== credentials.consumerKey) problems.push(`consumer key ${oauth.oauth_consumer_key}`)
  if (oauth.oauth_token !== credentials.token) problems.push(`token ${oauth.oauth_token}`)
  if (!/^[A-Za-z0-9]{8,}$/.test(oauth.oauth_nonce ?? '')) problems.push(`nonce ${oauth.oauth_nonce}`)
  if (Math.abs(Number(oauth.oauth_timestamp) - Date.now() / 1000) > 300) problems.push(`timestamp ${oauth.oauth_timestamp}`)
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) problems.push(`signature does not match the base string ${base}`)
  return { ok: problems.length === 0, why: problems.join('; '), nonce: oauth.oauth_nonce }
}

async function listen (handler) {
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => handler(req, res, Buffer.concat(chunks).toString('utf8')))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, origin: `http://127.0.0.1:${server.address().port}` }
}

const seen = []
const provider = await listen((req, res, body) => {
  const result = verify(req, provider.origin, body)
  seen.push({ url: req.url, ...result })
  if (req.url.startsWith('/moved')) {
    res.writeHead(302, { location: '/statuses?after=redirect&q=a%20b' }).end()
    return
  }
  res.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(result))
})
const elsewhere = await listen((req, res) => {
  seen.push({ url: `elsewhere ${req.url}`, authorization: req.headers.authorization })
  res.writeHead(200).end('{}')
})

const agent = new Agent().compose(
  createSigningInterceptor({ consumerKey: credentials.consumerKey, consumerSecret: credentials.consumerSecret, origins: [provider.origin] }),
  interceptors.redirect({ maxRedirections: 2 })
)
const oauth1 = { token: credentials.token, tokenSecret: credentials.tokenSecret }
/** One request through the composed agent (the user's token as the `oauth1` dispatch option); fails unless 200. */
async function call (what, options) {
  const response = await agent.request({ origin: provider.origin, oauth1, ...options })
  const text = await response.body.text()
  check(response.statusCode === 200, `${what}: ${response.statusCode} ${text}`)
}
try {
  check(undiciVersion.split('.')[0] === process.argv[2], `undici ${undiciVersion} is installed, expected major ${process.argv[2]}`)

  await call('signed GET', { path: '/statuses?q=caf%C3%A9&tag=2&tag=1', method: 'GET' })
  await call('signed form POST', {
    path: '/statuses/update',
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'status=Hello%20Ladies%20%2B%20Gentlemen%2C%20a%20signed%20OAuth%20request%21'
  })

  const before = seen.length
  await call('redirect followed and re-signed', { path: '/moved', method: 'GET' })
  const [hop, final] = seen.slice(before)
  check(hop?.ok === true && final?.ok === true, `both hops signed: ${JSON.stringify(seen.slice(before))}`)
  check(hop?.nonce !== undefined && hop.nonce !== final?.nonce, 'the redirect is signed again with a fresh nonce')

  await call('request to an unlisted origin', { origin: elsewhere.origin, path: '/x', method: 'GET' })
  check(seen.at(-1)?.authorization === undefined, `a request to an unlisted origin is not signed: ${seen.at(-1)?.authorization}`)
} catch (error) {
  failures.push(`threw: ${error?.stack ?? error}`)
} finally {
  await agent.close()
  provider.server.close()
  elsewhere.server.close()
}

const label = `Node ${process.version}, undici ${undiciVersion}`
if (failures.length > 0) {
  console.error(`consumer-undici: FAILED on ${label}:\n  - ${failures.join('\n  - ')}`)
  process.exit(1)
}
console.log(`consumer-undici: ok on ${label}: ${seen.length} requests, signed GET, form POST and a re-signed redirect verified; unlisted origin unsigned`)
