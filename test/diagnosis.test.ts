import t from 'tap'
import { baseStringDifference, diagnoseSignature, providerBaseString } from '../src/protocol/diagnosis.js'

// RFC 5849 §3.4.1.1's example base string, and the same request as a provider that dropped a parameter saw it.
const ours = 'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7'

t.test('providerBaseString reads Flickr-style debug_sbs, raw or encoded once more', async (t) => {
  t.equal(providerBaseString(`oauth_problem=signature_invalid&debug_sbs=${ours}`), ours)
  t.equal(providerBaseString(`oauth_problem=signature_invalid&debug_sbs=${encodeURIComponent(ours)}`), ours)
  t.equal(providerBaseString('oauth_problem=signature_invalid'), undefined)
  t.equal(providerBaseString('oauth_problem=signature_invalid&debug_sbs=GET%26%E0%A4%A'), 'GET%26%E0%A4%A', 'malformed encoding kept as sent')
})

t.test('baseStringDifference names the part and the parameter', async (t) => {
  t.equal(baseStringDifference(ours, ours), undefined)
  t.match(baseStringDifference(ours, 'GET' + ours.slice(4)), { index: 0, part: 'method' })
  t.match(baseStringDifference(ours, ours.replace('example.com', 'example.org')), { part: 'uri', ours: /example\.com/, theirs: /example\.org/ })
  const plusForSpace = ours.replace('a2%3Dr%2520b', 'a2%3Dr%252Bb')
  const difference = baseStringDifference(ours, plusForSpace)
  t.match(difference, { part: 'parameters', parameter: 'a2' }, 'a space the provider saw as "+"')
  t.equal(difference?.index, ours.indexOf('%2520b') + 4, 'at the first character that differs')
  const dropped = ours.replace('%26c2%3D', '')
  t.match(baseStringDifference(ours, dropped), { part: 'parameters', parameter: 'c2' })
  t.match(baseStringDifference(ours, ours.slice(0, 30)), { index: 30, part: 'uri' }, 'a prefix differs where it ends')
})

t.test('diagnoseSignature bundles ours, theirs and the first difference', async (t) => {
  t.same(diagnoseSignature(ours, 'oauth_problem=signature_invalid'), { baseString: ours })
  const theirs = ours.replace('oauth_nonce%3D7d8f3e4a', 'oauth_nonce%3D7d8f3e4b')
  const diagnosis = diagnoseSignature(ours, `oauth_problem=signature_invalid&debug_sbs=${theirs}`)
  t.equal(diagnosis.providerBaseString, theirs)
  t.match(diagnosis.difference, { part: 'parameters', parameter: 'oauth_nonce' })
})
