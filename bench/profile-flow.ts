/**
 * One contestant's connect flows for CPU profiling: the app runs on the main thread, the fast local
 * provider and the load driver in a worker, so `--cpu-prof` writes the app's profile on its own.
 *
 *   npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/profile-flow.ts [kind] [seconds]
 *
 * kind: `cookie` (the plugin, default flow state), `session` (flowState: 'session'), `floor` (the
 * floor app of bench/flows.ts) or `floor-session` (the floor plus @fastify/session holding the
 * access token). Prints the app thread's CPU time per flow (Linux). With PROFILE_ALLOC=<file>, the
 * app thread's allocations (V8's sampling heap profiler, collected objects included) go to <file>.
 */
import http from 'node:http'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import { Pool } from 'undici'
import { fastifyOAuth1 } from '../dist/esm/fastify/plugin.js'
import { accessTokenFor, consumer, startProvider, type ProviderUrls } from './flows.js'

const threadCpuUs = (): number => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e3

async function drive (origin: string, seconds: number, provider: Awaited<ReturnType<typeof startProvider>>): Promise<number> {
  const appPool = new Pool(origin, { connections: 16 })
  const providerPool = new Pool(provider.origin, { connections: 16 })
  const store = (jar: Map<string, string>, header: string | string[] | undefined): void => {
    for (const line of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
      const pair = line.split(';')[0] as string
      const eq = pair.indexOf('=')
      jar.set(pair.slice(0, eq), pair.slice(eq + 1))
    }
  }
  const cookie = (jar: Map<string, string>): string => [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
  const flow = async (): Promise<void> => {
    const jar = new Map<string, string>()
    let r = await appPool.request({ path: '/oauth/start', method: 'GET' })
    store(jar, r.headers['set-cookie'])
    await r.body.dump()
    const authorize = new URL(r.headers.location as string)
    const requestToken = authorize.searchParams.get('oauth_token') as string
    r = await providerPool.request({ path: authorize.pathname + authorize.search, method: 'GET' })
    const callback = new URL(r.headers.location as string)
    await r.body.dump()
    r = await appPool.request({ path: callback.pathname + callback.search, method: 'GET', headers: { cookie: cookie(jar) } })
    if (r.statusCode !== 302) throw new Error(`callback ${r.statusCode} ${await r.body.text()}`)
    store(jar, r.headers['set-cookie'])
    await r.body.dump()
    r = await appPool.request({ path: '/done', method: 'GET', headers: { cookie: cookie(jar) } })
    const token = await r.body.text()
    if (token !== accessTokenFor(requestToken)) throw new Error(`done: ${token}`)
  }
  const end = Date.now() + seconds * 1000
  let flows = 0
  await Promise.all(Array.from({ length: 8 }, async () => { while (Date.now() < end) { await flow(); flows++ } }))
  await appPool.close()
  await providerPool.close()
  return flows
}

async function startApp (kind: string, provider: ProviderUrls & { origin: string }): Promise<{ origin: string, close: () => Promise<void> }> {
  const server = http.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const app = Fastify({ logger: false, serverFactory: (handler) => server.on('request', handler) })
  await app.register(fastifyCookie)
  if (kind === 'floor-session') {
    await app.register(fastifySession, { secret: 'a-session-secret-of-at-least-32-characters!', cookie: { secure: false }, saveUninitialized: false })
  }
  if (kind.startsWith('floor')) {
    const pool = new Pool(provider.origin, { connections: 16 })
    const fixed = `oauth_consumer_key="${consumer.consumerKey}", oauth_nonce="floor", oauth_signature="floor", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1700000000", oauth_version="1.0"`
    const rt = { authorization: `OAuth oauth_callback="${encodeURIComponent(origin + '/oauth/callback')}", ${fixed}` }
    const at = { authorization: `OAuth ${fixed}`, 'content-type': 'application/x-www-form-urlencoded' }
    app.get('/oauth/start', async (_request, reply) => {
      const response = await pool.request({ path: '/oauth/request_token', method: 'POST', headers: rt })
      const token = new URLSearchParams(await response.body.text()).get('oauth_token') ?? ''
      return reply.setCookie('rt', token, { path: '/', httpOnly: true }).redirect(`${provider.authorizeUrl}?oauth_token=${token}`)
    })
    app.get<{ Querystring: { oauth_verifier?: string } }>('/oauth/callback', async (request, reply) => {
      const body = `oauth_token=${request.cookies.rt ?? ''}&oauth_verifier=${request.query.oauth_verifier ?? ''}`
      const response = await pool.request({ path: '/oauth/access_token', method: 'POST', headers: at, body })
      const token = new URLSearchParams(await response.body.text()).get('oauth_token') ?? ''
      if (kind === 'floor-session') {
        await request.session.regenerate()
        request.session.set('at' as never, token as never)
        return reply.redirect('/done')
      }
      return reply.setCookie('at', token, { path: '/', httpOnly: true }).redirect('/done')
    })
    app.get('/done', async (request, reply) => reply.type('text/plain').send(kind === 'floor-session' ? request.session.get('at' as never) : request.cookies.at))
  } else {
    await app.register(fastifySession, { secret: 'a-session-secret-of-at-least-32-characters!', cookie: { secure: false }, saveUninitialized: false })
    await app.register(fastifyOAuth1, {
      ...consumer,
      requestTokenUrl: provider.requestTokenUrl,
      authorizeUrl: provider.authorizeUrl,
      accessTokenUrl: provider.accessTokenUrl,
      callbackUrl: origin + '/oauth/callback',
      secret: 'a-bench-flow-cookie-secret-of-32-chars-plus',
      flowState: kind as 'cookie' | 'session',
      successRedirect: '/done'
    })
    app.get('/done', async (request, reply) => reply.type('text/plain').send((await request.oauth1.getCredentials())?.token))
  }
  await app.ready()
  return { origin, close: async () => { await app.close(); server.close() } }
}

if (isMainThread) {
  const kind = process.argv[2] ?? 'cookie'
  const seconds = Number(process.argv[3] ?? 10)
  const code = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`
  const worker = new Worker(code, { eval: true, workerData: { role: 'profile-driver', seconds } })
  const [provider] = await once(worker, 'message') as [ProviderUrls & { origin: string }]
  const app = await startApp(kind, provider)
  const inspector = process.env.PROFILE_ALLOC === undefined ? undefined : new (await import('node:inspector')).Session()
  const post = (method: string, params?: object): Promise<unknown> => new Promise((resolve, reject) => inspector?.post(method, params, (error, result) => error === null ? resolve(result) : reject(error)))
  if (inspector !== undefined) {
    inspector.connect()
    await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  }
  const cpu0 = threadCpuUs()
  worker.postMessage(app.origin)
  const [flows] = await once(worker, 'message') as [number]
  const cpu = threadCpuUs() - cpu0
  if (inspector !== undefined) {
    const { profile } = await post('HeapProfiler.stopSampling') as { profile: unknown }
    ;(await import('node:fs')).writeFileSync(process.env.PROFILE_ALLOC as string, JSON.stringify({ flows, profile }))
  }
  console.log(`${kind}: ${flows} flows in ${seconds} s, app thread CPU ${(cpu / flows).toFixed(0)} us/flow`)
  await app.close()
  await worker.terminate()
} else if ((workerData as { role?: string } | null)?.role === 'profile-driver' && parentPort !== null) {
  const port = parentPort
  const provider = await startProvider()
  port.postMessage({ origin: provider.origin, requestTokenUrl: provider.requestTokenUrl, authorizeUrl: provider.authorizeUrl, accessTokenUrl: provider.accessTokenUrl })
  const [origin] = await once(port, 'message') as [string]
  port.postMessage(await drive(origin, (workerData as { seconds: number }).seconds, provider))
  await provider.close()
}
