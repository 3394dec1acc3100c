// The README's code, compiled by `tsc` (npm test runs it over test/): if the API drifts from the
// README, the type check fails. The app is built and made ready, which also validates the options.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import t from 'tap'
import { Agent, interceptors } from 'undici'
import fastifyOAuth1, {
  createClient, createSigner, createSigningInterceptor, evernote, netsuite,
  type OAuth1RequestDecorations, type OAuth1InstanceDecorations, type OAuth1SessionData
} from '../src/index.js'

declare module 'fastify' {
  interface FastifyRequest extends OAuth1RequestDecorations<'trello' | 'flickr'> {}
  interface FastifyInstance extends OAuth1InstanceDecorations<'trello' | 'flickr'> {}
  interface Session extends OAuth1SessionData<'trello' | 'flickr'> {} // request.session.get('oauth1:trello')
}

const consumerKey = 'key'
const consumerSecret = 'secret'
const token = 'token'
const tokenSecret = 'token-secret'
const flowSecret = 'a-flow-cookie-secret-of-at-least-32-chars'

t.test('the "Use it in your app" snippet registers and is ready', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: 'a-session-secret-of-at-least-32-characters!',
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax' }
  })
  await app.register(fastifyOAuth1, {
    provider: 'x',
    consumerKey,
    consumerSecret,
    callbackUrl: 'https://app.example.com/oauth/callback',
    flowSecret,
    requestTokenParams: { x_auth_access_type: 'read' }
  })
  await app.register(fastifyOAuth1, {
    name: 'trello',
    provider: 'trello',
    consumerKey,
    consumerSecret,
    flowSecret,
    callbackUrl: 'https://app.example.com/oauth/trello/callback',
    authorizeParams: { name: 'My App', scope: 'read,write', expiration: '30days' }
  })
  await app.register(fastifyOAuth1, { name: 'evernote', provider: evernote({ sandbox: true }), consumerKey, consumerSecret, flowSecret, callbackUrl: 'https://app.example.com/oauth/evernote/callback' })
  app.get('/profile', async (request) => {
    const response = await request.oauth1.get('1.1/account/verify_credentials.json')
    return response.json()
  })
  await app.ready()
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/start' }))
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/trello/start' }))
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/trello/callback' }))
  t.match(app.trello.authorizeUrl('rt'), /^https:\/\/trello\.com\/1\/OAuthAuthorizeToken\?name=My%20App&scope=read%2Cwrite&expiration=30days&oauth_token=rt$/)
  const profile = await app.inject({ method: 'GET', url: '/profile' })
  t.equal(profile.statusCode, 401, 'not connected yet')
  t.equal(profile.json().code, 'OAUTH1_NOT_CONNECTED')
})

t.test('the two-legged snippets construct', async (t) => {
  const api = createClient({ consumerKey, consumerSecret, token, tokenSecret, baseUrl: 'https://partner.example/v1/' })
  const suite = createClient({ provider: netsuite({ accountId: '1234567-sb1' }), consumerKey, consumerSecret, token, tokenSecret })
  const signer = createSigner({ consumerKey, consumerSecret, signatureMethod: 'HMAC-SHA256', realm: '1234567_SB1' })
  const { headers } = signer.sign({ method: 'POST', url: 'https://partner.example/v1/orders', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, { token, tokenSecret })
  t.match(String(headers.authorization), /^OAuth realm="1234567_SB1", oauth_consumer_key="key"/)
  const agent = new Agent().compose(createSigningInterceptor({ consumerKey, consumerSecret, origins: ['https://partner.example'] }), interceptors.redirect({ maxRedirections: 3 }))
  t.equal(typeof agent.request, 'function')
  await Promise.all([api.close(), suite.close(), agent.close()])
})
