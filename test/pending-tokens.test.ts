import t from 'tap'
import { addPending, type PendingToken, safeEqual, safeReturnPath, takePending } from '../src/flow/pending-tokens.js'

const limits = { ttl: 1000, max: 3 }
const entry = (token: string, created: number): PendingToken => ({ token, secret: `${token}-secret`, created })

t.test('safeEqual', async (t) => {
  t.equal(safeEqual('abc', 'abc'), true)
  t.equal(safeEqual('', ''), true)
  t.equal(safeEqual('abc', 'abd'), false)
  t.equal(safeEqual('abc', 'abcd'), false, 'different lengths')
  t.equal(safeEqual('abcd', 'abc'), false)
  t.equal(safeEqual('é', 'e\u0301'), false, 'no Unicode normalisation')
  t.equal(safeEqual('ü', 'ü'), true)
  t.equal(safeEqual('é', 'ab'), false, 'same byte length, different bytes')
  t.equal(safeEqual('é', 'a'), false, 'lengths are compared in bytes, not characters')
})

t.test('addPending appends, drops expired entries and keeps the newest max', async (t) => {
  t.same(addPending(undefined, entry('a', 0), limits, 0), [entry('a', 0)])
  const list = [entry('old', 0), entry('b', 500), entry('c', 900)]
  const copy = structuredClone(list)
  t.same(addPending(list, entry('d', 1000), limits, 1000), [entry('b', 500), entry('c', 900), entry('d', 1000)],
    'the entry created exactly ttl ago has expired')
  t.same(list, copy, 'the input is not mutated')
  t.same(addPending([entry('a', 10), entry('b', 20), entry('c', 30)], entry('d', 40), limits, 40),
    [entry('b', 20), entry('c', 30), entry('d', 40)], 'the oldest goes first')
  t.same(addPending([entry('a', 10)], entry('b', 20), { ttl: 1000, max: 1 }, 20), [entry('b', 20)])
})

t.test('takePending finds the entry, removes it and expired ones', async (t) => {
  const list = [entry('a', 0), entry('b', 600), entry('c', 700)]
  const copy = structuredClone(list)
  const found = takePending(list, 'b', limits, 900)
  t.same(found, { entry: entry('b', 600), rest: [entry('a', 0), entry('c', 700)], expired: false })
  t.same(list, copy, 'the input is not mutated')

  t.same(takePending(list, 'c', limits, 1200), { entry: entry('c', 700), rest: [entry('b', 600)], expired: false },
    "the expired 'a' is dropped from the rest")
  t.same(takePending(list, 'a', limits, 1000), { entry: undefined, rest: [entry('b', 600), entry('c', 700)], expired: true },
    'expired at exactly ttl')
  t.same(takePending(list, 'zzz', limits, 900), { entry: undefined, rest: list, expired: false })
  t.same(takePending(list, 'b ', limits, 900).entry, undefined, 'exact match only')
  t.same(takePending(list, '', limits, 900).entry, undefined)
  t.same(takePending(undefined, 'a', limits, 0), { entry: undefined, rest: [], expired: false })
})

t.test('safeReturnPath accepts same-site relative paths', async (t) => {
  const accepted: Array<[string, string]> = [
    ['/', '/'],
    ['/settings', '/settings'],
    ['/settings?x=1', '/settings?x=1'],
    ['/a/b?c=d#e', '/a/b?c=d#e'],
    ['/a/../b', '/b'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/café', '/caf%C3%A9'],
    ['/search?q=a b', '/search?q=a%20b']
  ]
  for (const [input, expected] of accepted) t.equal(safeReturnPath(input), expected, JSON.stringify(input))
})

t.test('safeReturnPath refuses anything that could leave the site', async (t) => {
  const refused: unknown[] = [
    undefined, null, 42, ['/a'], '',
    '//evil.com', '///evil.com', '/\\evil.com', '\\\\evil.com', '/\\/evil.com',
    'https://evil.com', 'http:/evil.com', 'javascript:alert(1)', 'data:text/html,x', 'evil.com', 'settings',
    '/.//evil.com', '/..//evil.com', '/x/..//evil.com', '/%2e//evil.com', '/%2E%2E//evil.com',
    '/\t/evil.com', '/\n/evil.com', '/\r\nLocation: x', '/a\u0000b', '/' + 'a'.repeat(2048)
  ]
  for (const input of refused) t.equal(safeReturnPath(input), undefined, JSON.stringify(input))
})
