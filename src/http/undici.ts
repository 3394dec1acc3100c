/**
 * The one module of this package that imports undici's values: loading undici sets Node's global
 * dispatcher when none is set, which would move the app's own `fetch()` onto our copy of undici.
 * The global is put back as it was before undici loaded (see `./undici-global.ts`, evaluated
 * first), so importing any entry point of this package leaves it alone. Nothing here relies on
 * the global dispatcher: every client and flow sends through its own `Agent` or the dispatcher it
 * was given.
 *
 * @packageDocumentation
 */
import { globalDispatchersBefore, restoreGlobalDispatchers } from './undici-global.js'
import { Agent, Dispatcher, errors } from 'undici'

restoreGlobalDispatchers(globalDispatchersBefore)

export { Agent, Dispatcher, errors }
