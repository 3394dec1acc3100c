/**
 * Every failure this library raises is an {@link OAuth1Error} with a stable `code` from
 * {@link ErrorCodes}, an HTTP `statusCode` suited to answering a browser or API client, and,
 * for provider failures, the provider's status, `oauth_problem` and a truncated body.
 * Messages never contain secrets, tokens or signatures.
 *
 * @packageDocumentation
 */
/**
 * The `oauth_problem` values of the OAuth Problem Reporting extension, as constants to switch on.
 * Providers may send other values; {@link ProviderProblem.problem} keeps them as plain strings.
 *
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 */
export const OAuthProblems = Object.freeze({
  /** `oauth_version` is not supported; see `oauth_acceptable_versions`. */
  VERSION_REJECTED: 'version_rejected',
  /** A required parameter is missing; see `oauth_parameters_absent`. */
  PARAMETER_ABSENT: 'parameter_absent',
  /** An unexpected parameter was received; see `oauth_parameters_rejected`. */
  PARAMETER_REJECTED: 'parameter_rejected',
  /** `oauth_timestamp` is too far from the provider's clock; see `oauth_acceptable_timestamps`. */
  TIMESTAMP_REFUSED: 'timestamp_refused',
  /** `oauth_nonce` was already used. */
  NONCE_USED: 'nonce_used',
  /** `oauth_signature_method` is not supported. */
  SIGNATURE_METHOD_REJECTED: 'signature_method_rejected',
  /** `oauth_signature` is invalid. */
  SIGNATURE_INVALID: 'signature_invalid',
  /** `oauth_consumer_key` is unknown to the provider. */
  CONSUMER_KEY_UNKNOWN: 'consumer_key_unknown',
  /** The consumer key is permanently unacceptable. */
  CONSUMER_KEY_REJECTED: 'consumer_key_rejected',
  /** The consumer key is temporarily unacceptable (throttling). */
  CONSUMER_KEY_REFUSED: 'consumer_key_refused',
  /** The token was already used (a request token exchanged twice). */
  TOKEN_USED: 'token_used',
  /** The token has expired. */
  TOKEN_EXPIRED: 'token_expired',
  /** The token was revoked. */
  TOKEN_REVOKED: 'token_revoked',
  /** The token is unacceptable for another reason. */
  TOKEN_REJECTED: 'token_rejected',
  /** `oauth_verifier` is wrong. */
  VERIFIER_INVALID: 'verifier_invalid',
  /** The token lacks some authorization; see `oauth_acceptable_permissions`. */
  ADDITIONAL_AUTHORIZATION_REQUIRED: 'additional_authorization_required',
  /** The user is not known (permission unknown). */
  PERMISSION_UNKNOWN: 'permission_unknown',
  /** The user refused the requested permission. */
  PERMISSION_DENIED: 'permission_denied',
  /** The user refused access to the consumer. */
  USER_REFUSED: 'user_refused'
} as const)

/** Every `oauth_problem` value of OAuth Problem Reporting. */
export type OAuthProblem = typeof OAuthProblems[keyof typeof OAuthProblems]

const problemValues: ReadonlySet<string> = new Set(Object.values(OAuthProblems))

/** True when `value` is one of the {@link OAuthProblems} of OAuth Problem Reporting. */
export function isOAuthProblem (value: unknown): value is OAuthProblem {
  return typeof value === 'string' && problemValues.has(value)
}

/** Stable error codes. Switch on `error.code`, never on the message. */
export const ErrorCodes = {
  /** An option given to `createSigner`, `createClient` or the plugin is missing or invalid. */
  INVALID_OPTION: 'OAUTH1_INVALID_OPTION',
  /** A request given to `sign()` cannot be signed as asked (bad URL, stream body, ...). */
  INVALID_REQUEST: 'OAUTH1_INVALID_REQUEST',
  /** A provider answered a token request with a non-2xx status. */
  PROVIDER_ERROR: 'OAUTH1_PROVIDER_ERROR',
  /** A provider's token response could not be parsed or lacks required fields. */
  PROVIDER_BAD_RESPONSE: 'OAUTH1_PROVIDER_BAD_RESPONSE',
  /** The request-token response lacked `oauth_callback_confirmed=true` (RFC 5849 §2.1). */
  CALLBACK_NOT_CONFIRMED: 'OAUTH1_CALLBACK_NOT_CONFIRMED',
  /** A provider did not answer in time. */
  TIMEOUT: 'OAUTH1_TIMEOUT',
  /** The provider could not be reached at all (connection refused, DNS, TLS). */
  NETWORK: 'OAUTH1_NETWORK',
  /** The callback carried no `oauth_token`, or one this session did not start. */
  UNKNOWN_TOKEN: 'OAUTH1_UNKNOWN_TOKEN',
  /** The callback arrived without a session (cookie lost, expired, SameSite=Strict). */
  NO_SESSION: 'OAUTH1_NO_SESSION',
  /** The callback's request token is being exchanged right now (a doubled callback); the first one connects. */
  FLOW_IN_PROGRESS: 'OAUTH1_FLOW_IN_PROGRESS',
  /** This browser already has the most sign-ins in progress that it may have; finish one or wait. */
  TOO_MANY_FLOWS: 'OAUTH1_TOO_MANY_FLOWS',
  /** The user refused access at the provider. */
  ACCESS_DENIED: 'OAUTH1_ACCESS_DENIED',
  /** The callback carried no `oauth_verifier`. */
  MISSING_VERIFIER: 'OAUTH1_MISSING_VERIFIER',
  /**
   * The provider redirected to the callback with an `oauth_problem` that is not a refusal
   * (`token_rejected`, `token_expired`, ...): the sign-in cannot complete; `problem` says why.
   * 400 like the other callbacks that cannot complete, so `failureRedirect` applies.
   */
  CALLBACK_PROBLEM: 'OAUTH1_CALLBACK_PROBLEM',
  /** A per-user client was used while the user has not connected an account. */
  NOT_CONNECTED: 'OAUTH1_NOT_CONNECTED',
  /** A redirect pointed somewhere it may not be followed (another origin with credentials, too many). */
  REDIRECT_REFUSED: 'OAUTH1_REDIRECT_REFUSED',
  /** The provider no longer accepts the user's token (expired, revoked, rejected): connect again. */
  TOKEN_INVALID: 'OAUTH1_TOKEN_INVALID',
  /** The provider did not confirm the revocation of a token (the local credentials are dropped anyway). */
  REVOKE_FAILED: 'OAUTH1_REVOKE_FAILED',
  /** The caller's `AbortSignal` ended the call (e.g. the browser went away); the upstream read was stopped. */
  ABORTED: 'OAUTH1_ABORTED',
  /**
   * The store where sessions or credentials are kept could not be read or written (Redis down):
   * nothing was connected; a flow whose callback met it is kept where it can be (try again).
   */
  STORE_UNAVAILABLE: 'OAUTH1_STORE_UNAVAILABLE',
  /** This process already has as many sign-in starts waiting on the provider as it allows: try again in a moment. */
  BUSY: 'OAUTH1_BUSY',
  /**
   * The callback's flow was started in another browser or another session (its binding cookie
   * or session does not match): nothing was exchanged; the user starts again. A flow planted
   * from elsewhere (login CSRF) ends here.
   */
  FLOW_NOT_BOUND: 'OAUTH1_FLOW_NOT_BOUND',
  /** The start's return path is longer than 1,024 characters once URL-encoded: refused before any provider call. */
  RETURN_TO_TOO_LONG: 'OAUTH1_RETURN_TO_TOO_LONG',
  /** The flow cookie would be larger than the 4,096 bytes browsers keep (a provider's very long request token): use flowState 'session'. */
  FLOW_TOO_LARGE: 'OAUTH1_FLOW_TOO_LARGE',
  /** The callback URL of a start (from a function of the request, or a `begin()` override) is not on an origin of `callbackOrigins`. */
  CALLBACK_NOT_ALLOWED: 'OAUTH1_CALLBACK_NOT_ALLOWED'
} as const

/** The union of every {@link ErrorCodes} value. */
export type ErrorCode = typeof ErrorCodes[keyof typeof ErrorCodes]

/** Details a provider gave when it refused a request (RFC 5849 §3.2; OAuth Problem Reporting). */
export interface ProviderProblem {
  /** The provider's HTTP status. */
  status?: number
  /** `oauth_problem`, e.g. `timestamp_refused`, `signature_invalid`, `user_refused` (see `OAuthProblems`); other values are kept as sent. */
  problem?: OAuthProblem | (string & {})
  /** `oauth_problem_advice`, a human-readable hint from the provider. */
  advice?: string
  /** Other `oauth_*` fields the provider reported (`oauth_parameters_absent`, `oauth_acceptable_timestamps`, ...). */
  details?: Record<string, string>
  /** The start of the provider's response body (at most 512 characters), for logs. */
  body?: string
}

/** Where our signature base string and the provider's part ways (see `diagnoseSignature`). */
export interface BaseStringDifference {
  /** Index of the first character that differs (the shorter length when one is a prefix of the other). */
  index: number
  /** The part that differs: the method, the base string URI, or the normalized parameters (RFC 5849 §3.4.1.1). */
  part: 'method' | 'uri' | 'parameters'
  /** For `parameters`: the first parameter name whose pair differs, decoded. */
  parameter?: string
  /** Up to 40 characters of each string around the difference. */
  ours: string
  /** The provider's string at the same place, up to 40 characters. */
  theirs: string
}

/**
 * What we know about a refused signature: the base string we signed (it holds no secret: RFC 5849
 * §3.4.1 builds it from the request alone; `oauth_verifier`'s value is masked) and, when the
 * provider sent its own (Flickr's `debug_sbs`), that one and the first difference.
 */
export interface SignatureDiagnosis {
  /** The signature base string we signed (RFC 5849 §3.4.1.1), `oauth_verifier`'s value masked. */
  baseString: string
  /** The base string the provider computed, when it sent one back (Flickr's `debug_sbs`). */
  providerBaseString?: string
  /** Where the two base strings first differ, when the provider sent its own and they do. */
  difference?: BaseStringDifference
}

const brand = Symbol.for('fastify-oauth1.error')

/** Options for {@link OAuth1Error}. */
export interface OAuth1ErrorOptions extends ProviderProblem {
  /** HTTP status to answer with; defaults per code. */
  statusCode?: number
  /** The underlying error. */
  cause?: unknown
  /** For a refused signature (`signature_invalid`): our base string, the provider's, their first difference. */
  diagnosis?: SignatureDiagnosis | undefined
}

const defaultStatus: Record<ErrorCode, number> = {
  OAUTH1_INVALID_OPTION: 500,
  OAUTH1_INVALID_REQUEST: 500,
  OAUTH1_PROVIDER_ERROR: 502,
  OAUTH1_PROVIDER_BAD_RESPONSE: 502,
  OAUTH1_CALLBACK_NOT_CONFIRMED: 502,
  OAUTH1_TIMEOUT: 504,
  OAUTH1_NETWORK: 502,
  OAUTH1_UNKNOWN_TOKEN: 400,
  OAUTH1_NO_SESSION: 400,
  OAUTH1_FLOW_IN_PROGRESS: 409,
  OAUTH1_TOO_MANY_FLOWS: 429,
  OAUTH1_ACCESS_DENIED: 403,
  OAUTH1_MISSING_VERIFIER: 400,
  OAUTH1_CALLBACK_PROBLEM: 400,
  OAUTH1_NOT_CONNECTED: 401,
  OAUTH1_REDIRECT_REFUSED: 502,
  OAUTH1_TOKEN_INVALID: 401,
  OAUTH1_REVOKE_FAILED: 502,
  OAUTH1_ABORTED: 499,
  OAUTH1_STORE_UNAVAILABLE: 503,
  OAUTH1_BUSY: 503,
  OAUTH1_FLOW_NOT_BOUND: 403,
  OAUTH1_RETURN_TO_TOO_LONG: 400,
  OAUTH1_FLOW_TOO_LARGE: 502,
  OAUTH1_CALLBACK_NOT_ALLOWED: 400
}

/**
 * The one error class of this library. `instanceof` works across two installed copies
 * (checked through a `Symbol.for` brand), like undici's errors.
 */
export class OAuth1Error extends Error {
  /** What went wrong, one of {@link ErrorCodes} (`OAUTH1_TIMEOUT`, ...): branch on this, not on the message. */
  readonly code: ErrorCode
  /** The HTTP status to answer the browser or API caller with (Fastify's error handler reads it); a default per code. */
  readonly statusCode: number
  /** The provider's HTTP status, when the provider answered (not ours: see {@link OAuth1Error.statusCode}). */
  declare readonly status?: number
  /** The provider's `oauth_problem` (OAuth Problem Reporting), e.g. `timestamp_refused`; see {@link OAuthProblems}. */
  declare readonly problem?: OAuthProblem | (string & {})
  /** The provider's `oauth_problem_advice`, a human-readable hint. */
  declare readonly advice?: string
  /** Other `oauth_*` fields of the provider's problem report (`oauth_acceptable_timestamps`, ...). */
  declare readonly details?: Record<string, string>
  /** The start of the provider's response body (at most 512 characters), for logs. */
  declare readonly body?: string
  /** Set when the provider refused the signature: see {@link SignatureDiagnosis}. */
  declare readonly diagnosis?: SignatureDiagnosis

  constructor (code: ErrorCode, message: string, options: OAuth1ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'OAuth1Error'
    this.code = code
    this.statusCode = options.statusCode ?? (Object.hasOwn(defaultStatus, code) ? defaultStatus[code] : 500)
    if (options.status !== undefined) this.status = options.status
    if (options.problem !== undefined) this.problem = options.problem
    if (options.advice !== undefined) this.advice = options.advice
    if (options.details !== undefined) this.details = options.details
    if (options.body !== undefined) this.body = options.body
    if (options.diagnosis !== undefined) this.diagnosis = options.diagnosis
  }

  /** @internal The cross-copy brand that `instanceof OAuth1Error` checks. */
  get [brand] (): true {
    return true
  }

  /**
   * `value instanceof OAuth1Error` is true for an OAuth1Error of any installed copy of this
   * library (checked through a `Symbol.for` brand), not only of this one.
   */
  static override [Symbol.hasInstance] (value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true
  }
}

/** True when `value` is an {@link OAuth1Error}, optionally with the given code. */
export function isOAuth1Error (value: unknown, code?: ErrorCode): value is OAuth1Error {
  return value instanceof OAuth1Error && (code === undefined || value.code === code)
}

/** Throws an {@link ErrorCodes.INVALID_OPTION} error naming the option. */
export function invalidOption (name: string, expected: string): never {
  throw new OAuth1Error(ErrorCodes.INVALID_OPTION, `Invalid option "${name}": expected ${expected}`)
}
