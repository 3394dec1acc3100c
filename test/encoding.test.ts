import t from 'tap'
import { formDecode, formatForm, parseForm, parseFormToRecord, percentEncode, type ParamList } from '../src/protocol/encoding.js'

// An independent RFC 5849 §3.6 encoder, byte by byte, used only as the expected value.
function referenceEncode (value: string): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

t.test('percentEncode: unreserved characters are left alone', async (t) => {
  const unreserved = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'
  t.equal(percentEncode(unreserved), unreserved)
  t.equal(percentEncode(''), '')
})

t.test('percentEncode: every other ASCII character is %XX with upper-case hex', async (t) => {
  for (let code = 0; code < 128; code++) {
    const c = String.fromCharCode(code)
    t.equal(percentEncode(c), referenceEncode(c), `char ${code}`)
  }
})

t.test('percentEncode: the characters encodeURIComponent leaves alone', async (t) => {
  t.equal(percentEncode("!'()*"), '%21%27%28%29%2A')
  t.equal(percentEncode('Ladies + Gentlemen'), 'Ladies%20%2B%20Gentlemen', 'space is %20, + is %2B')
  t.equal(percentEncode('a&b=c/d?e#f%g:h@i'), 'a%26b%3Dc%2Fd%3Fe%23f%25g%3Ah%40i')
  // RFC 5849 §3.4.1.3.2 example values
  t.equal(percentEncode('=%3D'), '%3D%253D')
  t.equal(percentEncode('c@'), 'c%40')
})

t.test('percentEncode: UTF-8 for non-ASCII', async (t) => {
  t.equal(percentEncode('ü'), '%C3%BC')
  t.equal(percentEncode('☃'), '%E2%98%83')
  t.equal(percentEncode('😀'), '%F0%9F%98%80', 'astral plane: one code point, four bytes')
  t.equal(percentEncode('Dürst ☃ 😀!'), referenceEncode('Dürst ☃ 😀!'))
})

t.test('percentEncode: a lone surrogate is a coded error', async (t) => {
  for (const bad of ['\uD800', 'a\uDC00b', '\uD83D']) {
    t.throws(() => percentEncode(bad), { code: 'OAUTH1_INVALID_REQUEST', name: 'OAuth1Error' })
  }
})

t.test('formDecode', async (t) => {
  t.equal(formDecode('plain'), 'plain')
  t.equal(formDecode('a+b'), 'a b', '+ is a space')
  t.equal(formDecode('a%20b'), 'a b')
  t.equal(formDecode('%2B'), '+', '%2B is a literal plus')
  t.equal(formDecode('%2b'), '+', 'lower-case hex is accepted')
  t.equal(formDecode('1+%2B+1'), '1 + 1')
  t.equal(formDecode('%C3%BC%E2%98%83'), 'ü☃')
  t.equal(formDecode('%253D'), '%3D', 'decoded once, not twice')
  t.equal(formDecode(''), '')
  for (const bad of ['%zz', '%', 'a%2', '%E2%98', '%FF']) {
    t.throws(() => formDecode(bad), { code: 'OAUTH1_INVALID_REQUEST' }, `malformed: ${bad}`)
  }
})

t.test('parseForm', async (t) => {
  t.same(parseForm(''), [])
  t.same(parseForm('a=1&a=2&b=3'), [['a', '1'], ['a', '2'], ['b', '3']], 'duplicates kept, in order')
  t.same(parseForm('b=2&a=1&b=1'), [['b', '2'], ['a', '1'], ['b', '1']], 'no sorting')
  t.same(parseForm('&&a=1&&b=2&'), [['a', '1'], ['b', '2']], 'empty segments skipped')
  t.same(parseForm('c2&a=1'), [['c2', ''], ['a', '1']], 'a name without = has the empty value')
  t.same(parseForm('a=&b'), [['a', ''], ['b', '']])
  t.same(parseForm('=x'), [['', 'x']], 'empty name')
  t.same(parseForm('d=e=f'), [['d', 'e=f']], 'only the first = separates')
  t.same(parseForm('a=x+y&b%40=%3D%253D'), [['a', 'x y'], ['b@', '=%3D']], 'names and values are decoded')
  t.same(parseForm('x&y=1'), [['x', ''], ['y', '1']], 'an = in a later segment does not belong to a name without =')

  const into: ParamList = [['first', '1']]
  const result = parseForm('second=2', into)
  t.equal(result, into, 'appends to and returns the given list')
  t.same(into, [['first', '1'], ['second', '2']])

  t.throws(() => parseForm('a=%zz'), { code: 'OAUTH1_INVALID_REQUEST' })
})

t.test('formatForm', async (t) => {
  t.equal(formatForm([]), '')
  t.equal(formatForm([['a b', 'c+d'], ['x', ''], ['x', '☃']]), 'a%20b=c%2Bd&x=&x=%E2%98%83')
  t.equal(formatForm(new URLSearchParams('q=a+b&r=%21')), 'q=a%20b&r=%21', 'any iterable of pairs, re-encoded with %20')
  const pairs: ParamList = [['name with space', 'v&=+%'], ['ü', "!'()*"], ['', '']]
  t.same(parseForm(formatForm(pairs)), pairs, 'round-trips through parseForm')
})

t.test('parseFormToRecord', async (t) => {
  const record = parseFormToRecord('oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&oauth_callback_confirmed=true')
  t.same({ ...record }, {
    oauth_token: 'hh5s93j4hdidpola',
    oauth_token_secret: 'hdhd0244k9j7ao03',
    oauth_callback_confirmed: 'true'
  })
  t.equal(Object.getPrototypeOf(record), null, 'no prototype: __proto__ or constructor cannot collide')

  const trimmed = parseFormToRecord('  a=1&a=2&b=x+y\r\n')
  t.equal(trimmed.a, '1', 'the first occurrence wins')
  t.equal(trimmed.b, 'x y', 'surrounding whitespace is trimmed, values decoded')

  const hostile = parseFormToRecord('__proto__=x&constructor=y')
  t.same(Object.entries(hostile), [['__proto__', 'x'], ['constructor', 'y']], '__proto__ and constructor are plain own entries')
  t.equal(Object.getPrototypeOf(hostile), null, 'the prototype is not replaced')
  t.same(parseFormToRecord(''), {})
})
