import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { createSealer, secretList } from '../src/sign-in/state/seal.js'

const a = 'first-secret-of-at-least-32-characters!!'
const b = 'second-secret-of-at-least-32-characters!'

t.test('seal/open round trip, bound to its context', async (t) => {
  const sealer = createSealer(a)
  const sealed = sealer.seal('hello é 😀', 'name-1')
  t.match(sealed, /^[A-Za-z0-9_-]+$/, 'base64url')
  t.notMatch(sealed, /hello/)
  t.equal(sealer.open(sealed, 'name-1'), 'hello é 😀')
  t.equal(sealer.open(sealed, 'name-2'), undefined, 'another context (cookie name) does not open')
  t.not(sealer.seal('x', 'n'), sealer.seal('x', 'n'), 'a fresh IV every time')
})

t.test('tampered, truncated or foreign values do not open', async (t) => {
  const sealer = createSealer(a)
  const sealed = sealer.seal('payload', 'ctx')
  const raw = Buffer.from(sealed, 'base64url')
  for (let i = 0; i < raw.length; i++) {
    const copy = Buffer.from(raw)
    copy[i] = (copy[i] as number) ^ 1
    t.equal(sealer.open(copy.toString('base64url'), 'ctx'), undefined, `byte ${i} flipped`)
  }
  t.equal(sealer.open(sealed.slice(0, 20), 'ctx'), undefined, 'truncated')
  t.equal(sealer.open('', 'ctx'), undefined)
  t.equal(sealer.open('not base64 at all!!', 'ctx'), undefined)
  t.equal(createSealer(b).open(sealed, 'ctx'), undefined, 'sealed with another secret')
})

t.test('key rotation: the first secret seals, every one opens', async (t) => {
  const old = createSealer(a)
  const rotated = createSealer([b, a])
  const fromOld = old.seal('v', 'c')
  t.equal(rotated.open(fromOld, 'c'), 'v', 'a value of the old secret still opens')
  const fromNew = rotated.seal('w', 'c')
  t.equal(createSealer(b).open(fromNew, 'c'), 'w', 'new values are sealed with the first secret')
  t.equal(old.open(fromNew, 'c'), undefined, 'and the old secret alone cannot open them')
})

t.test('secrets must be 32+ characters', async (t) => {
  for (const bad of [undefined, '', 'short', [], [a, 'short'], 42, [42]]) {
    t.throws(() => createSealer(bad as string), { code: ErrorCodes.INVALID_OPTION, message: /"secret"/ }, JSON.stringify(bad))
  }
  t.same(secretList(a, 'x'), [a])
  t.same(secretList([a, b], 'x'), [a, b])
})

t.test('IVs stay unique across refills of the random pool, and any number of contexts opens', async (t) => {
  const sealer = createSealer(a)
  const ivs = new Set<string>()
  const sealed: string[] = []
  for (let i = 0; i < 600; i++) {
    const value = sealer.seal(`v${i}`, `ctx-${i % 100}`)
    sealed.push(value)
    ivs.add(Buffer.from(value, 'base64url').subarray(1, 13).toString('hex'))
  }
  t.equal(ivs.size, 600, 'no IV handed out twice over 600 seals (the pool holds 256)')
  t.ok(sealed.every((value, i) => sealer.open(value, `ctx-${i % 100}`) === `v${i}`), 'every value opens in its own context (100 contexts, past the AAD cache bound)')
  t.ok(sealed.every((value, i) => sealer.open(value, `ctx-${(i + 1) % 100}`) === undefined), 'and in no other')
  const empty = sealer.seal('', 'e')
  t.equal(Buffer.from(empty, 'base64url').length, 29, 'an empty plaintext seals to version, IV and tag only')
  t.equal(sealer.open(empty, 'e'), '')
})
