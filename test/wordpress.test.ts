// WordPress (WP-API/OAuth1): endpoints discovered from the site's REST index (Link header, then
// authentication.oauth1), a sign-in through the plugin with the discovered preset, and a revoked
// token's json_oauth1_invalid_token read as OAUTH1_TOKEN_INVALID.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { createClient } from '../src/core.js'
import { ErrorCodes } from '../src/errors.js'
import { tokenInvalidError } from '../src/provider/lifecycle.js'
import { discoverWordPress, restRootOf } from '../src/provider/wordpress.js'
import { fastifyOAuth1 } from '../src/index.js'
import { connect, createMockProvider } from '../src/testing/index.js'

type Handler = (request: IncomingMessage, response: ServerResponse, origin: string) => void

async function site (t: Test, handler: Handler): Promise<string> {
  let origin = ''
  const server = createServer((request, response) => { handler(request, response, origin) }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  return origin
}

/** A WordPress site: pages carry the REST Link header, the index lists the OAuth 1.0a endpoints at `endpoints`. */
function wordPress (endpoints: (origin: string) => Record<string, string> | undefined, link = true): Handler {
  return (request, response, origin) => {
    if (request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html', ...(link ? { link: `<${origin}/wp-json/>; rel="https://api.w.org/"` } : {}) })
      response.end('<!doctype html><title>A blog</title>')
      return
    }
    if (request.url === '/wp-json/') {
      const oauth1 = endpoints(origin)
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ name: 'A blog', namespaces: ['wp/v2'], authentication: oauth1 === undefined ? {} : { oauth1: { ...oauth1, version: '0.1' } } }))
      return
    }
    response.writeHead(404).end()
  }
}

t.test('discovery: the Link header names the REST root, whose index names the endpoints', async (t) => {
  const origin = await site(t, wordPress((origin) => ({ request: `${origin}/oauth1/request`, authorize: `${origin}/oauth1/authorize`, access: `${origin}/oauth1/access` })))
  const preset = await discoverWordPress(`${origin}/`)
  t.match(preset, {
    id: 'wordpress',
    legs: 3,
    signatureMethod: 'HMAC-SHA1',
    baseUrl: `${origin}/wp-json/`,
    apiOrigins: [origin],
    requestTokenUrl: `${origin}/oauth1/request`,
    authorizeUrl: `${origin}/oauth1/authorize`,
    accessTokenUrl: `${origin}/oauth1/access`
  })
  t.ok(preset.quirks.some((quirk) => /rest_route/.test(quirk)), 'the base-string quirk is documented on the preset')
  t.ok(Object.isFrozen(preset))
})

t.test('discovery without a Link header falls back to <site>/wp-json/', async (t) => {
  const origin = await site(t, wordPress((origin) => ({ request: `${origin}/r`, authorize: `${origin}/a`, access: `${origin}/x` }), false))
  t.equal((await discoverWordPress(origin)).requestTokenUrl, `${origin}/r`)
})

t.test('a site without the plugin, an unreachable site and a bad URL are coded errors', async (t) => {
  const origin = await site(t, wordPress(() => undefined))
  await t.rejects(discoverWordPress(origin), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, message: /authentication\.oauth1.*plugin/ })
  const closed = await site(t, () => {})
  await t.rejects(discoverWordPress(closed, { timeout: 200 }), { code: ErrorCodes.TIMEOUT }, 'a site that never answers: the discovery times out')
  await t.rejects(discoverWordPress('http://127.0.0.1:9/'), { code: ErrorCodes.NETWORK })
  await t.rejects(discoverWordPress('ftp://blog.example'), { code: ErrorCodes.INVALID_OPTION })
})

t.test('restRootOf reads rel among several links and relations', async (t) => {
  const base = new URL('https://blog.example/post/1')
  t.equal(restRootOf('<https://blog.example/?p=1>; rel="shortlink", <https://blog.example/wp-json/>; rel="https://api.w.org/"', base)?.href, 'https://blog.example/wp-json/')
  t.equal(restRootOf(['</wp-json/>; rel="alternate https://api.w.org/"'], base)?.href, 'https://blog.example/wp-json/', 'relative, among relations')
  t.equal(restRootOf('<https://blog.example/wp-json/>; rel="https://api.w.org/x"', base), undefined)
  t.equal(restRootOf(undefined, base), undefined)
})

t.test('the discovered preset signs a whole sign-in through the Fastify plugin (the test kit\'s provider behind the index)', async (t) => {
  const provider = createMockProvider({ consumerKey: 'wp-key', consumerSecret: 'wp-secret' })
  t.teardown(() => provider.close())
  const mock = provider.options()
  const origin = await site(t, wordPress(() => ({ request: mock.requestTokenUrl, authorize: mock.authorizeUrl, access: mock.accessTokenUrl })))
  const preset = await discoverWordPress(origin)
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: 'a-session-secret-of-at-least-32-characters!', cookie: { secure: false } })
  await app.register(fastifyOAuth1, {
    ...preset,
    consumerKey: 'wp-key',
    consumerSecret: 'wp-secret',
    dispatcher: mock.dispatcher,
    callbackUrl: 'http://localhost/oauth/callback',
    secret: 'one-secret-of-at-least-thirty-two-characters'
  })
  await app.ready()
  t.teardown(() => app.close())
  const result = await connect(app, provider)
  t.equal(result.response.statusCode, 302)
  t.equal(result.response.headers.location, '/')
  t.equal(provider.requests.filter((request) => request.endpoint === 'access_token' && request.problem === undefined).length, 1, 'one verified exchange')
})

t.test('a revoked token: 401 {"code":"json_oauth1_invalid_token"} is OAUTH1_TOKEN_INVALID', async (t) => {
  const origin = await site(t, (_request, response) => {
    response.writeHead(401, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ code: 'json_oauth1_invalid_token', message: 'Invalid token', data: { status: 401 } }))
  })
  const client = createClient({ consumerKey: 'ck', consumerSecret: 'cs', token: 't', tokenSecret: 's' })
  t.teardown(() => client.close())
  const response = await client.get(`${origin}/wp-json/wp/v2/users/me`)
  t.equal(tokenInvalidError(response)?.code, ErrorCodes.TOKEN_INVALID)
  const other = await site(t, (_request, response) => {
    response.writeHead(401, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ code: 'rest_forbidden', message: 'Sorry, you are not allowed to do that.' }))
  })
  t.equal(tokenInvalidError(await client.get(`${other}/wp-json/wp/v2/posts`)), undefined, 'another 401 is not about the token')
})
