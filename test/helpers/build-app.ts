// Builds a Fastify app with @fastify/cookie, @fastify/session and the plugin, plus a cookie jar
// for app.inject sequences and the steps of a browser going through the flow.
import fastifyCookie from '@fastify/cookie'
import fastifySecureSession from '@fastify/secure-session'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify'
import { Writable } from 'node:stream'
import { fastifyOAuth1, type FastifyOAuth1Options } from '../../src/fastify/plugin.js'
import { type FakeProvider, flowOptions } from './fake-provider.js'

export const sessionSecret = 'a-session-secret-of-at-least-32-characters!'
export const callbackUrl = 'http://localhost/oauth/callback'
export const flowSecret = 'a-flow-cookie-secret-of-at-least-32-chars'

/** The session plugin of a test app: @fastify/session, @fastify/secure-session, or none. */
export type SessionKind = 'session' | 'secure-session' | 'none'

/** The plugin options for a fake provider, with overrides. */
export function providerOptions (provider: FakeProvider, overrides: Partial<FastifyOAuth1Options> = {}): FastifyOAuth1Options {
  return { ...flowOptions(provider), callbackUrl, flowSecret, ...overrides }
}

export interface BuildOptions {
  /** The protected resource `/me` calls through `request.oauth1`. */
  apiUrl?: string
  /** Fastify's own options (logger, ...). */
  fastify?: FastifyServerOptions
  /** Runs after the plugins are registered and before `ready()` (error handlers, routes). */
  setup?: (app: FastifyInstance) => void
  /** Registers the plugin more than once (two providers). */
  plugins?: FastifyOAuth1Options[]
  /** The session plugin; default `@fastify/session`. */
  session?: SessionKind
}

/** An app with cookie, session and the plugin, ready. Closes with the test. */
export async function buildApp (options: FastifyOAuth1Options, build: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(build.fastify)
  await app.register(fastifyCookie)
  const session = build.session ?? 'session'
  if (session === 'session') await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: false, sameSite: 'lax' } })
  if (session === 'secure-session') {
    await app.register(fastifySecureSession, { secret: sessionSecret, salt: 'mq9hDxBVDbspDR6n', cookie: { path: '/', httpOnly: true, sameSite: 'lax' } })
  }
  for (const each of build.plugins ?? [options]) app.register(fastifyOAuth1, each.flowState === undefined ? { flowSecret, ...each } : each)
  if (build.apiUrl !== undefined) {
    const apiUrl = build.apiUrl
    app.get('/me', async (request) => {
      const response = await request.oauth1.get(apiUrl, { query: { include: 'a b+c' } })
      return { status: response.status, body: response.json() }
    })
  }
  build.setup?.(app)
  await app.ready()
  return app
}

/** Captures log lines of `Fastify({ logger: { level: 'trace', stream } })`. */
export function logCapture (): { stream: Writable, lines: string[], text: () => string } {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'))
      callback()
    }
  })
  return { stream, lines, text: () => lines.join('') }
}

/** A tiny cookie jar for app.inject: keeps name=value pairs from set-cookie. */
export class CookieJar {
  readonly cookies = new Map<string, string>()

  /** Records the response's set-cookie headers; returns the response for chaining. */
  update (response: LightMyRequestResponse): LightMyRequestResponse {
    const header = response.headers['set-cookie']
    const list = header === undefined ? [] : Array.isArray(header) ? header : [header]
    for (const line of list) {
      const [pair = '', ...attributes] = line.split(';')
      const index = pair.indexOf('=')
      const name = pair.slice(0, index).trim()
      const value = pair.slice(index + 1).trim()
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  get (name: string): string | undefined {
    return this.cookies.get(name)
  }

  /** The `cookie` request header, or an empty object when the jar is empty. */
  headers (): Record<string, string> {
    if (this.cookies.size === 0) return {}
    return { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') }
  }
}

/** A browser session: injects with the jar's cookies and records the answers' cookies. */
export class Browser {
  readonly jar = new CookieJar()

  constructor (readonly app: FastifyInstance) {}

  async inject (method: 'GET' | 'POST', url: string): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ method, url, headers: this.jar.headers() })
    return this.jar.update(response)
  }

  async get (url: string): Promise<LightMyRequestResponse> {
    return this.inject('GET', url)
  }

  /** GET the start route; returns the response (302 to the provider's authorize URL on success). */
  async start (path = '/oauth/start'): Promise<LightMyRequestResponse> {
    return this.get(path)
  }

  /** Follows a callback URL the provider redirected to (absolute), inside the app. */
  async callback (location: string): Promise<LightMyRequestResponse> {
    const url = new URL(location)
    return this.get(url.pathname + url.search)
  }

  /** start -> authorize at the provider -> callback; returns the callback's response. */
  async connect (provider: FakeProvider, startPath = '/oauth/start'): Promise<LightMyRequestResponse> {
    const started = await this.start(startPath)
    if (started.statusCode !== 302) throw new Error(`start answered ${started.statusCode}: ${started.body}`)
    return this.callback(await provider.authorize(started.headers.location as string))
  }
}
