/**
 * Two instances of the example app share sessions in Redis: the sign-in starts on instance A
 * (the started flow waits in its encrypted flow cookie, sealed with a key both instances derive
 * from SESSION_SECRET), the provider's callback lands on instance B (as behind a load balancer),
 * B stores the connected session in Redis, and A then serves the connected user's profile.
 *
 * Both instances are real processes (`node --import tsx example-app/src/main.ts`) with the same
 * SESSION_SECRET, PUBLIC_URL, REDIS_URL and a REDIS_KEY_PREFIX unique to this run. The embedded
 * demo provider is per process (random client secret, tokens in memory), so this test starts ONE
 * demo provider itself and points both instances at it with the OAUTH_* variables.
 *
 * Needs Redis on 127.0.0.1:6379: without it this test fails, it does not skip.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import t from 'tap'
import { request } from 'undici'
import { startDemoProvider, type StartedDemoProvider } from '../example-app/src/demo-provider.js'
import { type ExampleApp, freePort, startExampleApp } from './helpers/example-app.js'
import { CookieJar } from './helpers/cookie-jar.js'

const redisUrl = 'redis://127.0.0.1:6379'
const sessionSecret = randomBytes(32).toString('base64url')
const prefix = `fastify-oauth1-test:scale-out:${process.pid}-${randomBytes(6).toString('hex')}:`
const requestTimeouts = { headersTimeout: 10_000, bodyTimeout: 10_000 }

interface Answer {
  status: number
  location: string | undefined
  body: string
}

async function send (url: string, options: { jar?: CookieJar, method?: 'GET' | 'POST', form?: Record<string, string>, accept?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.jar?.header(), accept: options.accept ?? 'text/html' }
  let body: string | undefined
  if (options.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(options.form).toString()
  }
  const response = await request(url, { method: options.method ?? 'GET', headers, body, ...requestTimeouts })
  options.jar?.store(response.headers['set-cookie'])
  const location = response.headers.location
  return { status: response.statusCode, location: Array.isArray(location) ? location[0] : location, body: await response.body.text() }
}

async function keysUnderPrefix (redis: Redis): Promise<string[]> {
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

t.test('a sign-in started on instance A and finished on instance B is seen by A (sessions in Redis)', async (t) => {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false })
  let connectError: Error | undefined
  redis.on('error', (error: Error) => { connectError = error }) // reported below
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    redis.disconnect()
    t.fail(`Redis is not reachable at ${redisUrl} (${(connectError ?? error as Error).message}): the scale-out test needs a Redis server there (CI starts one; locally: redis-server --bind 127.0.0.1 --port 6379)`)
    return
  }
  t.teardown(async () => {
    const left = await keysUnderPrefix(redis)
    if (left.length > 0) await redis.del(...left)
    await redis.quit()
  })

  const demo: StartedDemoProvider = await startDemoProvider({ host: '127.0.0.1', port: 0 })
  t.teardown(() => demo.app.close())
  const provider = demo.provider
  const portA = await freePort()
  let portB = await freePort()
  while (portB === portA) portB = await freePort()
  const publicUrl = `http://127.0.0.1:${portA}`
  const shared = {
    HOST: '127.0.0.1',
    PUBLIC_URL: publicUrl,
    SESSION_SECRET: sessionSecret,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    OAUTH_CONSUMER_KEY: provider.consumerKey,
    OAUTH_CONSUMER_SECRET: provider.consumerSecret as string,
    OAUTH_REQUEST_TOKEN_URL: provider.requestTokenUrl,
    OAUTH_AUTHORIZE_URL: provider.authorizeUrl,
    OAUTH_ACCESS_TOKEN_URL: provider.accessTokenUrl,
    OAUTH_RESOURCE_URL: provider.resourceUrl,
    PROVIDER_NAME: 'demo',
    LOG_LEVEL: 'info'
  }
  const started = await Promise.allSettled([portA, portB].map((port) => startExampleApp({ ...shared, PORT: String(port) })))
  for (const result of started) if (result.status === 'fulfilled') t.teardown(() => result.value.close())
  for (const result of started) if (result.status === 'rejected') throw result.reason
  const [a, b] = started.map((result) => (result as PromiseFulfilledResult<ExampleApp>).value) as [ExampleApp, ExampleApp]
  const diagnostics = (): string => `\n--- instance A ---\n${a.output()}\n--- instance B ---\n${b.output()}`

  const jar = new CookieJar()

  // 1. Instance A: start the sign-in.
  const home = await send(`${a.origin}/`, { jar })
  t.equal(home.status, 200, 'A serves the home page')
  t.match(home.body, 'Not connected', 'not connected yet')
  const start = await send(`${a.origin}/oauth/start`, { jar })
  t.equal(start.status, 302, 'A redirects to the provider')
  const authorizeUrl = new URL(start.location ?? 'http://missing.invalid/')
  t.equal(authorizeUrl.origin + authorizeUrl.pathname, provider.authorizeUrl, 'to its authorize endpoint')
  const requestToken = authorizeUrl.searchParams.get('oauth_token')
  t.ok(requestToken, 'with a request token')
  t.ok([...jar.cookies.keys()].some((name) => name.startsWith('oauth1-oauth1-')), 'A put the started sign-in in its encrypted flow cookie')
  t.equal((await keysUnderPrefix(redis)).length, 0, 'a started sign-in costs no Redis session (the flow cookie carries it to any instance)')

  // 2. The provider: its page says it is a demo; the user approves.
  const page = await send(authorizeUrl.href)
  t.equal(page.status, 200, 'the provider shows its authorize page')
  t.match(page.body, 'Demo provider.', 'the authorize page says it is a demo')
  const approved = await send(`${demo.url}/oauth/authorize`, { method: 'POST', form: { oauth_token: requestToken as string, decision: 'approve' } })
  t.equal(approved.status, 303, 'the provider sends the user back')
  const callback = new URL(approved.location ?? 'http://missing.invalid/')
  t.equal(callback.origin + callback.pathname, `${publicUrl}/oauth/callback`, 'to PUBLIC_URL/oauth/callback')
  t.ok(callback.searchParams.get('oauth_verifier'), 'with a verifier')

  // 3. The load balancer delivers the callback to instance B.
  const finished = await send(`${b.origin}${callback.pathname}${callback.search}`, { jar })
  t.equal(finished.status, 302, `B completes the sign-in with A's session${finished.status === 302 ? '' : `: ${finished.body}${diagnostics()}`}`)
  t.equal(finished.location, '/', 'and redirects home')
  t.equal((await keysUnderPrefix(redis)).length, 1, `B created the connected session in Redis under ${prefix}`)
  t.notMatch(finished.location ?? '', 'oauth1_error', 'without an error')

  // 4. Instance A sees the connected session that B wrote.
  const me = await send(`${a.origin}/me`, { jar, accept: 'application/json' })
  t.equal(me.status, 200, `A serves /me for the connection made on B${me.status === 200 ? '' : `: ${me.body}${diagnostics()}`}`)
  let profile: unknown
  try {
    profile = JSON.parse(me.body)
  } catch {
    t.fail(`/me is not JSON: ${me.body}`)
  }
  t.same(profile, { id: '1001', screen_name: 'demo_user', name: 'Dana Demo' }, 'the profile from the provider, as JSON')
  const connectedHome = await send(`${a.origin}/`, { jar })
  t.match(connectedHome.body, 'Connected', 'A shows the account as connected')
  t.match(connectedHome.body, 'demo_user', 'with the screen name')
  t.equal((await send(`${b.origin}/me`, { jar, accept: 'application/json' })).status, 200, 'so does B')
  t.equal((await send(`${a.origin}/me`, { accept: 'application/json' })).status, 401, 'and no one without the cookie')
  t.equal((await keysUnderPrefix(redis)).length, 1, 'one session in Redis')

  // 5. Disconnecting on B ends the connection for A too.
  const disconnected = await send(`${b.origin}/disconnect`, { jar, method: 'POST' })
  t.equal(disconnected.status, 303, 'B disconnects')
  t.equal((await send(`${a.origin}/me`, { jar, accept: 'application/json' })).status, 401, 'A sees the disconnection made on B')
})
