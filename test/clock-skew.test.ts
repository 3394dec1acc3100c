import type { ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import { createClient, type ClientOptions } from '../src/http/client.js'
import { clockSkewCorrection, correctedClockOffset, defaultMaxClockSkew, maxTimestamp, unexplainedSkewThreshold } from '../src/http/clock-skew.js'
import { createProviderClient } from '../src/provider/provider-client.js'
import { ErrorCodes, OAuthProblems } from '../src/errors.js'
import { checkSignature, type RecordedRequest, startServer } from './helpers/signature-check.js'

const consumerKey = 'skew-consumer-key'
const consumerSecret = 'skew-consumer-secret'
const ours = 1_700_000_000
const httpDate = (seconds: number): string => new Date(seconds * 1000).toUTCString()

t.test('clockSkewCorrection: oauth_acceptable_timestamps gives the midpoint of the range', async (t) => {
  const header = 'OAuth realm="r", oauth_problem="timestamp_refused", oauth_acceptable_timestamps="1700003000-1700004200"'
  t.equal(clockSkewCorrection(401, { 'www-authenticate': header }, '', ours), 3600, 'from WWW-Authenticate')
  t.equal(clockSkewCorrection(400, {}, 'oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1699996400-1699997600', ours), -3000, 'from the body, behind us')
  t.equal(clockSkewCorrection(401, { 'www-authenticate': header, date: httpDate(ours + 60) }, '', ours), 3600, 'the range wins over Date')
  t.equal(clockSkewCorrection(403, {}, 'oauth_problem=timestamp_refused&oauth_acceptable_timestamps=%201700003000%20-%201700003001', ours), 3000, 'spaces around the dash, odd span floored')
})

t.test('clockSkewCorrection: timestamp_refused with only a Date header', async (t) => {
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + 3600) }, 'oauth_problem=timestamp_refused', ours), 3600, 'problem in the body')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours - 900), 'www-authenticate': 'OAuth oauth_problem="timestamp_refused"' }, '', ours), -900, 'problem in WWW-Authenticate')
  t.equal(clockSkewCorrection(400, { date: httpDate(ours + 5) }, 'oauth_problem=timestamp_refused', ours), 5, 'a named refusal corrects even a few seconds')
  t.equal(clockSkewCorrection(400, { date: httpDate(ours + 1) }, 'oauth_problem=timestamp_refused', ours), undefined, 'under 2 s is noise (Date has 1 s resolution)')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + 3600) }, 'oauth_problem=timestamp_refused&oauth_acceptable_timestamps=junk', ours), 3600, 'a malformed range falls back to Date')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + 3600) }, 'oauth_problem=timestamp_refused&oauth_acceptable_timestamps=20-10', ours), 3600, 'a reversed range falls back to Date')
  t.equal(clockSkewCorrection(401, {}, 'oauth_problem=timestamp_refused', ours), undefined, 'no range and no Date: nothing to learn')
  t.equal(clockSkewCorrection(401, { date: 'not a date' }, 'oauth_problem=timestamp_refused', ours), undefined, 'an unparsable Date')
  t.equal(clockSkewCorrection(401, { date: [httpDate(ours + 120)] }, 'oauth_problem=timestamp_refused', ours), 120, 'a Date given as an array')
  t.equal(clockSkewCorrection(401, { 'www-authenticate': ['Basic realm="b"', 'OAuth oauth_problem="timestamp_refused"'], date: httpDate(ours + 120) }, '', ours),
    120, 'the OAuth challenge among several WWW-Authenticate headers')
})

t.test('clockSkewCorrection: a 401 without a named problem needs a Date far from ours', async (t) => {
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + 3600) }, '', ours), 3600, 'an hour ahead')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours - 3600) }, 'Unauthorized', ours), -3600, 'an hour behind')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + unexplainedSkewThreshold) }, '', ours), undefined, 'exactly the threshold: not corrected')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + 60) }, '', ours), undefined, 'a near Date')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours) }, '', ours), undefined, 'the same second')
  t.equal(clockSkewCorrection(403, { date: httpDate(ours + 3600) }, '', ours), undefined, 'only a 401 is read without a named problem')
  t.equal(clockSkewCorrection(401, { date: httpDate(ours + 60) }, 'oauth_problem=signature_invalid', ours), undefined, 'another problem with a near Date')
  t.equal(clockSkewCorrection(401, {}, '', ours), undefined, 'no Date at all')
})

t.test('clockSkewCorrection: other statuses are never about the clock', async (t) => {
  const refused = 'oauth_problem=timestamp_refused&oauth_acceptable_timestamps=1700003000-1700004200'
  for (const status of [200, 204, 302, 404, 500, 503]) {
    t.equal(clockSkewCorrection(status, { date: httpDate(ours + 3600) }, refused, ours), undefined, `HTTP ${status}`)
  }
})

/** How the skewed server refuses a stale timestamp. */
type Refusal = 'range-in-header' | 'date-and-body' | 'bare-401' | 'always'

interface SkewedServer {
  origin: string
  requests: RecordedRequest[]
  /** Timestamps the server saw, in order. */
  timestamps: () => number[]
  statuses: number[]
}

/**
 * A provider whose clock is `skew` seconds ahead of ours. It refuses timestamps more than 300 s
 * from its clock (401 and a Date header from its clock) and verifies every signature with oauth-sign.
 */
async function skewedServer (t: Test, refusal: Refusal, skew = 3600): Promise<SkewedServer> {
  const statuses: number[] = []
  const answer = (response: ServerResponse, status: number, headers: Record<string, string>, body: string): void => {
    statuses.push(status)
    response.writeHead(status, { date: httpDate(Math.floor(Date.now() / 1000) + skew), ...headers })
    response.end(body)
  }
  const server = await startServer((request, response) => {
    const check = checkSignature(request, { consumerKey, consumerSecret })
    if (!check.valid) return answer(response, 401, { 'www-authenticate': 'OAuth oauth_problem="signature_invalid"' }, 'oauth_problem=signature_invalid')
    const now = Math.floor(Date.now() / 1000) + skew
    const timestamp = Number(check.oauth.oauth_timestamp)
    if (refusal === 'always' || Math.abs(timestamp - now) > 300) {
      if (refusal === 'range-in-header') {
        return answer(response, 401, {
          'www-authenticate': `OAuth realm="skewed", oauth_problem="timestamp_refused", oauth_acceptable_timestamps="${now - 300}-${now + 300}"`
        }, '')
      }
      if (refusal === 'bare-401') return answer(response, 401, { 'content-type': 'text/plain' }, 'Unauthorized')
      return answer(response, 401, { 'content-type': 'application/x-www-form-urlencoded' },
        'oauth_problem=timestamp_refused&oauth_problem_advice=' + encodeURIComponent('check your clock'))
    }
    answer(response, 200, { 'content-type': 'application/json' }, JSON.stringify({ ok: true, method: request.method }))
  })
  t.teardown(() => server.close())
  return {
    origin: server.origin,
    requests: server.requests,
    statuses,
    timestamps: () => server.requests.map((request) => Number(checkSignature(request, { consumerSecret }).oauth.oauth_timestamp))
  }
}

function skewClient (t: Test, server: SkewedServer, options: Partial<ClientOptions> = {}) {
  const client = createClient({ consumerKey, consumerSecret, baseUrl: server.origin, ...options })
  t.teardown(() => client.close())
  return client
}

for (const refusal of ['range-in-header', 'date-and-body', 'bare-401'] as const) {
  t.test(`a provider one hour ahead (${refusal}): one corrected retry, then the offset is known`, async (t) => {
    const server = await skewedServer(t, refusal)
    const client = skewClient(t, server)
    const before = Math.floor(Date.now() / 1000)
    const first = await client.post('/resource', { json: { a: 1 } })
    t.equal(first.status, 200, 'the retry succeeded')
    t.same(first.json(), { ok: true, method: 'POST' }, 'the body was sent again')
    t.same(server.statuses, [401, 200], 'exactly one retry')
    const [stale, corrected] = server.timestamps() as [number, number]
    t.ok(Math.abs(stale - before) <= 2, 'the first request carried our clock')
    t.ok(Math.abs(corrected - (before + 3600)) <= 300, 'the retry carried the provider\'s clock')
    const nonces = server.requests.map((request) => checkSignature(request, { consumerSecret }).oauth.oauth_nonce)
    t.not(nonces[0], nonces[1], 'the retry has a fresh nonce')
    t.ok(Math.abs(client.clockOffset(server.origin) - 3600) <= 300, `offset learned: ${client.clockOffset(server.origin)}`)

    const second = await client.get('/resource')
    t.equal(second.status, 200, 'the next request succeeds at once')
    t.same(server.statuses, [401, 200, 200], 'no refusal for the next request')
    const user = await client.withToken({ token: 'user-token', tokenSecret: '' }).get('/resource')
    t.equal(user.status, 200, 'a per-user client shares the learned offset')
    t.same(server.statuses, [401, 200, 200, 200], 'and is not refused')
  })
}

t.test('requests in flight together both recover from one refusal', async (t) => {
  for (const refusal of ['range-in-header', 'date-and-body', 'bare-401'] as const) {
    const server = await skewedServer(t, refusal)
    const client = skewClient(t, server)
    const answers = await Promise.all([client.get('/a'), client.get('/b'), client.get('/c')])
    t.same(answers.map((answer) => answer.status), [200, 200, 200], `${refusal}: every request succeeded`)
    t.equal(server.requests.length, 6, `${refusal}: each was retried once`)
    t.ok(Math.abs(client.clockOffset(server.origin) - 3600) <= 300, `${refusal}: offset learned once (${client.clockOffset(server.origin)})`)
  }
})

t.test('correctClockSkew: false answers the refusal as is', async (t) => {
  const server = await skewedServer(t, 'date-and-body')
  const client = skewClient(t, server, { correctClockSkew: false })
  const response = await client.get('/resource')
  t.equal(response.status, 401)
  t.equal(server.requests.length, 1, 'no retry')
  t.equal(client.clockOffset(server.origin), 0, 'nothing learned')
  const problem = response.problem()
  t.equal(problem.problem, OAuthProblems.TIMESTAMP_REFUSED)
  t.equal(problem.advice, 'check your clock')
})

t.test('a provider that always refuses: exactly two requests, then the 401', async (t) => {
  const server = await skewedServer(t, 'always')
  const client = skewClient(t, server)
  const response = await client.get('/resource')
  t.equal(response.status, 401, 'the refusal is returned, not thrown')
  t.equal(response.problem().problem, 'timestamp_refused')
  t.equal(server.requests.length, 2, 'one retry, no loop')
  const again = await client.get('/resource')
  t.equal(again.status, 401)
  t.equal(server.requests.length, 3, 'the second call is not retried: the offset it would learn is already in use')
})

t.test('a per-call timestamp is never corrected', async (t) => {
  const server = await skewedServer(t, 'range-in-header')
  const client = skewClient(t, server)
  const fixed = Math.floor(Date.now() / 1000)
  const response = await client.get('/resource', { oauth: { timestamp: fixed } })
  t.equal(response.status, 401)
  t.equal(server.requests.length, 1, 'no retry')
  t.same(server.timestamps(), [fixed], 'the caller\'s timestamp was sent')
  t.equal(client.clockOffset(server.origin), 0)
})

t.test('a provider with the right clock is called once; a near-Date 401 is not retried', async (t) => {
  const server = await skewedServer(t, 'bare-401', 0)
  const client = skewClient(t, server, { consumerSecret: 'wrong secret' })
  const response = await client.get('/resource')
  t.equal(response.status, 401, 'refused for the signature')
  t.equal(response.problem().problem, 'signature_invalid')
  t.equal(server.requests.length, 1, 'not retried')
  t.equal(client.clockOffset(server.origin), 0)
})

t.test('correctedClockOffset: a correction beyond the limit or out of 1..2^31-1 is refused', async (t) => {
  const refused = (range: string): Record<string, string> => ({ 'www-authenticate': `OAuth oauth_problem="timestamp_refused", oauth_acceptable_timestamps="${range}"` })
  t.equal(defaultMaxClockSkew, 86_400, 'one day by default')
  t.equal(maxTimestamp, 2 ** 31 - 1)
  t.equal(correctedClockOffset(401, refused('0-0'), '', ours, 0, defaultMaxClockSkew), undefined, '0-0: 54 years back')
  t.equal(correctedClockOffset(401, refused('1-2'), '', ours, 0, defaultMaxClockSkew), undefined, '1-2')
  t.equal(correctedClockOffset(401, { date: 'Fri, 01 Jan 2100 00:00:00 GMT' }, '', ours, 0, defaultMaxClockSkew), undefined, 'a Date in 2100 (bare 401)')
  t.equal(correctedClockOffset(401, { date: 'Fri, 01 Jan 2100 00:00:00 GMT' }, 'oauth_problem=timestamp_refused', ours, 0, Number.MAX_VALUE), undefined,
    'a Date in 2100 with no limit: past 2^31 - 1')
  t.equal(correctedClockOffset(401, refused('0-0'), '', ours, 0, Number.MAX_VALUE), undefined, '0-0 with no limit: not a positive timestamp')
  t.equal(correctedClockOffset(401, refused(`${ours + 3000}-${ours + 4200}`), '', ours, 0, defaultMaxClockSkew), 3600, 'an hour: corrected')
  t.equal(correctedClockOffset(401, refused(`${ours + 3000}-${ours + 4200}`), '', ours, 0, 3599), undefined, 'an hour with a 3599 s limit')
  t.equal(correctedClockOffset(401, refused(`${ours + 3000}-${ours + 4200}`), '', ours, 0, 3600), 3600, 'exactly the limit')
  t.equal(correctedClockOffset(401, refused(`${ours + 3000}-${ours + 4200}`), '', ours, 3000, defaultMaxClockSkew), 3600, 'from an offset already learned')
  t.equal(correctedClockOffset(401, refused(`${ours + 86_000}-${ours + 87_000}`), '', ours, 3000, defaultMaxClockSkew), undefined,
    'the limit bounds the whole offset, not the step')
})

/**
 * A provider with the right clock that answers its first request with `refusal` (a hostile or
 * broken clock report) and every later one with 200; it records the timestamps it receives.
 */
async function lyingServer (t: Test, refusal: (response: ServerResponse) => void) {
  let answered = 0
  const server = await startServer((_request, response) => {
    if (answered++ === 0) return refusal(response)
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ ok: true }))
  })
  t.teardown(() => server.close())
  return {
    origin: server.origin,
    requests: server.requests,
    timestamps: () => server.requests.map((request) => Number(checkSignature(request, { consumerSecret }).oauth.oauth_timestamp))
  }
}

const hostileRefusals: Record<string, (response: ServerResponse) => void> = {
  'oauth_acceptable_timestamps=0-0': (response) => {
    response.writeHead(401, { 'www-authenticate': 'OAuth realm="r", oauth_problem="timestamp_refused", oauth_acceptable_timestamps="0-0"' }).end('refused')
  },
  'oauth_acceptable_timestamps=1-2': (response) => {
    response.writeHead(401, { 'www-authenticate': 'OAuth oauth_problem="timestamp_refused", oauth_acceptable_timestamps="1-2"' }).end('refused')
  },
  'a Date in 2100 (bare 401)': (response) => {
    response.writeHead(401, { date: 'Fri, 01 Jan 2100 00:00:00 GMT', 'content-type': 'text/plain' }).end('Unauthorized')
  },
  'a Date in 2100 with timestamp_refused': (response) => {
    response.writeHead(401, { date: 'Fri, 01 Jan 2100 00:00:00 GMT', 'content-type': 'application/x-www-form-urlencoded' }).end('oauth_problem=timestamp_refused')
  }
}

for (const [name, refusal] of Object.entries(hostileRefusals)) {
  t.test(`a clock report of years (${name}): the answer as is, no retry, every origin keeps the real clock`, async (t) => {
    const lying = await lyingServer(t, refusal)
    const other = await lyingServer(t, (response) => { response.writeHead(200).end('{}') })
    const client = createClient({ consumerKey, consumerSecret, origins: [lying.origin, other.origin] })
    t.teardown(() => client.close())
    const user = client.withToken({ token: 'user-token', tokenSecret: 'user-secret' })
    const response = await user.get(`${lying.origin}/resource`)
    t.equal(response.status, 401, 'the refusal is returned')
    t.equal(lying.requests.length, 1, 'no retry')
    t.equal(client.clockOffset(lying.origin), 0, 'nothing learned')
    t.equal(client.signer.clockOffset, 0, 'the shared signer is untouched')

    const before = Math.floor(Date.now() / 1000)
    const again = await user.get(`${lying.origin}/resource`)
    const elsewhere = await client.get(`${other.origin}/resource`)
    const after = Math.floor(Date.now() / 1000)
    t.equal(again.status, 200)
    t.equal(elsewhere.status, 200)
    const [first, second] = lying.timestamps() as [number, number]
    t.ok(first >= before - 60 && first <= after, 'the refused request carried our clock')
    t.ok(second >= before && second <= after, `the next call to the same origin signs with the real clock (${second})`)
    const [otherTimestamp] = other.timestamps() as [number]
    t.ok(otherTimestamp >= before && otherTimestamp <= after, `a call to another origin signs with the real clock (${otherTimestamp})`)
  })
}

t.test('two origins keep separate corrections', async (t) => {
  const ahead = await skewedServer(t, 'range-in-header', 3600)
  const behind = await skewedServer(t, 'range-in-header', -1800)
  const client = createClient({ consumerKey, consumerSecret, origins: [ahead.origin, behind.origin] })
  t.teardown(() => client.close())
  const before = Math.floor(Date.now() / 1000)
  t.equal((await client.get(`${ahead.origin}/a`)).status, 200, 'the origin ahead: corrected')
  t.same(ahead.statuses, [401, 200])
  t.equal((await client.get(`${behind.origin}/b`)).status, 200, 'the origin behind: corrected')
  t.same(behind.statuses, [401, 200], 'refused once: its first request did not carry the other origin\'s offset')
  const after = Math.floor(Date.now() / 1000)
  const [behindFirst] = behind.timestamps() as [number]
  t.ok(behindFirst >= before && behindFirst <= after, `the first request to the second origin carried our clock (${behindFirst})`)
  t.ok(Math.abs(client.clockOffset(ahead.origin) - 3600) <= 300, `ahead: ${client.clockOffset(ahead.origin)}`)
  t.ok(Math.abs(client.clockOffset(behind.origin) + 1800) <= 300, `behind: ${client.clockOffset(behind.origin)}`)
  t.equal(client.clockOffset(`${ahead.origin}/any/path?x=1`), client.clockOffset(ahead.origin), 'by origin, whatever the path')

  t.equal((await client.get(`${ahead.origin}/a`)).status, 200)
  t.equal((await client.get(`${behind.origin}/b`)).status, 200)
  t.same(ahead.statuses, [401, 200, 200], 'each origin keeps its own offset')
  t.same(behind.statuses, [401, 200, 200])
  t.equal(client.signer.clockOffset, 0, 'the signer\'s own offset is untouched')
})

t.test('maxClockSkew: corrections within it work, beyond it the answer is returned as is', async (t) => {
  const twoDays = 2 * 86_400
  const far = await skewedServer(t, 'range-in-header', twoDays)
  const byDefault = skewClient(t, far)
  const refused = await byDefault.get('/resource')
  t.equal(refused.status, 401, 'two days ahead: beyond the default limit')
  t.equal(refused.problem().problem, OAuthProblems.TIMESTAMP_REFUSED)
  t.same(far.statuses, [401], 'no retry')
  t.equal(byDefault.clockOffset(far.origin), 0)

  const wider = skewClient(t, far, { maxClockSkew: 3 * 86_400 })
  t.equal((await wider.get('/resource')).status, 200, 'with maxClockSkew: 3 days, corrected')
  t.ok(Math.abs(wider.clockOffset(far.origin) - twoDays) <= 300)

  const hour = await skewedServer(t, 'date-and-body', 3600)
  const narrow = skewClient(t, hour, { maxClockSkew: 600 })
  t.equal((await narrow.get('/resource')).status, 401, 'an hour with maxClockSkew: 600 is refused')
  t.same(hour.statuses, [401])
  t.equal(narrow.clockOffset(hour.origin), 0)
})

t.test('maxClockSkew is validated, and reaches the provider client\'s API client', async (t) => {
  for (const value of ['86400', -1, Number.NaN, Number.POSITIVE_INFINITY, true]) {
    t.throws(() => createClient({ consumerKey, consumerSecret, maxClockSkew: value as never }), { code: ErrorCodes.INVALID_OPTION, message: /maxClockSkew/ }, String(value))
  }
  t.throws(() => createClient({ consumerKey, consumerSecret, maxClockSkw: 1 } as never), { code: ErrorCodes.INVALID_OPTION, message: /maxClockSkew/ }, 'a typo is refused with a suggestion')
  const server = await skewedServer(t, 'range-in-header', 3600)
  const endpoints = { requestTokenUrl: `${server.origin}/request_token`, authorizeUrl: `${server.origin}/authorize`, accessTokenUrl: `${server.origin}/access_token` }
  const providerClient = createProviderClient({ consumerKey, consumerSecret, maxClockSkew: 60, ...endpoints })
  t.teardown(() => providerClient.close())
  t.equal((await providerClient.client.get(`${server.origin}/resource`)).status, 401, 'the provider client\'s API client refuses an hour with maxClockSkew: 60')
  t.same(server.statuses, [401])
  t.throws(() => createProviderClient({ consumerKey, consumerSecret, maxClockSkew: -5, ...endpoints }), { code: ErrorCodes.INVALID_OPTION, message: /maxClockSkew/ })
})

t.test('clockOffset(url): a path resolves against baseUrl; an invalid URL is a coded error', async (t) => {
  const client = createClient({ consumerKey, consumerSecret, baseUrl: 'http://127.0.0.1:9/api/' })
  t.equal(client.clockOffset('/anything'), 0)
  const bare = createClient({ consumerKey, consumerSecret })
  t.throws(() => bare.clockOffset('/relative'), { code: ErrorCodes.INVALID_REQUEST })
})
