import { Dispatcher, errors } from '../http/undici.js'

/** A request as the in-process provider receives it. */
export interface MockRequest {
  /** The HTTP method, as sent. */
  method: string
  /** The absolute URL the client addressed (scheme, host and port as sent, path and query). */
  url: string
  /** Header names lower-cased, in an object without prototype. */
  headers: Record<string, string>
  /** The request body, read in full (empty when none was sent). */
  body: Buffer
}

/** An answer of the in-process provider. */
export interface MockResponse {
  /** The HTTP status to answer with. */
  status: number
  /** The response headers. */
  headers: Record<string, string>
  /** The response body, sent as UTF-8 text. */
  body: string
}

/** Handles one request; `undefined` means "the connection was dropped without an answer". */
export type MockHandler = (request: MockRequest) => Promise<MockResponse | undefined>

type Handler = Dispatcher.DispatchHandler & Record<string, unknown>
type HeaderInput = Dispatcher.DispatchOptions['headers']

/** The request's headers by lower-cased name, in an object without prototype (a header may be named `constructor` or `__proto__`). */
function headerRecord (input: HeaderInput): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  const add = (name: string, value: unknown): void => {
    if (value === undefined || value === null) return
    const key = name.toLowerCase()
    const text = Array.isArray(value) ? value.join(', ') : String(value)
    out[key] = Object.hasOwn(out, key) ? `${out[key] as string}, ${text}` : text
  }
  if (input === undefined || input === null) return out
  if (Array.isArray(input)) {
    if (input.length > 0 && Array.isArray(input[0])) {
      for (const pair of input as unknown as Array<[string, string]>) add(pair[0], pair[1])
    } else {
      for (let i = 0; i + 1 < input.length; i += 2) add(String(input[i]), input[i + 1])
    }
    return out
  }
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of input as Iterable<[string, string]>) add(name, value)
    return out
  }
  for (const [name, value] of Object.entries(input)) add(name, value)
  return out
}

async function bodyBuffer (body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0)
  if (typeof body === 'string') return Buffer.from(body)
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    const chunks: Buffer[] = []
    for await (const chunk of body as AsyncIterable<string | Uint8Array>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk))
    return Buffer.concat(chunks)
  }
  throw new TypeError('The mock provider dispatcher accepts string, Uint8Array or async iterable bodies')
}

/** Calls both undici handler styles (v7 `onResponse*` and the legacy `onHeaders`/`onData`). */
function deliver (handler: Handler, response: MockResponse, controller: { aborted: boolean }): void {
  const body = Buffer.from(response.body)
  const headers = { ...response.headers, 'content-length': String(body.length) }
  if (typeof handler.onResponseStart === 'function') {
    const h = handler as Required<Dispatcher.DispatchHandler>
    const ctl = controller as unknown as Dispatcher.DispatchController
    h.onResponseStart(ctl, response.status, headers, '')
    if (controller.aborted) return
    if (body.length > 0) h.onResponseData(ctl, body)
    h.onResponseEnd(ctl, {})
    return
  }
  const raw: Buffer[] = []
  for (const [name, value] of Object.entries(headers)) raw.push(Buffer.from(name), Buffer.from(value))
  const legacy = handler as unknown as {
    onHeaders: (status: number, raw: Buffer[], resume: () => void, text: string) => boolean
    onData: (chunk: Buffer) => boolean
    onComplete: (trailers: Buffer[]) => void
  }
  legacy.onHeaders(response.status, raw, () => {}, '')
  if (controller.aborted) return
  if (body.length > 0) legacy.onData(body)
  legacy.onComplete([])
}

function fail (handler: Handler, error: Error, controller: object): void {
  if (typeof handler.onResponseError === 'function') {
    (handler as Required<Dispatcher.DispatchHandler>).onResponseError(controller as Dispatcher.DispatchController, error)
  } else {
    (handler as unknown as { onError: (error: Error) => void }).onError(error)
  }
}

/**
 * An undici `Dispatcher` that answers requests to the given origins with an in-process handler,
 * without a socket. Other origins are refused (nothing leaves the process). It honours
 * `headersTimeout` (undici's `UND_ERR_HEADERS_TIMEOUT`) and aborts, so a provider that hangs
 * ends in the client's timeout as with a real server.
 */
export class InProcessDispatcher extends Dispatcher {
  readonly #handle: MockHandler
  readonly #origins: () => readonly string[]
  #closed = false

  constructor (handle: MockHandler, origins: () => readonly string[]) {
    super()
    this.#handle = handle
    this.#origins = origins
  }

  override dispatch (options: Dispatcher.DispatchOptions, dispatchHandler: Dispatcher.DispatchHandler): boolean {
    const handler = dispatchHandler as Handler
    const origin = typeof options.origin === 'string' ? options.origin : options.origin?.origin
    let settled = false
    let timer: NodeJS.Timeout | undefined
    const controller = {
      aborted: false,
      paused: false,
      reason: null as Error | null,
      abort: (reason?: Error) => finish(reason ?? new errors.RequestAbortedError()),
      pause () {},
      resume () {}
    }
    const finish = (error: Error | undefined, response?: MockResponse): void => {
      if (settled) return
      settled = true
      if (timer !== undefined) clearTimeout(timer)
      if (error !== undefined) {
        controller.aborted = true
        controller.reason = error
        fail(handler, error, controller)
      } else if (response !== undefined) {
        deliver(handler, response, controller)
      }
    }
    if (typeof handler.onRequestStart === 'function') {
      (handler as Required<Dispatcher.DispatchHandler>).onRequestStart(controller as unknown as Dispatcher.DispatchController, {})
    } else {
      (handler as unknown as { onConnect: (abort: (reason?: Error) => void) => void }).onConnect(controller.abort)
    }
    if (settled) return true
    if (this.#closed) {
      finish(new errors.ClientDestroyedError())
      return true
    }
    const normalized = origin === undefined ? undefined : new URL(origin).origin
    if (normalized === undefined || !this.#origins().includes(normalized)) {
      finish(new errors.InformationalError(`The mock provider dispatcher only serves ${this.#origins().join(', ')}; ` +
        `refused ${normalized ?? 'a request without origin'} ` +
        '(call the mock by an absolute URL on provider.url, or by a path relative to the baseUrl of provider.options())'))
      return true
    }
    const timeout = options.headersTimeout
    if (typeof timeout === 'number' && timeout > 0) timer = setTimeout(() => finish(new errors.HeadersTimeoutError()), timeout)
    bodyBuffer(options.body)
      .then((body) => this.#handle({ method: options.method, url: normalized + options.path, headers: headerRecord(options.headers), body }))
      .then((response) => finish(response === undefined ? new errors.SocketError('other side closed') : undefined, response),
        (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))))
    return true
  }

  /** Refuses further requests. */
  override async close (): Promise<void> {
    this.#closed = true
  }

  /** Same as {@link InProcessDispatcher.close}. */
  override async destroy (): Promise<void> {
    this.#closed = true
  }
}
