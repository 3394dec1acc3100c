// The signer's two named caches (src/signer/caches.ts) and their invariants: the reused URL parse
// (TargetCache) and the last request's fixed base-string parameters (FixedParamsCache). A signer
// that keeps them must sign every request exactly as a fresh signer (no cache yet) does.
import t from 'tap'
import { FixedParamsCache, TargetCache, cachedFormBodyLength } from '../src/signer/caches.js'
import { createSigner, type SignableRequest, type SignOptions } from '../src/signer/signer.js'

const credentials = { consumerKey: 'key', consumerSecret: 'secret', token: 'default-token', tokenSecret: 'default-secret' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

t.test('a long-lived signer signs a sequence of requests as a fresh signer signs each one', async (t) => {
  const mutable = new URL('https://api.example.com/1/items?a=1')
  const big = 'text=' + 'x'.repeat(cachedFormBodyLength + 10)
  const steps: Array<() => [SignableRequest, SignOptions]> = [
    () => [{ method: 'GET', url: 'https://api.example.com/1/items?a=1' }, {}],
    () => [{ method: 'GET', url: 'https://api.example.com/1/items?a=1' }, { token: 'other token', tokenSecret: 's2' }],
    () => [{ method: 'GET', url: 'https://api.example.com/1/items?a=1' }, {}],
    () => [{ method: 'GET', url: mutable }, {}],
    () => {
      mutable.searchParams.set('a', '2')
      return [{ method: 'GET', url: mutable }, {}]
    },
    () => {
      mutable.pathname = '/1/other'
      return [{ method: 'GET', url: mutable }, {}]
    },
    () => [{ method: 'POST', url: 'https://api.example.com/1/items', headers: form, body: 'status=one' }, {}],
    () => [{ method: 'POST', url: 'https://api.example.com/1/items', headers: form, body: 'status=two' }, {}],
    () => [{ method: 'POST', url: 'https://api.example.com/1/items', headers: form, body: 'status=two' }, { token: 'default-token' }],
    () => [{ method: 'POST', url: 'https://api.example.com/1/items', headers: form, body: big }, {}],
    () => [{ method: 'POST', url: 'https://api.example.com/1/items', headers: form, body: big + 'y' }, {}],
    () => [{ method: 'POST', url: 'https://api.example.com/1/items', headers: form, body: new URLSearchParams({ status: 'two' }) }, {}],
    () => [{ method: 'POST', url: 'https://api.example.com/1/items' }, {}],
    () => [{ method: 'GET', url: 'https://api.example.com/1/items?a=1' }, {}]
  ]
  const longLived = createSigner(credentials)
  for (const [index, step] of steps.entries()) {
    const [request, options] = step()
    const callOptions = { ...options, nonce: `nonce${index}`, timestamp: 1_700_000_000 + index, returnBaseString: true }
    const got = longLived.sign(request, callOptions)
    const expected = createSigner(credentials).sign(request, callOptions)
    t.equal(got.baseString, expected.baseString, `step ${index}: base string`)
    t.equal(got.headers.authorization, expected.headers.authorization, `step ${index}: authorization`)
  }
})

t.test('TargetCache: the same URL text gives the same parse; a URL object changed in place gives a new one', async (t) => {
  const cache = new TargetCache()
  const first = cache.get('https://api.example.com/a?x=1')
  t.equal(cache.get('https://api.example.com/a?x=1'), first, 'same text, same target')
  const url = new URL('https://api.example.com/a?x=1')
  const fromObject = cache.get(url)
  t.not(fromObject.url, url, 'the caller\'s URL object is not kept')
  url.searchParams.set('x', '2')
  const changed = cache.get(url)
  t.not(changed, fromObject, 'a changed URL object is parsed again')
  t.equal(changed.url.search, '?x=2')
  t.equal(fromObject.url.search, '?x=1', 'the earlier target is unchanged')
})

t.test('FixedParamsCache: the segments are frozen and keyed by target, form body and token', async (t) => {
  const targets = new TargetCache()
  const cache = new FixedParamsCache([['oauth_consumer_key', 'key'], ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_version', '1.0']])
  const target = targets.get('https://api.example.com/a?b=2&a=1')
  const segments = cache.get(target, 'c=3', 'token')
  t.ok(Object.isFrozen(segments), 'the shared list cannot be sorted or changed in place')
  t.ok(Object.isFrozen(target.queryPairs), 'the query pairs it was built from are frozen too')
  t.equal(cache.get(target, 'c=3', 'token'), segments, 'the same key reuses the list')
  t.not(cache.get(target, 'c=3', 'other'), segments, 'another token builds a new list')
  t.not(cache.get(target, 'c=4', 'other'), segments, 'another form body builds a new list')
  t.strictSame(segments.map((segment) => segment.name), ['a', 'b', 'c', 'oauth_consumer_key', 'oauth_signature_method', 'oauth_token', 'oauth_version'])
})
