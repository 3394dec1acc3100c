import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { createClient } from '../src/http/client.js'
import { renewToken, revokeToken, tokenInvalidError, tokenLifetime } from '../src/flow/lifecycle.js'
import { checkSignature, closedPort, expectSigned, parseFormPairs, startServer } from './helpers/signature-check.js'

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
