import { ErrorCodes, OAuth1Error } from '../errors.js'
import { type DenialStyle, defaultDenialStyles } from '../presets/presets.js'
import { firstString } from './query.js'

/** `oauth_verifier` values a provider sends instead of a verifier when the user said no (Jira). */
const refusalVerifiers: ReadonlySet<string> = new Set(['denied', 'user_refused', 'access_denied', 'cancelled', 'canceled'])
const maxReported = 100

/** What a callback query means, given the provider's denial styles. */
export type CallbackOutcome =
  /** The user refused at the provider, in one of the declared styles. */
  | { kind: 'denied', style: DenialStyle }
  /** The provider reported a failure that is not a refusal (`oauth_problem=token_rejected`, ...). */
  | { kind: 'provider-error', problem: string, advice?: string }
  /** An ordinary callback (RFC 5849 §2.2): the token and verifier as sent, either may be absent. */
  | { kind: 'callback', token: string | undefined, verifier: string | undefined }

/** `oauth_problem` values that mean the user said no (OAuth Problem Reporting). */
const refusalProblems: ReadonlySet<string> = new Set(['user_refused', 'permission_denied'])

const present = (value: string | undefined): value is string => value !== undefined && value !== ''

/**
 * Classifies the query of the callback the provider redirects the user to (RFC 5849 §2.2).
 * A signal counts as a refusal only when its style is in `denialStyles` (default
 * {@link defaultDenialStyles}): `denied-param` (`?denied=<token>`), `oauth-problem`
 * (`oauth_problem=user_refused` or `permission_denied`), `verifier-denied` (`oauth_verifier=denied`),
 * `authorize-0` (`?authorize=0`), `missing-verifier` (no `oauth_verifier`, with or without
 * `oauth_token`). Any other `oauth_problem` (`token_rejected`, ...) is a `provider-error`.
 * Repeated parameters count by their first value.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 */
export function classifyCallback (query: Readonly<Record<string, unknown>>, denialStyles: readonly DenialStyle[] = defaultDenialStyles): CallbackOutcome {
  const declared = (style: DenialStyle): boolean => denialStyles.includes(style)
  const token = firstString(query.oauth_token)
  const verifier = firstString(query.oauth_verifier)
  if (declared('denied-param') && firstString(query.denied) !== undefined) return { kind: 'denied', style: 'denied-param' }
  const problem = firstString(query.oauth_problem)
  if (present(problem)) {
    if (declared('oauth-problem') && refusalProblems.has(problem)) return { kind: 'denied', style: 'oauth-problem' }
    const advice = firstString(query.oauth_problem_advice)
    return present(advice)
      ? { kind: 'provider-error', problem: problem.slice(0, maxReported), advice: advice.slice(0, maxReported) }
      : { kind: 'provider-error', problem: problem.slice(0, maxReported) }
  }
  if (declared('verifier-denied') && present(verifier) && refusalVerifiers.has(verifier.toLowerCase())) return { kind: 'denied', style: 'verifier-denied' }
  if (declared('authorize-0') && firstString(query.authorize) === '0') return { kind: 'denied', style: 'authorize-0' }
  if (declared('missing-verifier') && !present(verifier)) return { kind: 'denied', style: 'missing-verifier' }
  return { kind: 'callback', token, verifier }
}

/**
 * The coded error for a callback that cannot complete: `OAUTH1_ACCESS_DENIED` (403) for a
 * refusal, `OAUTH1_CALLBACK_PROBLEM` (400, with `problem` and `advice`) for a provider's
 * problem report; `undefined` for an ordinary callback. Messages name the problem only when it
 * is a plain identifier, never the query.
 */
export function callbackError (outcome: CallbackOutcome): OAuth1Error | undefined {
  if (outcome.kind === 'denied') return new OAuth1Error(ErrorCodes.ACCESS_DENIED, 'The user did not authorize access at the provider')
  if (outcome.kind === 'callback') return undefined
  const named = /^[A-Za-z0-9_.-]+$/.test(outcome.problem) ? `oauth_problem=${outcome.problem}` : 'an oauth_problem'
  return new OAuth1Error(ErrorCodes.CALLBACK_PROBLEM, `The provider redirected back with ${named} instead of a verifier; start again`,
    outcome.advice === undefined ? { problem: outcome.problem } : { problem: outcome.problem, advice: outcome.advice })
}
