import { createHmac, randomBytes } from 'node:crypto'
import t from 'tap'
import { prepareHmac, type HmacHash } from '../src/protocol/hmac.js'

const blockSizes: Record<HmacHash, number> = { sha1: 64, sha256: 64, sha512: 128 }

t.test('prepareHmac agrees with node:crypto createHmac around the block size (RFC 2104 §2)', async (t) => {
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
    const block = blockSizes[algorithm]
    for (const length of [0, 1, block - 1, block, block + 1, 3 * block]) {
      const key = 'k'.repeat(length)
      const message = 'GET&https%3A%2F%2Fapi.example.com%2F&a%3D' + length
      t.equal(prepareHmac(algorithm, key)(message), createHmac(algorithm, key).update(message).digest('base64'), `${algorithm}, ${length}-byte key`)
    }
  }
})

t.test('prepareHmac hashes keys and messages as UTF-8, multi-byte characters included', async (t) => {
  for (const algorithm of ['sha1', 'sha256', 'sha512'] as const) {
    const key = 'sécret&ü' + '€'.repeat(30)
    for (const message of ['', 'ascii only', 'ü€😀 and more', 'x'.repeat(5000)]) {
      t.equal(prepareHmac(algorithm, key)(message), createHmac(algorithm, key).update(message).digest('base64'), `${algorithm}: ${message.slice(0, 12)}`)
    }
  }
})

t.test('one prepared key signs many messages; keys do not share state', async (t) => {
  const first = prepareHmac('sha1', 'first&key')
  const second = prepareHmac('sha1', 'second&key')
  for (let i = 0; i < 50; i++) {
    const message = randomBytes(1 + i * 7).toString('base64')
    t.equal(first(message), createHmac('sha1', 'first&key').update(message).digest('base64'))
    t.equal(second(message), createHmac('sha1', 'second&key').update(message).digest('base64'))
  }
})
