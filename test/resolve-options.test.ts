// The option resolution of both adapters (src/sign-in/resolve-options.ts): one pass that checks,
// applies the preset once and returns a frozen config grouped by concern.
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { resolveOptions } from '../src/sign-in/resolve-options.js'
import { x } from '../src/presets/presets.js'

const env = { hasSession: true, sessionNeeded: 'a session', sessionMissing: 'no session plugin' }
const base = { provider: 'x' as const, consumerKey: 'key', consumerSecret: 'secret', callbackUrl: 'https://app.example/oauth/callback', flowSecret: 'a-flow-cookie-secret-of-at-least-32-chars' }

t.test('the preset is applied once and the provider options are grouped: consumer, endpoints, http', async (t) => {
  const config = resolveOptions({ ...base, timeout: 5000, authorizeParams: { force_login: 'true' } }, env)
  t.match(config.consumer, { consumerKey: 'key', consumerSecret: 'secret', signatureMethod: 'HMAC-SHA1' })
  t.match(config.endpoints, { requestTokenUrl: x.requestTokenUrl, accessTokenUrl: x.accessTokenUrl, authorizeParams: { force_login: 'true' } })
  t.match(config.http, { baseUrl: x.baseUrl, timeout: 5000, apiOrigins: x.apiOrigins })
  t.strictSame(config.provider.denial, ['denied-param'], 'the preset facts')
  for (const group of [config.consumer, config.endpoints, config.http]) {
    t.notOk('provider' in group, 'no group carries the preset to apply again')
    t.notOk('timeout' in group && group !== config.http, 'each key in one group')
  }
  t.notOk('requestTokenUrl' in config.http)
  t.notOk('consumerKey' in config.endpoints)
})

t.test('the config is frozen, groups included', async (t) => {
  const config = resolveOptions(base, env)
  for (const part of [config, config.consumer, config.endpoints, config.http, config.provider, config.routes, config.flowState, config.credentials, config.hooks]) {
    t.ok(Object.isFrozen(part))
  }
  t.match(config.routes, { startPath: '/oauth/start', callbackPath: '/oauth/callback', callbackPathOption: 'callbackUrl', successRedirect: '/', returnToParam: 'returnTo' })
  t.match(config.flowState, { kind: 'cookie', limits: { ttl: 600_000, max: 5 }, maxConcurrentStarts: 100 })
  t.match(config.credentials, { sessionKey: 'oauth1:oauth1', inSession: true, sealer: undefined })
})

t.test('per-request authorizeParams stay a function of the request; the fixed ones are the preset\'s', async (t) => {
  const perRequest = (request: { id: string }): Record<string, string> => ({ screen_name: request.id })
  const config = resolveOptions({ ...base, provider: 'trello', authorizeParams: perRequest }, env)
  t.equal(config.routes.authorizeParams, perRequest)
  t.match(config.endpoints.authorizeParams, { name: 'My App', scope: 'read' })
})

t.test('credentials without a session and without hooks: the missing plugin is named, not saveCredentials', async (t) => {
  t.throws(() => resolveOptions(base, { ...env, hasSession: false }), { code: ErrorCodes.INVALID_OPTION, message: /^no session plugin or pass saveCredentials\/loadCredentials/ })
  const hooks = resolveOptions({ ...base, saveCredentials: async () => {}, loadCredentials: async () => undefined }, { ...env, hasSession: false })
  t.equal(hooks.needsSession, false)
})

t.test('callbackOrigins: a string callbackUrl\'s own origin comes first; a function needs the list', async (t) => {
  t.equal(resolveOptions(base, env).routes.callbackOrigins, undefined, 'unset: connect allows only the callback URL\'s origin')
  const both = resolveOptions({ ...base, callbackOrigins: ['https://preview.app.example'] }, env).routes.callbackOrigins
  t.strictSame(both, ['https://app.example', 'https://preview.app.example'])
  t.ok(Object.isFrozen(both))
  t.throws(() => resolveOptions({ ...base, callbackUrl: () => 'https://app.example/oauth/callback' }, env), { code: ErrorCodes.INVALID_OPTION, message: /"callbackOrigins"/ })
})
