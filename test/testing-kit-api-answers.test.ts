// The mock provider's planned API answers (issue 20): X's rate-limit headers, its 429, and its 402
// when a pay-per-use account has no credits left.
import t, { type Test } from 'tap'
import { request } from 'undici'
import { readRateLimit } from '../src/http/rate-limit.js'
import { createSigner } from '../src/signer/signer.js'
import { createMockProvider, mockCreditsDepletedBody, type MockProvider } from '../src/testing/index.js'

const clock = Date.parse('2026-12-07T12:00:00Z')

function setup (t: Test): { provider: MockProvider, call: () => Promise<{ status: number, headers: Record<string, string>, body: string }> } {
  const provider = createMockProvider({ now: () => clock })
  t.teardown(() => provider.close())
  provider.route('GET', '/2/users/me', () => ({ body: { data: { id: '1' } } }), { twoLegged: true })
  const signer = createSigner({ consumerKey: provider.consumerKey, consumerSecret: provider.consumerSecret, now: () => clock })
  const call = async (): Promise<{ status: number, headers: Record<string, string>, body: string }> => {
    const signed = signer.sign({ method: 'GET', url: `${provider.url}/2/users/me` })
    const response = await request(signed.url, { method: 'GET', headers: signed.headers, dispatcher: provider.dispatcher })
    return { status: response.statusCode, headers: response.headers as Record<string, string>, body: await response.body.text() }
  }
  return { provider, call }
}

t.test('rateLimitNext: a 429 with X\'s headers and body, then normal answers again', async (t) => {
  const { provider, call } = setup(t)
  provider.rateLimitNext({ limit: 900, resetAt: new Date(clock + 60_000) })
  const limited = await call()
  t.equal(limited.status, 429)
  t.equal(limited.headers['x-rate-limit-limit'], '900')
  t.equal(limited.headers['x-rate-limit-remaining'], '0', 'none left when refused')
  t.equal(limited.headers['x-rate-limit-reset'], String((clock + 60_000) / 1000), 'the reset in epoch seconds')
  t.equal(limited.headers['retry-after'], '60', 'Retry-After: the seconds until the reset')
  t.strictSame(JSON.parse(limited.body), { errors: [{ code: 88, message: 'Rate limit exceeded' }] })
  t.strictSame(readRateLimit(limited.status, limited.headers, clock), { limit: 900, remaining: 0, resetAt: new Date(clock + 60_000) },
    'the client\'s reader understands it')
  const next = await call()
  t.equal(next.status, 200, 'used up after one answer')
  t.equal(next.headers['x-rate-limit-limit'], undefined)
  t.equal(provider.requests.at(-2)?.status, 429, 'recorded')
})

t.test('rateLimitNext with a 2xx status: the resource answers, with the headers; times and retryAfter', async (t) => {
  const { provider, call } = setup(t)
  provider.rateLimitNext({ status: 200, limit: 15, remaining: 3, resetAt: clock + 900_000 }, { times: 2 })
  for (const n of [1, 2]) {
    const answer = await call()
    t.equal(answer.status, 200, `call ${n}`)
    t.strictSame(JSON.parse(answer.body), { data: { id: '1' } }, `call ${n}: the route's body`)
    t.equal(answer.headers['x-rate-limit-remaining'], '3', `call ${n}`)
    t.equal(answer.headers['retry-after'], undefined, `call ${n}: no Retry-After when not refused`)
  }
  t.equal((await call()).headers['x-rate-limit-remaining'], undefined, 'two answers, then none')
  provider.rateLimitNext({ retryAfter: 5 })
  const refused = await call()
  t.equal(refused.headers['retry-after'], '5')
  t.equal(refused.headers['x-rate-limit-reset'], String(clock / 1000 + 900), 'the default reset: 15 minutes on')
})

t.test('creditsDepletedNext: X\'s 402 with a JSON problem body; a custom body', async (t) => {
  const { provider, call } = setup(t)
  provider.creditsDepletedNext()
  const depleted = await call()
  t.equal(depleted.status, 402)
  t.match(depleted.headers['content-type'], /^application\/json/)
  t.strictSame(JSON.parse(depleted.body), mockCreditsDepletedBody)
  t.equal(mockCreditsDepletedBody.title, 'CreditsDepleted')
  t.equal((await call()).status, 200, 'used up after one answer')
  provider.creditsDepletedNext({ body: { title: 'Payment Required', detail: 'credits depleted' }, times: 2 })
  t.strictSame(JSON.parse((await call()).body), { title: 'Payment Required', detail: 'credits depleted' })
  t.equal((await call()).status, 402, 'times: 2')
})

t.test('planned API answers wait for a correctly signed call, and leave the OAuth endpoints alone', async (t) => {
  const { provider, call } = setup(t)
  provider.creditsDepletedNext()
  const unsigned = await request(`${provider.url}/2/users/me`, { dispatcher: provider.dispatcher })
  t.equal(unsigned.statusCode, 400, 'an unsigned call is refused as before')
  await unsigned.body.text()
  t.equal((await call()).status, 402, 'the signed call gets the planned answer')
})
