import t from 'tap'
import { safeEqual, safeReturnPath } from '../src/sign-in/pending-tokens.js'

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
