import { EventEmitter } from 'node:events'
import t from 'tap'
import { closedSignal } from '../src/sign-in/adapter.js'

class FakeResponse extends EventEmitter {
  writableFinished = false
}

t.test('closedSignal: the browser leaving before the answer aborts it and calls each listener once', async (t) => {
  const response = new FakeResponse()
  const signal = closedSignal(response)
  const calls: string[] = []
  const first = (): void => { calls.push('first') }
  const removed = (): void => { calls.push('removed') }
  signal.addEventListener('abort', first, { once: true })
  signal.addEventListener('abort', removed)
  signal.addEventListener('abort', () => { calls.push('third') })
  signal.removeEventListener('abort', removed)
  t.equal(signal.aborted, false)
  response.emit('close')
  t.equal(signal.aborted, true)
  t.match(signal.reason, { message: 'The browser closed the request' })
  t.same(calls, ['first', 'third'])
  response.emit('close')
  t.same(calls, ['first', 'third'], 'once')
  signal.addEventListener('abort', () => { calls.push('late') })
  t.same(calls, ['first', 'third'], 'a listener added after the abort is not kept (callers read aborted first)')
})

t.test('closedSignal: a response that finished before closing does not abort', async (t) => {
  const response = new FakeResponse()
  const signal = closedSignal(response)
  let called = false
  signal.addEventListener('abort', () => { called = true })
  response.writableFinished = true
  response.emit('close')
  t.equal(signal.aborted, false)
  t.equal(called, false)
})
