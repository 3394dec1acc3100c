/** An express-session store as far as its connection events go (every `session.Store` is an EventEmitter). */
interface StoreEvents {
  on (event: 'connect' | 'disconnect', listener: () => void): unknown
}

/** Whether each express-session store seen in this process is connected, as express-session itself tracks it. */
const connected = new WeakMap<object, boolean>()

function follow (store: StoreEvents): void {
  connected.set(store, true)
  store.on('disconnect', () => { connected.set(store, false) })
  store.on('connect', () => { connected.set(store, true) })
}

/** The stores one middleware has seen, and whether one of them is disconnected now. */
export interface StoreWatch {
  /** Notes `req.sessionStore` (express-session sets it on every request it gives a session to). */
  see (store: unknown): void
  /** True while a store seen before has emitted `'disconnect'` and not `'connect'` since. */
  down (): boolean
}

/**
 * Follows the express-session stores a middleware meets. While a store is disconnected
 * (its `'disconnect'` event), express-session gives requests no session at all and no error
 * (express-session 1.x: "Handle connection as if there is no session"), which on its own reads
 * like express-session not being mounted. This tells the two apart for a store seen on an
 * earlier request: the same events, followed from the first request that carried the store.
 */
export function watchStores (): StoreWatch {
  const seen = new Set<object>()
  return {
    see (store) {
      if (typeof store !== 'object' || store === null || seen.has(store) || seen.size >= 10) return
      if (typeof (store as Partial<StoreEvents>).on !== 'function') return
      seen.add(store)
      if (!connected.has(store)) follow(store as StoreEvents)
    },
    down () {
      for (const store of seen) if (connected.get(store) === false) return true
      return false
    }
  }
}
