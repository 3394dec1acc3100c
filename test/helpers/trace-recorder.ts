// Records the contexts of one of the library's tracing channels for a test, and checks that none
// of them, serialised with every error's own properties and causes, holds a secret.
import { tracingChannel } from 'node:diagnostics_channel'
import type { Test } from 'tap'

export interface TraceRecorder {
  /** Each traced call's context, in the order the calls started. */
  readonly contexts: Array<Record<string, unknown>>
  /** Every event seen (`start`, `end`, `asyncStart`, `asyncEnd`, `error`), sorted. */
  readonly events: string[]
  /** Fails the test when a serialised context contains any of `secrets` (empty values ignored). */
  expectNone (secrets: Iterable<string | undefined>): void
}

/**
 * JSON of a context with errors walked at any depth: their own properties (message, stack, code,
 * status), `cause` and `body`; buffers as latin1 text, functions and symbols as strings.
 */
export function serialise (value: unknown): string {
  const seen = new WeakSet<object>()
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'object' && item !== null) {
      if (seen.has(item)) return '[seen]'
      seen.add(item)
      if (item instanceof Error) {
        const spelled: Record<string, unknown> = { name: item.name, message: item.message, stack: item.stack, cause: item.cause }
        for (const key of Object.getOwnPropertyNames(item)) spelled[key] = (item as unknown as Record<string, unknown>)[key]
        return spelled
      }
      if (Buffer.isBuffer(item)) return item.toString('latin1')
    }
    if (typeof item === 'bigint' || typeof item === 'function' || typeof item === 'symbol') return String(item)
    return item
  })
}

/** Subscribes to `name` until the test ends. */
export function traceRecorder (t: Test, name: string): TraceRecorder {
  const channel = tracingChannel<unknown, Record<string, unknown>>(name)
  const contexts: Array<Record<string, unknown>> = []
  const events: string[] = []
  const on = (event: string) => (context: Record<string, unknown>) => {
    events.push(event)
    if (event === 'start') contexts.push(context)
  }
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') }
  channel.subscribe(handlers)
  t.teardown(() => { channel.unsubscribe(handlers) })
  return {
    contexts,
    get events () { return [...events].sort() },
    expectNone (secrets) {
      const text = contexts.map(serialise).join('\n')
      const found = [...secrets].filter((secret): secret is string => typeof secret === 'string' && secret.length >= 6 && text.includes(secret))
      t.same(found, [], `no secret in ${contexts.length} serialised contexts`)
    }
  }
}
