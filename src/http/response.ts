import { ErrorCodes, OAuth1Error, OAuthProblems, type ProviderProblem, type SignatureDiagnosis } from '../errors.js'
import { diagnoseSignature } from '../protocol/diagnosis.js'
import { findHeader, type HeaderRecord } from '../protocol/headers.js'
import { parseProblem } from '../protocol/problems.js'
import { type RateLimit, readRateLimit } from './rate-limit.js'
import type { ClientResponse } from './types.js'

/** True for a refusal of the signature: `signature_invalid`, or a 401 whose problem or challenge names the signature. */
function refusesSignature (status: number, problem: ProviderProblem, challenge: string | undefined): boolean {
  if (problem.problem === OAuthProblems.SIGNATURE_INVALID) return true
  if (status !== 401 || problem.problem !== undefined) return false
  return /signature/i.test(challenge ?? '') || /signature/i.test(problem.body ?? '')
}

/** A response read in full (see {@link ClientResponse}). */
export class FullResponse implements ClientResponse {
  readonly ok: boolean
  readonly #receivedAt = Date.now()
  constructor (readonly status: number, readonly headers: ClientResponse['headers'], readonly url: string, readonly body: Buffer,
    private readonly baseString: string | undefined = undefined, private readonly secrets: ReadonlyArray<string | undefined> = []) {
    this.ok = status >= 200 && status < 300
  }

  diagnosis (): SignatureDiagnosis | undefined {
    if (this.ok || this.baseString === undefined) return undefined
    if (!refusesSignature(this.status, this.problem(), findHeader(this.headers as HeaderRecord, 'www-authenticate'))) return undefined
    return diagnoseSignature(this.baseString, this.text(), this.secrets)
  }

  text (): string {
    return this.body.toString('utf8')
  }

  get rateLimit (): RateLimit | undefined {
    return readRateLimit(this.status, this.headers, this.#receivedAt)
  }

  problem (): ProviderProblem {
    return namedProblem(parseProblem(this.status, this.text(), findHeader(this.headers as HeaderRecord, 'www-authenticate')))
  }

  json<T = unknown> (): T {
    try {
      return JSON.parse(this.text()) as T
    } catch {
      // No cause: the JSON parser's message quotes the start of the body.
      throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The response from ${new URL(this.url).origin} is not JSON`, { status: this.status })
    }
  }
}

/** `problem` with a name for a 429 (`rate_limited`) or a 402 (`credits_exhausted`) where the provider named none. */
export function namedProblem (problem: ProviderProblem): ProviderProblem {
  if (problem.problem !== undefined) return problem
  if (problem.status === 429) problem.problem = 'rate_limited'
  else if (problem.status === 402) problem.problem = 'credits_exhausted'
  return problem
}
