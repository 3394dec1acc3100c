import { createHmac } from 'node:crypto'
import t from 'tap'
import { baseStringUri, joinEncodedParameters, normalizeParameters, signatureBaseString } from '../src/protocol/base-string.js'
import { parseForm, type ParamList } from '../src/protocol/encoding.js'

function hmacSha1 (key: string, text: string): string {
  return createHmac('sha1', key).update(text).digest('base64')
}

t.test('baseStringUri (RFC 5849 §3.4.1.2)', async (t) => {
  const cases: Array<[string, string, string]> = [
    // the two examples printed in §3.4.1.2
    ['HTTP://EXAMPLE.COM:80/r%20v/X?id=123', 'http://example.com/r%20v/X', 'RFC example 1: scheme and host lowered, :80 dropped, query dropped'],
    ['https://www.example.net:8080/?q=1', 'https://www.example.net:8080/', 'RFC example 2: odd port kept'],
    ['https://api.example.com:443/a', 'https://api.example.com/a', 'https default port 443 dropped'],
    ['http://example.com:8080/a', 'http://example.com:8080/a', 'http odd port kept'],
    ['https://example.com:80/a', 'https://example.com:80/a', 'https on :80 kept (not its default)'],
    ['http://example.com:443/a', 'http://example.com:443/a', 'http on :443 kept'],
    ['HtTpS://Api.Example.COM/Path/To/Resource.json', 'https://api.example.com/Path/To/Resource.json', 'path case is kept'],
    ['http://example.com/a/b?x=1&y=2#frag', 'http://example.com/a/b', 'query and fragment dropped'],
    ['http://example.com', 'http://example.com/', 'an empty path is /'],
    ['http://user:pass@example.com/p', 'http://example.com/p', 'userinfo is not part of the authority in the Host header']
  ]
  for (const [input, expected, name] of cases) t.equal(baseStringUri(new URL(input)), expected, name)
})

// RFC 5849 §3.4.1.1 and §3.4.1.3: the request
//   POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b HTTP/1.1
//   Host: example.com
//   Content-Type: application/x-www-form-urlencoded
//   Authorization: OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7",
//     oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="..."
//   c2&a3=2+q
const rfcQuery = 'b5=%3D%253D&a3=a&c%40=&a2=r%20b'
const rfcBody = 'c2&a3=2+q'
const rfcOauth: ParamList = [
  ['oauth_consumer_key', '9djdj82h48djs9d2'],
  ['oauth_token', 'kkk9d7dh3k39sjv7'],
  ['oauth_signature_method', 'HMAC-SHA1'],
  ['oauth_timestamp', '137131201'],
  ['oauth_nonce', '7d8f3e4a']
]
// §3.4.1.3.2, "Concatenated Pairs"
const rfcNormalized = 'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2' +
  '&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7'
// §3.4.1.1, printed with line breaks "for display purposes only"
const rfcBaseString =
  'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
  '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
  'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
  'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
  '9d7dh3k39sjv7'

t.test('RFC 5849 §3.4.1.3.1: the decoded parameters of the example', async (t) => {
  const params = parseForm(rfcQuery)
  parseForm(rfcBody, params)
  t.same(params, [['b5', '=%3D'], ['a3', 'a'], ['c@', ''], ['a2', 'r b'], ['c2', ''], ['a3', '2 q']],
    'b5 is "=%3D" not "==", c@ and c2 are empty, + in the body is a space')
})

t.test('RFC 5849 §3.4.1.3.2: normalizeParameters reproduces the printed string', async (t) => {
  const params = parseForm(rfcQuery)
  parseForm(rfcBody, params)
  params.push(...rfcOauth)
  t.equal(normalizeParameters(params), rfcNormalized)
  t.same(params.slice(0, 2), [['b5', '=%3D'], ['a3', 'a']], 'the input list is not reordered')
})

t.test('RFC 5849 §3.4.1.1: signatureBaseString reproduces the printed base string', async (t) => {
  const url = new URL('http://example.com/request?' + rfcQuery)
  const params = parseForm(url.search.slice(1))
  parseForm(rfcBody, params)
  params.push(...rfcOauth)
  const base = signatureBaseString('POST', baseStringUri(url), normalizeParameters(params))
  t.equal(base, rfcBaseString)
  t.equal(signatureBaseString('post', 'http://example.com/request', rfcNormalized), rfcBaseString, 'the method is upper-cased')
})

t.test('sorting: by encoded name, then by encoded value, in byte order', async (t) => {
  t.equal(normalizeParameters([['a', 'z'], ['a', 'b'], ['a', 'B'], ['a', '']]), 'a=&a=B&a=b&a=z', 'duplicate keys sorted by value')
  t.equal(normalizeParameters([['a_', '1'], ['a b', '1'], ['a', '1'], ['A', '1']]), 'A=1&a=1&a%20b=1&a_=1',
    'upper case before lower case; a prefix first; "%" (0x25) before "_" (0x5F)')
  t.equal(normalizeParameters([['k', 'a'], ['k', 'ü']]), 'k=%C3%BC&k=a',
    'values compared after encoding: "%C3%BC" sorts before "a" although "ü" > "a" decoded')
  t.equal(normalizeParameters([['k', '10'], ['k', '9'], ['k', '1']]), 'k=1&k=10&k=9', 'byte order, not numeric')
  t.equal(normalizeParameters([['x', 'same'], ['x', 'same']]), 'x=same&x=same', 'equal pairs are both kept')
  t.equal(normalizeParameters([]), '')
})

t.test('joinEncodedParameters sorts in place and does not encode again', async (t) => {
  const encoded: Array<[string, string]> = [['b', '%20'], ['a', '%25']]
  t.equal(joinEncodedParameters(encoded), 'a=%25&b=%20')
  t.same(encoded, [['a', '%25'], ['b', '%20']])
})

t.test('OAuth Core 1.0 Appendix A.5.1: the photos base string and its HMAC-SHA1 signature (A.5.2)', async (t) => {
  const url = new URL('http://photos.example.net/photos?file=vacation.jpg&size=original')
  const params = parseForm(url.search.slice(1))
  params.push(
    ['oauth_consumer_key', 'dpf43f3p2l4k3l03'], ['oauth_token', 'nnch734d00sl2jdk'],
    ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_timestamp', '1191242096'],
    ['oauth_nonce', 'kllo9940pd9333jh'], ['oauth_version', '1.0'])
  const expected = 'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26' +
    'oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26' +
    'oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26' +
    'oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal'
  const base = signatureBaseString('GET', baseStringUri(url), normalizeParameters(params))
  t.equal(base, expected)
  t.equal(hmacSha1('kd94hf93k423kf44&pfkkdhi9sl3r4s00', base), 'tR3+Ty81lMeYAr/Fid0kMTYa/WM=')
})

t.test('RFC 5849 §1.2: the three HMAC-SHA1 requests of the example (no oauth_version)', async (t) => {
  const cases: Array<{ name: string, method: string, url: string, params: ParamList, key: string, base: string, signature: string }> = [
    {
      name: 'temporary credentials',
      method: 'POST',
      url: 'https://photos.example.net/initiate',
      params: [['oauth_consumer_key', 'dpf43f3p2l4k3l03'], ['oauth_signature_method', 'HMAC-SHA1'], ['oauth_timestamp', '137131200'],
        ['oauth_nonce', 'wIjqoS'], ['oauth_callback', 'http://printer.example.com/ready']],
      key: 'kd94hf93k423kf44&',
      base: 'POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready' +
        '%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200',
      signature: '74KNZJeDHnMBp0EMJ9ZHt/XKycU='
    },
    {
      name: 'token credentials',
      method: 'POST',
      url: 'https://photos.example.net/token',
      params: [['oauth_consumer_key', 'dpf43f3p2l4k3l03'], ['oauth_token', 'hh5s93j4hdidpola'], ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '137131201'], ['oauth_nonce', 'walatlh'], ['oauth_verifier', 'hfdp7dh39dks9884']],
      key: 'kd94hf93k423kf44&hdhd0244k9j7ao03',
      base: 'POST&https%3A%2F%2Fphotos.example.net%2Ftoken&oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dwalatlh' +
        '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dhh5s93j4hdidpola%26oauth_verifier%3Dhfdp7dh39dks9884',
      signature: 'gKgrFCywp7rO0OXSjdot/IHF7IU='
    },
    {
      name: 'protected resource',
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacation.jpg&size=original',
      params: [['oauth_consumer_key', 'dpf43f3p2l4k3l03'], ['oauth_token', 'nnch734d00sl2jdk'], ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '137131202'], ['oauth_nonce', 'chapoH']],
      key: 'kd94hf93k423kf44&pfkkdhi9sl3r4s00',
      base: 'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03' +
        '%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal',
      signature: 'MdpQcU8iPSUjWoN/UDMsK2sui9I='
    }
  ]
  for (const c of cases) {
    const url = new URL(c.url)
    const params = parseForm(url.search.slice(1))
    params.push(...c.params)
    const base = signatureBaseString(c.method, baseStringUri(url), normalizeParameters(params))
    t.equal(base, c.base, `${c.name}: base string`)
    t.equal(hmacSha1(c.key, base), c.signature, `${c.name}: the RFC's signature`)
  }
})

t.test('signatureBaseString and the signer share one assembly routine', async (t) => {
  const { encodedBaseString } = await import('../src/protocol/base-string.js')
  t.equal(encodedBaseString('post', 'http%3A%2F%2Fa.example%2F', 'a%3D1'), 'POST&http%3A%2F%2Fa.example%2F&a%3D1')
  t.equal(signatureBaseString('post', 'http://a.example/', 'a=1'), encodedBaseString('post', 'http%3A%2F%2Fa.example%2F', 'a%3D1'))
})
