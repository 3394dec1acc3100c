/**
 * The three-legged flow through the Express middleware (Express 4 and 5; express-session with
 * the cookie or the session flow store, and no session at all with credentials in a "DB")
 * against the provider built on python oauthlib's endpoints. oauthlib judges every signature,
 * token and verifier; its /_test/stats counts the exchanges it saw.
 *
 * Needs /usr/bin/python3 with python3-oauthlib python3-jwt python3-cryptography (Debian):
 * without them this test fails, it does not skip.
 */
import type { Request } from 'express'
import t from 'tap'
import { request } from 'undici'
import type { ExpressOAuth1Options, OAuth1Credentials } from '../src/express/index.js'
import { Browser } from '../test/helpers/adapter-suite.js'
import { expressVersions, serveExpress } from '../test/helpers/express-app.js'
import { type OauthlibProvider, startOauthlibProvider } from './helpers/oauthlib-provider.js'
import { debianPackages } from './helpers/python.js'

const consumerKey = 'fastifyoauth1expresskey01'
const consumerSecret = 'express-s3cret&=+% é'
const tokenPattern = /^[A-Za-z0-9]{30}$/
const demoUser = { id: '1001', screen_name: 'demo_user' }

t.test('the Express middleware against the oauthlib provider', async (t) => {
  let provider: OauthlibProvider
  try {
    provider = await startOauthlibProvider({ consumerKey, consumerSecret, callbackPrefix: 'http://127.0.0.1:' })
  } catch (error) {
    t.fail(`oauthlib provider unavailable; the integration suite needs the Debian packages ${debianPackages}: ${(error as Error).message}`)
    return
  }
  t.teardown(() => provider.close())
  const origin = provider.origin
  const exchanges = async (): Promise<{ calls: number, ok: number }> => {
    const stats = await (await request(`${origin}/_test/stats`)).body.json() as Record<string, { calls: number, ok: number } | undefined>
    return stats['POST /oauth/access_token'] ?? { calls: 0, ok: 0 }
  }
  const authorize = async (authorizeUrl: string, deny = false): Promise<string> => {
    const response = await request(deny ? `${authorizeUrl}&deny=1` : authorizeUrl)
    const body = await response.body.text()
    if (response.statusCode !== 302) throw new Error(`authorize answered ${response.statusCode}: ${body}`)
    return String(response.headers.location)
  }

  const setups = ['cookie', 'session', 'stateless'] as const
  for (const [label, express] of expressVersions) {
    for (const mode of setups) {
      t.test(`${label}, ${mode}`, async (t) => {
        const db = new Map<string, OAuth1Credentials>()
        const user = (req: Request): string => String(req.headers['x-user'])
        const options: ExpressOAuth1Options = {
          consumerKey,
          consumerSecret,
          requestTokenUrl: `${origin}/oauth/request_token`,
          authorizeUrl: `${origin}/oauth/authorize`,
          accessTokenUrl: `${origin}/oauth/access_token`,
          callbackUrl: (req) => `http://${String(req.headers.host)}/oauth/callback`,
          ...(mode === 'session' ? { flowState: 'session' } : { flowSecret: 'an-integration-flow-secret-of-32-chars-or-more' }),
          ...(mode === 'stateless'
            ? {
                saveCredentials: async (req, credentials) => { db.set(user(req), credentials) },
                loadCredentials: async (req) => db.get(user(req))
              }
            : {})
        }
        const served = await serveExpress(options, {
          express,
          session: mode !== 'stateless',
          routes (app) {
            app.get('/me', (req, res, next) => {
              req.oauth1.get(`${origin}/api/me`, { query: { fields: 'id,screen_name', q: 'café 😀 a+b' } })
                .then((response) => { res.status(response.status).json(response.json()) }, next)
            })
          }
        })
        t.teardown(() => served.close())
        const appOrigin = served.origin

        const before = await exchanges()
        const browser = new Browser(appOrigin)
        t.equal((await browser.get('/me')).json().code, 'OAUTH1_NOT_CONNECTED', 'before connecting: 401 NOT_CONNECTED')
        const authorizeUrl = await browser.start()
        const token = new URL(authorizeUrl).searchParams.get('oauth_token')
        t.match(token, tokenPattern, 'oauthlib\'s request token')
        const sessionBefore = browser.cookies.get('connect.sid')
        const location = await authorize(authorizeUrl)
        t.equal(new URL(location).origin, appOrigin, 'authorize: back to the app')
        const done = await browser.get(location)
        t.equal(done.status, 302, 'callback: 302', { body: done.body })
        t.equal(done.location, '/')
        t.same(await exchanges(), { calls: before.calls + 1, ok: before.ok + 1 }, 'oauthlib saw exactly one exchange and accepted it')
        if (mode !== 'stateless') {
          t.ok(browser.cookies.get('connect.sid'), 'a session cookie')
          t.not(browser.cookies.get('connect.sid'), sessionBefore, 'the session id was regenerated')
        } else {
          t.equal(browser.cookies.get('connect.sid'), undefined, 'no session at all')
          t.match(db.get('alice')?.token, tokenPattern, 'the credentials in the "DB"')
        }
        const me = await browser.get('/me')
        t.equal(me.status, 200, 'GET /api/me signed as the user: oauthlib verified it', { body: me.body })
        t.same(me.json(), demoUser)

        const replayed = await browser.get(location)
        t.ok(replayed.status >= 400 && replayed.status < 500, `the callback replayed: 4xx (${replayed.status})`)

        const denying = new Browser(appOrigin, 'bob')
        const denied = await denying.get(await authorize(await denying.start(), true))
        t.equal(denied.status, 403, 'a denial: 403')
        t.equal(denied.json().code, 'OAUTH1_ACCESS_DENIED')

        const doubled = new Browser(appOrigin, 'carol')
        const target = await authorize(await doubled.start())
        const answers = (await Promise.all([doubled.get(target), doubled.get(target)])).map((answer) => answer.status).sort()
        t.equal(answers[0], 302, 'a doubled callback: one connects')
        t.ok((answers[1] ?? 0) >= 400 && (answers[1] ?? 0) < 500, `the other 4xx (${answers[1]})`)
        t.same(await exchanges(), { calls: before.calls + 2, ok: before.ok + 2 }, 'oauthlib saw one exchange for alice and one for carol, none for the replay or the denial')
      })
    }
  }
})
