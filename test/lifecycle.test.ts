import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { createClient } from '../src/http/client.js'
import { renewToken, revokeToken, tokenInvalidError, tokenLifetime } from '../src/provider/lifecycle.js'
import { checkSignature, closedPort, expectSigned, parseFormPairs, startServer } from './helpers/signature-check.js'
import { createProviderClient, type ProviderClient, type ProviderClientOptions } from '../src/provider/provider-client.js'
import { presets } from '../src/presets/presets.js'
import { startSessionProvider } from './helpers/session-provider.js'

const consumer = { consumerKey: 'ck', consumerSecret: 'cs' }
const user = { token: 'at-1', tokenSecret: 'as-1' }

t.test('tokenLifetime reads OAuth Session 1.0 and Evernote fields', async (t) => {
  const now = 1_700_000_000_000
  t.same(tokenLifetime({ oauth_expires_in: '3600', oauth_authorization_expires_in: '86400', oauth_session_handle: 'h-1' }, now), {
    expiresAt: now + 3_600_000,
    authorizationExpiresAt: now + 86_400_000,
    sessionHandle: 'h-1'
  })
  t.same(tokenLifetime({ edam_expires: '1735689600000', edam_userId: '42' }, now), { expiresAt: 1735689600000 }, 'Evernote: ms since the epoch')
  t.same(tokenLifetime({ oauth_expires_in: '1e9' }, now), {}, 'not digits: ignored')
  t.same(tokenLifetime({ oauth_expires_in: '-5', edam_expires: 'soon' }, now), {}, 'negative and words ignored')
  t.same(tokenLifetime({ oauth_expires_in: '999999999999' }, now), {}, 'absurd delays ignored')
  t.same(tokenLifetime({ oauth_session_handle: '' }, now), {}, 'an empty handle is no handle')
  t.same(tokenLifetime({ oauth_session_handle: 'x'.repeat(1025) }, now), {}, 'an oversized handle is dropped')
  t.same(tokenLifetime({}, now), {})
})

t.test('revokeToken calls an X-style invalidate_token endpoint signed with the user token', async (t) => {
  const server = await startServer((request, response) => {
    const check = checkSignature(request, { ...consumer, tokenSecret: user.tokenSecret })
    if (!check.valid) {
      response.writeHead(401, { 'content-type': 'application/json' })
      response.end('{"errors":[{"code":32,"message":"Could not authenticate you."}]}')
      return
    }
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ access_token: check.oauth.oauth_token }))
  })
  t.teardown(() => server.close())
  const client = createClient(consumer)
  t.teardown(() => client.close())
  await revokeToken(client, `${server.origin}/1.1/oauth/invalidate_token`, user)
  const sent = expectSigned(t, server.requests[0], { ...consumer, tokenSecret: user.tokenSecret })
  t.equal(server.requests[0]?.method, 'POST')
  t.equal(sent.oauth.oauth_token, 'at-1')

  await t.rejects(revokeToken(client, `${server.origin}/1.1/oauth/invalidate_token`, { token: 'at-1', tokenSecret: 'wrong' }),
    { code: ErrorCodes.REVOKE_FAILED, statusCode: 502, status: 401 }, 'a refused signature is a failed revocation')
})

t.test('revokeToken: a token the provider already considers invalid counts as revoked', async (t) => {
  const server = await startServer((_request, response) => {
    response.writeHead(401, { 'content-type': 'application/json' })
    response.end('{"errors":[{"code":89,"message":"Invalid or expired token."}]}')
  })
  t.teardown(() => server.close())
  const client = createClient(consumer)
  t.teardown(() => client.close())
  await revokeToken(client, `${server.origin}/revoke`, user)
  t.equal(server.requests.length, 1)
})

t.test('revokeToken reports provider errors and unreachable providers as OAUTH1_REVOKE_FAILED', async (t) => {
  const server = await startServer((_request, response) => {
    response.writeHead(503, { 'content-type': 'application/x-www-form-urlencoded' })
    response.end('oauth_problem=service_unavailable')
  })
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, timeout: 500 })
  t.teardown(() => client.close())
  const error = await revokeToken(client, `${server.origin}/revoke`, user).then(() => undefined, (caught: unknown) => caught)
  t.match(error, { code: ErrorCodes.REVOKE_FAILED, status: 503, problem: 'service_unavailable' })
  t.notMatch(String((error as Error).message), /as-1/, 'no secret in the message')

  const port = await closedPort()
  await t.rejects(revokeToken(client, `http://127.0.0.1:${port}/revoke`, user), { code: ErrorCodes.REVOKE_FAILED, message: /OAUTH1_NETWORK/ })
})

t.test('renewToken exchanges the session handle at the access-token endpoint', async (t) => {
  const secrets = new Map([['at-1', 'as-1']])
  const server = await startServer((request, response) => {
    const header = checkSignature(request, consumer).oauth
    const tokenSecret = secrets.get(header.oauth_token ?? '') ?? 'unknown'
    const check = checkSignature(request, { ...consumer, tokenSecret })
    if (!check.valid || check.oauth.oauth_session_handle !== 'h-1') {
      response.writeHead(401, { 'content-type': 'application/x-www-form-urlencoded' })
      response.end('oauth_problem=token_rejected')
      return
    }
    secrets.set('at-2', 'as-2')
    response.setHeader('content-type', 'application/x-www-form-urlencoded')
    response.end('oauth_token=at-2&oauth_token_secret=as-2&oauth_session_handle=h-1&oauth_expires_in=3600&oauth_authorization_expires_in=86400')
  })
  t.teardown(() => server.close())
  const client = createClient(consumer)
  t.teardown(() => client.close())
  const renewed = await renewToken(client, `${server.origin}/oauth/access_token`, { ...user, sessionHandle: 'h-1' })
  t.equal(renewed.token, 'at-2')
  t.equal(renewed.tokenSecret, 'as-2')
  t.equal(renewed.extra.oauth_session_handle, 'h-1')
  const sent = expectSigned(t, server.requests[0], { ...consumer, tokenSecret: 'as-1' })
  t.equal(sent.oauth.oauth_session_handle, 'h-1', 'the handle is a signed protocol parameter')
  t.same(parseFormPairs(server.requests[0]?.body.toString() ?? ''), [], 'nothing in the body')
  const lifetime = tokenLifetime(renewed.extra, Date.now())
  t.ok((lifetime.expiresAt ?? 0) > Date.now(), 'the renewed token has an expiry')

  await t.rejects(renewToken(client, `${server.origin}/oauth/access_token`, { ...user, sessionHandle: 'h-other' }),
    { code: ErrorCodes.TOKEN_INVALID, statusCode: 401, problem: 'token_rejected' })
  await t.rejects(renewToken(client, `${server.origin}/oauth/access_token`, user), { code: ErrorCodes.TOKEN_INVALID, message: /no oauth_session_handle/ })
  t.equal(server.requests.length, 2, 'no request without a handle')
})

t.test('tokenInvalidError recognises refusals of the token itself, and nothing else', async (t) => {
  const answers: Array<[number, Record<string, string>, string]> = [
    [401, { 'www-authenticate': 'OAuth realm="x", oauth_problem="token_expired"' }, ''],
    [401, { 'content-type': 'application/x-www-form-urlencoded' }, 'oauth_problem=token_revoked'],
    [401, { 'content-type': 'application/x-www-form-urlencoded' }, 'oauth_problem=token_rejected&oauth_problem_advice=again'],
    [401, { 'content-type': 'application/json' }, '{"errors":[{"code":89,"message":"Invalid or expired token."}]}'],
    [401, { 'content-type': 'application/x-www-form-urlencoded' }, 'oauth_problem=signature_invalid'],
    [401, { 'content-type': 'application/json' }, '{"errors":[{"code":32}]}'],
    [403, { 'content-type': 'application/x-www-form-urlencoded' }, 'oauth_problem=token_revoked'],
    [401, { 'content-type': 'application/json' }, '{not json']
  ]
  let index = 0
  const server = await startServer((_request, response) => {
    const [status, headers, body] = answers[index++] as [number, Record<string, string>, string]
    response.writeHead(status, headers)
    response.end(body)
  })
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, correctClockSkew: false }).withToken(user)
  const results = []
  for (let i = 0; i < answers.length; i++) results.push(tokenInvalidError(await client.get(`${server.origin}/api`)))
  t.same(results.map((error) => error?.code), [
    ErrorCodes.TOKEN_INVALID, ErrorCodes.TOKEN_INVALID, ErrorCodes.TOKEN_INVALID, ErrorCodes.TOKEN_INVALID,
    undefined, undefined, undefined, undefined
  ])
  t.match(results[0], { statusCode: 401, status: 401, problem: 'token_expired' })
  t.match(results[2], { advice: 'again' })
})

function providerClientFor (origin: string, extra: Partial<ProviderClientOptions> = {}): ProviderClient {
  return createProviderClient({
    ...consumer,
    requestTokenUrl: `${origin}/oauth/request_token`,
    authorizeUrl: `${origin}/oauth/authorize`,
    accessTokenUrl: `${origin}/oauth/access_token`,
    ...extra
  })
}

t.test('providerClient.revoke: X invalidate_token signed with the user token; the token stops working', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const providerClient = providerClientFor(provider.origin, { revokeUrl: `${provider.origin}/1.1/oauth/invalidate_token` })
  t.teardown(() => providerClient.close())
  t.equal(providerClient.canRevoke, true)
  const credentials = provider.issue('at-x')
  await providerClient.revoke(credentials)
  t.equal(provider.tokens.get('at-x')?.state, 'revoked')
  const sent = expectSigned(t, provider.calls('/1.1/oauth/invalidate_token')[0], { ...consumer, tokenSecret: 'at-x-secret' })
  t.equal(sent.oauth.oauth_token, 'at-x')
  await providerClient.revoke(credentials)
  t.pass('revoking a token X already considers invalid (code 89) succeeds')
  await t.rejects(providerClient.revoke({ token: 'at-x', tokenSecret: 'wrong' }), { code: ErrorCodes.REVOKE_FAILED, statusCode: 502 })

  const none = providerClientFor(provider.origin)
  t.teardown(() => none.close())
  t.equal(none.canRevoke, false)
  await t.rejects(none.revoke(credentials), { code: ErrorCodes.INVALID_REQUEST, message: /no revokeUrl/ })
  t.equal(presets.x.revokeUrl, 'https://api.x.com/1.1/oauth/invalidate_token', 'the X preset carries the endpoint')
  t.throws(() => providerClientFor(provider.origin, { revokeUrl: 'ftp://x' }), { code: ErrorCodes.INVALID_OPTION, message: /revokeUrl/ })
})

t.test('getAccessToken: Evernote\'s edam_expires and OAuth Session fields become the token\'s lifetime', async (t) => {
  const evernote = await startServer((request, response) => {
    if (!checkSignature(request, { ...consumer, tokenSecret: 'rs' }).valid) {
      response.writeHead(401)
      response.end()
      return
    }
    // Evernote's real answer: the token, an empty secret, and the edam_* fields (edam_expires in ms since the epoch).
    response.end('oauth_token=S%3Ds1%3AU%3D1&oauth_token_secret=&edam_shard=s1&edam_userId=42&edam_expires=1767225600000&edam_noteStoreUrl=https%3A%2F%2Fwww.evernote.com%2Fshard%2Fs1%2Fnotestore')
  })
  t.teardown(() => evernote.close())
  const providerClient = providerClientFor(evernote.origin)
  t.teardown(() => providerClient.close())
  const access = await providerClient.getAccessToken({ token: 'rt', tokenSecret: 'rs' }, 'v')
  t.equal(access.token, 'S=s1:U=1')
  t.equal(access.expiresAt, 1767225600000)
  t.equal(access.sessionHandle, undefined)

  const session = await startServer((_request, response) => {
    response.end('oauth_token=at&oauth_token_secret=as&oauth_session_handle=h-9&oauth_expires_in=3600&oauth_authorization_expires_in=86400')
  })
  t.teardown(() => session.close())
  const sessionFlow = providerClientFor(session.origin)
  t.teardown(() => sessionFlow.close())
  const before = Date.now()
  const renewable = await sessionFlow.getAccessToken({ token: 'rt', tokenSecret: 'rs' }, 'v')
  t.equal(renewable.sessionHandle, 'h-9')
  t.ok((renewable.expiresAt ?? 0) >= before + 3_600_000 && (renewable.expiresAt ?? 0) <= Date.now() + 3_600_000)
  t.ok((renewable.authorizationExpiresAt ?? 0) >= before + 86_400_000)
})

t.test('providerClient.renew: an expired token is exchanged with its session handle for a fresh one', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const providerClient = providerClientFor(provider.origin)
  t.teardown(() => providerClient.close())
  const old = provider.issue('at-s')
  provider.tokens.get('at-s')!.state = 'expired'
  const expired = await providerClient.clientFor(old).get(`${provider.origin}/api/me`)
  t.match(tokenInvalidError(expired), { code: ErrorCodes.TOKEN_INVALID, problem: 'token_expired' })

  const fresh = await providerClient.renew(old)
  t.match(fresh, { token: 'renewed-1', tokenSecret: 'renewed-secret-1', sessionHandle: 'handle-of-at-s' })
  t.ok((fresh.expiresAt ?? 0) > Date.now())
  const renewal = expectSigned(t, provider.calls('/oauth/access_token')[0], { ...consumer, tokenSecret: 'at-s-secret' }, 'signed with the old token')
  t.equal(renewal.oauth.oauth_session_handle, 'handle-of-at-s')
  t.equal((await providerClient.clientFor(fresh).get(`${provider.origin}/api/me`)).status, 200, 'the fresh token works')
  await t.rejects(providerClient.renew(provider.issue('no-handle', { handle: false })), { code: ErrorCodes.TOKEN_INVALID, message: /no oauth_session_handle/ })
})
