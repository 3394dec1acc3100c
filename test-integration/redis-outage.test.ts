/**
 * The example app with its sessions in a Redis that goes away mid-flow and comes back.
 *
 * This test runs its own `redis-server` on a free loopback port, without persistence, as a child
 * process; the example app runs as `npm start` does (a child process, the embedded demo
 * provider) with REDIS_URL pointing at it. One user is connected (a session in Redis); a new
 * visitor's sign-in is started and approved at the provider (it waits in its flow cookie, no
 * server session yet). Then Redis is stopped: /healthz, the connected user's pages, every
 * /oauth/start and the visitor's callback answer a coded 503 (OAUTH1_STORE_UNAVAILABLE; an HTML
 * page for a browser), never a raw 500 and never a redirect to the provider; the callback does
 * not spend the verifier. Redis is started again on the same port: the app recovers without a
 * restart, the visitor's same callback URL completes, the connected user (whose session died
 * with a Redis without persistence) connects again, and Redis holds the credentials sealed
 * (no token secret in clear).
 *
 * Needs `redis-server` on PATH: without it this test fails, it does not skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { request } from 'undici'
import { type ExampleApp, freePort, startExampleApp } from './helpers/example-app.js'
import { CookieJar } from './helpers/cookie-jar.js'

const timeouts = { headersTimeout: 15_000, bodyTimeout: 15_000 }

interface Answer {
  status: number
  location: string | undefined
  contentType: string
  body: string
}

async function send (url: string, options: { jar?: CookieJar, form?: Record<string, string>, accept?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.jar?.header(), accept: options.accept ?? 'text/html' }
  let body: string | undefined
  if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  }
  const response = await request(url, { method: body === undefined ? 'GET' : 'POST', headers, body, ...timeouts })
  options.jar?.store(response.headers['set-cookie'])
  const location = response.headers.location
  return {
    status: response.statusCode,
    location: typeof location === 'string' ? location : undefined,
    contentType: String(response.headers['content-type'] ?? ''),
    body: await response.body.text()
  }
}

interface RedisServer {
  port: number
  stop (): Promise<void>
}

async function startRedis (port: number): Promise<RedisServer> {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => { output += chunk })
  let gone = false
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    gone = true
    resolve()
  }))
  const deadline = Date.now() + 10_000
  while (!/Ready to accept connections/.test(output)) {
    if (gone) throw new Error(`redis-server exited:\n${output}`)
    if (Date.now() > deadline) throw new Error(`redis-server did not start:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    port,
    async stop () {
      if (gone) return
      child.kill('SIGKILL')
      await exited
    }
  }
}

/** Approves at the demo provider; returns the callback URL it sends the browser to. */
async function approve (authorizeUrl: string): Promise<string> {
  const page = await send(authorizeUrl)
  const token = /name="oauth_token" value="([^"]+)"/.exec(page.body)?.[1]
  if (page.status !== 200 || token === undefined) throw new Error(`authorize page: HTTP ${page.status}`)
  const answer = await send(new URL('/oauth/authorize', authorizeUrl).href, { form: { oauth_token: token, decision: 'approve' } })
  if (answer.status !== 303 || answer.location === undefined) throw new Error(`approve: HTTP ${answer.status}`)
  return answer.location
}

async function waitFor (what: string, check: () => Promise<boolean>, milliseconds: number): Promise<void> {
  const deadline = Date.now() + milliseconds
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${milliseconds} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

t.test('Redis stopped mid-flow and started again: coded 503s, no redirect to the provider, recovery', async (t) => {
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    t.fail('redis-server is not on PATH: this test needs it (apt-get install redis-server)')
    return
  }
  const redisPort = await freePort()
  let redis = await startRedis(redisPort)
  t.teardown(() => redis.stop())

  let app: ExampleApp | undefined
  for (let attempt = 0; app === undefined; attempt++) {
    const port = await freePort()
    let demoPort = await freePort()
    while (demoPort === port || demoPort === redisPort) demoPort = await freePort()
    try {
      app = await startExampleApp({
        HOST: '127.0.0.1',
        PORT: String(port),
        DEMO_PROVIDER_PORT: String(demoPort),
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        LOG_LEVEL: 'warn'
      })
    } catch (error) {
      if (attempt === 2 || !/already in use/.test((error as Error).message)) throw error
    }
  }
  const started = app
  t.teardown(() => started.close())
  const origin = started.origin
  const output = (): string => `\n--- example app output ---\n${started.output()}`

  const health = await send(`${origin}/healthz`, { accept: 'application/json' })
  t.equal(health.status, 200, 'healthy with Redis up')
  t.same(JSON.parse(health.body), { status: 'ok', sessionStore: 'redis' })

  const connected = new CookieJar()
  const first = await send(`${origin}/oauth/start`, { jar: connected })
  t.equal((await send(await approve(first.location as string), { jar: connected })).location, '/', 'a user connects')
  t.ok(connected.cookies.has('sid'), 'with a session in Redis')

  // Mid-flow: started and approved at the provider, the callback not yet back.
  const jar = new CookieJar()
  const start = await send(`${origin}/oauth/start`, { jar })
  t.equal(start.status, 302, 'the flow starts')
  const callback = await approve(start.location as string)
  t.notOk(jar.cookies.has('sid'), 'no server session for a started flow (it waits in its cookie)')

  await redis.stop()

  const down = await send(`${origin}/healthz`, { accept: 'application/json' })
  t.equal(down.status, 503, `/healthz reports the store${down.status === 503 ? '' : output()}`)
  t.same(JSON.parse(down.body), { status: 'unavailable', sessionStore: 'redis', error: 'OAUTH1_STORE_UNAVAILABLE' })

  for (const [name, url, who] of [
    ['home page, connected user', `${origin}/`, connected],
    ['profile, connected user', `${origin}/me`, connected],
    ['start, connected user', `${origin}/oauth/start`, connected],
    ['start, new visitor', `${origin}/oauth/start`, new CookieJar()],
    ['callback of the started flow', callback, jar]
  ] as const) {
    const before = new Map(who.cookies)
    const answer = await send(url, { jar: who })
    t.equal(answer.status, 503, `${name}: 503${answer.status === 503 ? '' : `\n${answer.body.slice(0, 300)}${output()}`}`)
    t.equal(answer.location, undefined, `${name}: no redirect`)
    t.match(answer.contentType, /^text\/html/, `${name}: an HTML page`)
    t.match(answer.body, 'OAUTH1_STORE_UNAVAILABLE', `${name}: the code`)
    t.match(answer.body, 'cannot reach its session store', `${name}: a clear sentence`)
    t.notMatch(answer.body, /max retries|ECONNREFUSED/i, `${name}: not Redis' message`)
    t.same(who.cookies, before, `${name}: no cookie changed`)
  }
  const api = await send(`${origin}/oauth/start`, { accept: 'application/json' })
  t.equal(api.status, 503)
  t.equal(JSON.parse(api.body).error, 'OAUTH1_STORE_UNAVAILABLE', 'JSON clients get the code')

  redis = await startRedis(redisPort)
  await waitFor('the app reconnects to Redis', async () => (await send(`${origin}/healthz`, { accept: 'application/json' })).status === 200, 15_000)
  t.pass('/healthz is 200 again, without restarting the app')

  const resumed = await send(callback, { jar })
  t.equal(resumed.location, '/', `the flow approved before the outage completes with the same callback URL${resumed.location === '/' ? '' : output()}`)
  t.match((await send(`${origin}/`, { jar })).body, 'Dana Demo', 'connected, the profile read with the credentials from Redis')

  const lost = await send(`${origin}/`, { jar: connected })
  t.equal(lost.status, 200)
  t.match(lost.body, 'Not connected', 'the connected user\'s session died with Redis (no persistence)')
  const again = await send(`${origin}/oauth/start`, { jar: connected })
  t.equal(again.status, 302, 'a new flow starts')
  const back = await send(await approve(again.location as string), { jar: connected })
  t.equal(back.location, '/', `and completes${back.location === '/' ? '' : output()}`)
  const home = await send(`${origin}/`, { jar: connected })
  t.match(home.body, 'Connected')
  t.match(home.body, 'Dana Demo')

  const client = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true, maxRetriesPerRequest: 1 })
  t.teardown(() => client.disconnect())
  await client.connect()
  const keys = await client.keys('sess:*')
  t.equal(keys.length, 2, 'two sessions in Redis, one per connected browser')
  for (const key of keys) {
    const stored = await client.get(key) ?? ''
    t.match(stored, /"oauth1:oauth1":\{"sealed":"[\w-]+"\}/, 'the credentials are sealed')
    t.notMatch(stored, /tokenSecret|oauth_token_secret|demo_user/, 'no credential in clear')
  }
})
