/**
 * The process's undici global dispatcher, as it was before this package loaded undici.
 *
 * Loading undici 7 sets the global dispatcher to its own `Agent` when none is set (its
 * `lib/global.js`), and Node's own `fetch()` reads that same global: importing this package would
 * move every `fetch()` of the app onto our copy of undici. This module is evaluated before undici
 * (it is the first import of `./undici.js` and of `../options.js`, which every entry point
 * reaches before anything that loads undici), so it sees the global as the app left it, and
 * `./undici.js` puts it back after undici loaded.
 *
 * One step first: undici 7 loads Node's bundled undici as it loads (it reads `globalThis.Headers`),
 * and Node's installs its own default dispatcher only if none is set then, never again. Reading
 * `globalThis.Headers` here lets Node install its own before ours could: with no dispatcher set
 * by the app, the global ends up as Node itself would have it (its own default, as after the
 * app's first `fetch()`), never our undici's `Agent`. Tested on Node 20, 22, 24 and 26.
 *
 * @packageDocumentation
 */

/**
 * The keys undici keeps its global dispatcher under: `.1`, which Node's bundled undici and
 * undici 7's `getGlobalDispatcher()` read, and `.2`, which undici 7 sets beside it.
 */
export const globalDispatcherKeys: readonly symbol[] = Object.freeze([Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')])

/** One key's state: whether `globalThis` had it as an own property, and its value. */
export interface GlobalDispatcherState {
  key: symbol
  present: boolean
  value: unknown
}

function snapshot (): readonly GlobalDispatcherState[] {
  return globalDispatcherKeys.map((key) => ({ key, present: Object.hasOwn(globalThis, key), value: (globalThis as Record<symbol, unknown>)[key] }))
}

// Reading Headers loads Node's bundled undici, which installs its default global dispatcher if none is set.
Reflect.get(globalThis, 'Headers')

/** The global dispatcher keys as this module found them (after Node's own default), before undici loaded. */
export const globalDispatchersBefore: readonly GlobalDispatcherState[] = snapshot()

/**
 * Puts the global dispatcher keys back as they were in `before`, when loading undici changed them
 * (on a Node whose bundled undici did not install its own above). undici defines them
 * `configurable: false, writable: true`: a key that was absent cannot be deleted again, so it is
 * set to `undefined`, which every undici (ours, Node's) reads as "no global dispatcher".
 */
export function restoreGlobalDispatchers (before: readonly GlobalDispatcherState[]): void {
  const target = globalThis as Record<symbol, unknown>
  for (const { key, present, value } of before) {
    if (target[key] === value && Object.hasOwn(target, key) === present) continue
    if (!present && Reflect.deleteProperty(target, key)) continue
    try {
      target[key] = value
    } catch {
      // A global made read-only by someone else: nothing to restore that we may change.
    }
  }
}
