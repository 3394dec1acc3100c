// readRateLimit (src/http/rate-limit.ts): X, Discogs, the IETF RateLimit fields and Retry-After.
import t from 'tap'
import { readRateLimit } from '../src/http/rate-limit.js'

const now = Date.parse('2026-12-07T12:00:00Z')

t.test('X: x-rate-limit-* with the reset in epoch seconds; the per-user 24-hour window when it is tighter', async (t) => {
  const reset = Math.floor(now / 1000) + 900
  t.same(readRateLimit(200, { 'x-rate-limit-limit': '900', 'x-rate-limit-remaining': '899', 'x-rate-limit-reset': String(reset) }, now),
    { limit: 900, remaining: 899, resetAt: new Date(reset * 1000) })
  const day = Math.floor(now / 1000) + 86_400
  t.same(readRateLimit(429, {
    'x-rate-limit-limit': '900',
    'x-rate-limit-remaining': '850',
    'x-rate-limit-reset': String(reset),
    'x-user-limit-24hour-limit': '17',
    'x-user-limit-24hour-remaining': '0',
    'x-user-limit-24hour-reset': String(day)
  }, now), { limit: 17, remaining: 0, resetAt: new Date(day * 1000) }, 'the exhausted daily window counts')
})

t.test('Discogs: X-Discogs-Ratelimit* in a moving minute', async (t) => {
  t.same(readRateLimit(200, { 'x-discogs-ratelimit': '60', 'x-discogs-ratelimit-used': '1', 'x-discogs-ratelimit-remaining': '59' }, now),
    { limit: 60, remaining: 59, resetAt: new Date(now + 60_000) })
})

t.test('IETF RateLimit fields: the early separate fields, limit=/remaining=/reset=, and "policy";r=;t= with RateLimit-Policy', async (t) => {
  t.same(readRateLimit(200, { 'ratelimit-limit': '100', 'ratelimit-remaining': '40', 'ratelimit-reset': '30' }, now),
    { limit: 100, remaining: 40, resetAt: new Date(now + 30_000) })
  t.same(readRateLimit(200, { ratelimit: 'limit=100, remaining=5, reset=7' }, now), { limit: 100, remaining: 5, resetAt: new Date(now + 7000) })
  t.same(readRateLimit(200, { ratelimit: '"default";r=3;t=12', 'ratelimit-policy': '"default";q=50;w=60' }, now),
    { limit: 50, remaining: 3, resetAt: new Date(now + 12_000) })
})

t.test('Retry-After alone: seconds or a date; remaining 0 on 429 and 503 only', async (t) => {
  t.same(readRateLimit(429, { 'retry-after': '120' }, now), { limit: undefined, remaining: 0, resetAt: new Date(now + 120_000) })
  t.same(readRateLimit(503, { 'retry-after': 'Mon, 07 Dec 2026 12:05:00 GMT' }, now),
    { limit: undefined, remaining: 0, resetAt: new Date('2026-12-07T12:05:00Z') })
  t.same(readRateLimit(301, { 'retry-after': '5' }, now), { limit: undefined, remaining: undefined, resetAt: new Date(now + 5000) })
  t.same(readRateLimit(429, { 'retry-after': 'soon' }, now), undefined, 'an unreadable value says nothing')
  t.same(readRateLimit(429, { 'x-rate-limit-remaining': '0', 'retry-after': '9' }, now), { limit: undefined, remaining: 0, resetAt: new Date(now + 9000) },
    'on a 429, Retry-After says when')
})

t.test('nothing about limits: undefined; junk values are ignored', async (t) => {
  t.equal(readRateLimit(200, {}, now), undefined)
  t.equal(readRateLimit(200, { 'x-rate-limit-limit': 'many', 'ratelimit-remaining': '-1' }, now), undefined)
  t.same(readRateLimit(200, { 'x-rate-limit-remaining': ['3', '4'] }, now), { limit: undefined, remaining: 3, resetAt: undefined }, 'the first of a repeated field')
})
