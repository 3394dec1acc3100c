// Issue 17 item 1 over real HTTP and real cookie rules: an attacker on a sibling host
// (evil.app.localhost) plants the flow cookie of their own approved flow into a victim's browser
// for app.localhost (Domain=app.localhost), then sends the victim the callback URL. Every request
// goes to 127.0.0.1 with the Host header of the site it is for; the jar below applies RFC 6265
// (Domain, Path, Secure) and the RFC 6265bis `__Host-` prefix rules as browsers do. "https" is a
// TLS-terminating proxy's `X-Forwarded-Proto: https` with the adapters trusting it.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import express from 'express'
import session from 'express-session'
import Fastify from 'fastify'
import { once } from 'node:events'
import { createServer, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { expressOAuth1 } from '../src/express/index.js'
import { fastifyOAuth1 } from '../src/fastify/plugin.js'
import { flowSecret, sessionSecret } from './helpers/adapter-suite.js'
import { type FakeProvider, flowOptions, startFakeProvider } from './helpers/fake-provider.js'

interface StoredCookie { name: string, value: string, domain: string, hostOnly: boolean, path: string, secure: boolean }

/** A cookie jar with the storage and sending rules of RFC 6265 §5.3/§5.4 and the `__Host-`/`__Secure-` prefixes. */
class Jar {
  private cookies: StoredCookie[] = []

  store (line: string, host: string, https: boolean): void {
    const [pair = '', ...parts] = line.split(';')
    const at = pair.indexOf('=')
    const name = pair.slice(0, at).trim()
    const value = pair.slice(at + 1).trim()
    const attributes = new Map(parts.map((part) => {
      const index = part.indexOf('=')
      return index < 0 ? [part.trim().toLowerCase(), ''] as const : [part.slice(0, index).trim().toLowerCase(), part.slice(index + 1).trim()] as const
    }))
    const domainAttribute = attributes.get('domain')?.replace(/^\./, '').toLowerCase()
    if (domainAttribute !== undefined && host !== domainAttribute && !host.endsWith(`.${domainAttribute}`)) return
    const path = attributes.get('path')?.startsWith('/') === true ? attributes.get('path') as string : '/'
    const secure = attributes.has('secure')
    if (secure && !https) return
    if (name.startsWith('__Secure-') && !secure) return
    if (name.startsWith('__Host-') && (!secure || domainAttribute !== undefined || path !== '/')) return
    const cookie: StoredCookie = { name, value, domain: domainAttribute ?? host, hostOnly: domainAttribute === undefined, path, secure }
    this.cookies = this.cookies.filter((each) => !(each.name === name && each.domain === cookie.domain && each.path === path))
    const maxAge = attributes.get('max-age')
    if (maxAge !== undefined && Number(maxAge) <= 0) return
    this.cookies.push(cookie)
  }

  header (host: string, path: string, https: boolean): string {
    return this.cookies
      .filter((cookie) => cookie.hostOnly ? host === cookie.domain : host === cookie.domain || host.endsWith(`.${cookie.domain}`))
      .filter((cookie) => path === cookie.path || path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`))
      .filter((cookie) => https || !cookie.secure)
      .sort((a, b) => b.path.length - a.path.length)
      .map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
  }

  names (): string[] { return this.cookies.map((cookie) => cookie.name) }
}

/** A browser: sends to 127.0.0.1:port with the site's Host header, keeps cookies by the jar's rules. */
class Browser {
  readonly jar = new Jar()
  constructor (readonly https: boolean) {}

  async get (url: string, port: number): Promise<{ status: number, location: string | undefined, body: string }> {
    const target = new URL(url)
    const cookie = this.jar.header(target.hostname, target.pathname, this.https)
    const headers: Record<string, string> = { host: `${target.hostname}:${port}` }
    if (cookie !== '') headers.cookie = cookie
    if (this.https) headers['x-forwarded-proto'] = 'https'
    return new Promise((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path: target.pathname + target.search, headers }, (response) => {
        for (const line of response.headers['set-cookie'] ?? []) this.jar.store(line, target.hostname, this.https)
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => { body += chunk })
        response.on('end', () => { resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }) })
      }).on('error', reject).end()
    })
  }
}

interface Site { port: number, close: () => Promise<void> }

/** The attacker's site: answers with the Set-Cookie lines it is told to plant. */
async function evilSite (): Promise<Site & { plant: string[] }> {
  const plant: string[] = []
  const server = createServer((_request, response) => { response.setHeader('set-cookie', plant).end('hello') }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { plant, port: (server.address() as AddressInfo).port, close: async () => { await new Promise((resolve) => server.close(resolve)) } }
}

type Build = (provider: FakeProvider, https: boolean) => Promise<Site>

/** Listens first, so the callback URL (app.localhost on the real port) is known when the adapter is made. */
async function listening (): Promise<{ server: ReturnType<typeof createServer>, port: number, handle: (fn: (request: IncomingMessage, response: ServerResponse) => void) => void }> {
  let handler = (_request: IncomingMessage, _response: ServerResponse): void => {}
  const server = createServer((request, response) => { handler(request, response) }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port, handle: (fn) => { handler = fn } }
}

const callbackUrlOf = (https: boolean, port: number): string => https ? 'https://app.localhost/oauth/callback' : `http://app.localhost:${port}/oauth/callback`

const builds: Array<[string, Build]> = [
  ['fastify', async (provider, https) => {
    const { server, port, handle } = await listening()
    const app = Fastify({ trustProxy: true, serverFactory: (handler) => { handle(handler); return server } })
    await app.register(fastifyCookie)
    await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: 'auto', sameSite: 'lax' }, saveUninitialized: false })
    await app.register(fastifyOAuth1, { ...flowOptions(provider), callbackUrl: callbackUrlOf(https, port), flowSecret })
    app.get('/login', async (request) => { (request as unknown as { session: { set: (k: string, v: unknown) => void } }).session.set('user', 'victim'); return 'ok' })
    app.get('/me', async (request) => ({ connected: await request.oauth1.isConnected() }))
    app.setErrorHandler(async (error: { statusCode?: number, code?: string }, _request, reply) => reply.code(error.statusCode ?? 500).send({ code: error.code }))
    await app.ready()
    return { port, close: async () => { await app.close(); server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) } }
  }],
  ['express', async (provider, https) => {
    const { server, port, handle } = await listening()
    const app = express()
    app.set('trust proxy', true)
    app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { secure: 'auto', sameSite: 'lax' } }))
    const oauth1 = expressOAuth1({ ...flowOptions(provider), callbackUrl: callbackUrlOf(https, port), flowSecret })
    app.use(oauth1)
    app.get('/login', (req, res) => { (req.session as unknown as Record<string, unknown>).user = 'victim'; res.send('ok') })
    app.get('/me', (req, res, next) => { req.oauth1.isConnected().then((connected) => { res.json({ connected }) }, next) })
    app.use(((error, _req, res, _next) => { res.status(error.statusCode ?? 500).json({ code: error.code }) }) as express.ErrorRequestHandler)
    handle(app)
    return { port, close: async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)); await oauth1.close() } }
  }]
]

for (const [label, build] of builds) {
  for (const https of [false, true]) {
    t.test(`${label}, ${https ? 'https' : 'plain http'}: a flow cookie planted from evil.app.localhost does not connect the victim`, async (t) => {
      const provider = await startFakeProvider()
      t.teardown(() => provider.close())
      const site = await build(provider, https)
      t.teardown(() => site.close())
      const evil = await evilSite()
      t.teardown(() => evil.close())
      const app = `${https ? 'https' : 'http'}://app.localhost/`
      const exchanges = (): number => provider.seen.filter((seen) => seen.path === '/oauth/access_token').length

      const attacker = new Browser(https)
      const started = await attacker.get(`${app}oauth/start`, site.port)
      t.equal(started.status, 302)
      const planted = await provider.authorize(started.location as string)
      const flowLine = attacker.jar.header('app.localhost', '/oauth/callback', https).split('; ').find((pair) => /^oauth1-oauth1-(?!flows)/.test(pair)) as string
      t.ok(flowLine, 'the attacker has their flow cookie')
      const bindingName = https ? '__Host-oauth1-binding' : 'oauth1-binding'
      const attackerBinding = attacker.jar.header('app.localhost', '/', https).split('; ').find((pair) => pair.startsWith(`${bindingName}=`))

      const victim = new Browser(https)
      t.equal((await victim.get(`${app}login`, site.port)).status, 200, 'the victim is logged in to the app')
      evil.plant.push(`${flowLine}; Domain=app.localhost; Path=/oauth/callback${https ? '; Secure' : ''}`)
      // The attacker's binding too, under both names: a sibling host can plant only the plain one.
      const bindingValue = attackerBinding?.slice(bindingName.length + 1) ?? 'AAAAAAAAAAAAAAAAAAAAAA'
      evil.plant.push(`${bindingName}=${bindingValue}; Domain=app.localhost; Path=/${https ? '; Secure' : ''}`)
      evil.plant.push(`oauth1-binding=${bindingValue}; Domain=app.localhost; Path=/`)
      await victim.get(`${https ? 'https' : 'http'}://evil.app.localhost/`, evil.port)
      t.ok(victim.jar.names().some((name) => name.startsWith('oauth1-oauth1-')), 'the sibling host planted the flow cookie')
      t.equal(victim.jar.names().includes('__Host-oauth1-binding'), false, 'no sibling host can plant a __Host- cookie')

      const before = exchanges()
      const refused = await victim.get(planted, site.port)
      t.equal(refused.status, 403)
      t.equal((JSON.parse(refused.body) as { code: string }).code, 'OAUTH1_FLOW_NOT_BOUND')
      t.equal(exchanges(), before, 'no token exchange')
      t.same(JSON.parse((await victim.get(`${app}me`, site.port)).body), { connected: false }, 'the victim is not connected to the attacker\'s account')

      const own = await victim.get(`${app}oauth/start`, site.port)
      t.equal((await victim.get(await provider.authorize(own.location as string), site.port)).status, 302, 'the victim\'s own sign-in completes')
      t.same(JSON.parse((await victim.get(`${app}me`, site.port)).body), { connected: true })
      t.ok(attackerBinding, `the attacker's browser had got ${bindingName}`)
    })
  }
}
