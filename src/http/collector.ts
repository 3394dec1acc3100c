import { ErrorCodes, OAuth1Error } from '../errors.js'
import type { Dispatcher } from './undici.js'

/** The error of a body past `limit`: names the origin and path, never the query. */
export function tooLarge (url: URL, limit: number): OAuth1Error {
  return new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The response from ${url.origin}${url.pathname} is larger than ${limit} bytes`)
}

/** A response read in full by {@link Collector}. */
export interface Received {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  data: Buffer
}

/**
 * An undici dispatch handler that reads one response into memory up to `limit` bytes, with no
 * stream in between. {@link Collector.fail} settles the call at once and aborts the upstream
 * request (the connection is closed, nothing more is read): past the limit, at the deadline,
 * or when the caller's signal fires.
 */
export class Collector implements Dispatcher.DispatchHandler {
  readonly promise: Promise<Received>
  private resolve!: (value: Received) => void
  private reject!: (error: unknown) => void
  private controller: Dispatcher.DispatchController | undefined
  private failure: unknown = undefined
  private settled = false
  private statusCode = 0
  private headers: Record<string, string | string[] | undefined> = {}
  private chunks: Buffer[] = []
  private size = 0

  constructor (private readonly limit: number, private readonly url: URL) {
    this.promise = new Promise<Received>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  fail (error: unknown): void {
    if (this.settled) return
    this.settled = true
    this.failure = error
    this.chunks = []
    this.reject(error)
    this.controller?.abort(error as Error)
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.settled && this.failure !== undefined) controller.abort(this.failure as Error)
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return
    this.statusCode = statusCode
    this.headers = headers
    const declared = headers['content-length']
    if (declared !== undefined && Number(declared) > this.limit) this.fail(tooLarge(this.url, this.limit))
  }

  onResponseData (_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return
    this.size += chunk.length
    if (this.size > this.limit) this.fail(tooLarge(this.url, this.limit))
    else this.chunks.push(chunk)
  }

  onResponseEnd (): void {
    if (this.settled) return
    this.settled = true
    const { chunks } = this
    const data = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, this.size)
    this.resolve({ statusCode: this.statusCode, headers: this.headers, data })
  }

  onResponseError (_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }
}
