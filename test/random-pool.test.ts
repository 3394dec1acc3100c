import t from 'tap'
import { RandomPool } from '../src/protocol/random-pool.js'

t.test('RandomPool hands out each value once, across refills of the pool', async (t) => {
  const pool = new RandomPool(12 * 4)
  const seen = new Set<string>()
  for (let i = 0; i < 40; i++) {
    const value = pool.hex(12)
    t.match(value, /^[0-9a-f]{24}$/)
    seen.add(value)
  }
  t.equal(seen.size, 40, 'no value repeats, ten fills in')
  const target = Buffer.alloc(20)
  pool.copyTo(target, 4, 12)
  t.same(target.subarray(0, 4), Buffer.alloc(4), 'bytes before `at` untouched')
  t.same(target.subarray(16), Buffer.alloc(4), 'bytes after the value untouched')
  t.notOk(seen.has(target.subarray(4, 16).toString('hex')), 'copyTo takes fresh bytes too')
})
