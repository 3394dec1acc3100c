import { ErrorCodes, OAuth1Error } from '../errors.js'
import type { CallerSignal } from './types.js'

/** What a call is waiting on: an upstream read or a retry wait, ended by {@link Deadline}. */
export interface Waiting {
  fail (reason: unknown): void
}

/** The deadline of one call: one timer, joined with the caller's signal. */
export class Deadline {
  /** The coded error that ended the call, when the deadline or the caller's signal did. */
  reason: OAuth1Error | undefined = undefined
  /** What the call waits on now. */
  active: Waiting | undefined = undefined
  /** When the call times out, in `Date.now()` milliseconds. */
  readonly endsAt: number
  private readonly timer: NodeJS.Timeout
  private readonly callerSignal: CallerSignal | undefined
  private onAbort: (() => void) | undefined

  constructor (timeout: number, url: URL, callerSignal: CallerSignal | undefined) {
    this.endsAt = Date.now() + timeout
    this.timer = setTimeout(expire, timeout, this, url, timeout)
    this.callerSignal = callerSignal
    if (callerSignal !== undefined) {
      const abort = (): void => { this.end(aborted(url.origin + url.pathname, callerSignal.reason)) }
      if (callerSignal.aborted) abort()
      else {
        callerSignal.addEventListener('abort', abort, { once: true })
        this.onAbort = abort
      }
    }
  }

  /** Ends the call with `reason` unless it has ended already. */
  end (reason: OAuth1Error): void {
    if (this.reason !== undefined) return
    this.reason = reason
    this.active?.fail(reason)
  }

  /** Waits `ms`, or rejects with the reason when the call ends first. */
  wait (ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.reason !== undefined) {
        reject(this.reason)
        return
      }
      const timer = setTimeout(() => {
        this.active = undefined
        resolve()
      }, ms)
      this.active = {
        fail (reason) {
          clearTimeout(timer)
          reject(reason)
        }
      }
    })
  }

  clear (): void {
    clearTimeout(this.timer)
    this.active = undefined
    if (this.onAbort !== undefined) this.callerSignal?.removeEventListener('abort', this.onAbort)
  }
}

function expire (deadline: Deadline, url: URL, timeout: number): void {
  deadline.end(new OAuth1Error(ErrorCodes.TIMEOUT, `No complete answer from ${url.origin + url.pathname} within ${timeout} ms`))
}

function aborted (where: string, reason: unknown): OAuth1Error {
  return new OAuth1Error(ErrorCodes.ABORTED, `The call to ${where} was aborted by the caller`, { cause: reason })
}
