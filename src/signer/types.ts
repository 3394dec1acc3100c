import type { HeaderRecord } from '../protocol/headers.js'

export type { HeaderRecord }
import type { BodyHashAlgorithm, PrivateKeyInput, SignatureMethod } from '../protocol/signature-methods.js'

/** Where the protocol parameters travel (RFC 5849 §3.5). */
export type Placement = 'header' | 'query' | 'body'

/** Options for {@link createSigner}. Checked once, when the signer is created. */
export interface SignerOptions {
  /** The client identifier (`oauth_consumer_key`, RFC 5849 §3.1). */
  consumerKey: string
  /** The client shared-secret. Required for HMAC-* and PLAINTEXT, unused by RSA-*. */
  consumerSecret?: string | undefined
  /** Default `'HMAC-SHA1'`. */
  signatureMethod?: SignatureMethod | undefined
  /** RSA private key (PEM text or `KeyObject`), required for RSA-*. */
  privateKey?: PrivateKeyInput | undefined
  /** A fixed token for every request (two-legged with a token, or a stored access token). */
  token?: string | undefined
  /** The secret of {@link SignerOptions.token}. */
  tokenSecret?: string | undefined
  /** `realm` in the Authorization header (never in the base string, §3.5.1). */
  realm?: string | undefined
  /** Default `'header'` (§3.5.1); `'query'` (§3.5.3) or `'body'` (§3.5.2). */
  placement?: Placement | undefined
  /**
   * Adds `oauth_body_hash` to every request whose body is not a form (absent bodies hash as
   * empty). `true` uses the hash of the signature method (SHA-1 for PLAINTEXT).
   */
  bodyHash?: boolean | BodyHashAlgorithm | undefined
  /** The clock in milliseconds, for tests or a corrected clock. Default `Date.now`. */
  now?: (() => number) | undefined
  /** Nonce generator, for tests. Default: 24 random hex characters. */
  nonce?: (() => string) | undefined
}

/** A request body the signer can read: text, bytes or form parameters. */
export type SignableBody = string | Uint8Array | URLSearchParams

/** The request to sign. It is never mutated. */
export interface SignableRequest {
  /** The HTTP method, any case; upper-cased into the base string (RFC 5849 §3.4.1.1). */
  method: string
  /** The absolute request URL; its query is signed (§3.4.1.3.1), its fragment ignored. */
  url: string | URL
  /** The request headers: a form `content-type` makes the body's parameters signed (§3.4.1.3.1). */
  headers?: HeaderRecord | undefined
  /** The body: its parameters are signed when it is a form (`URLSearchParams`, or a form `content-type`). */
  body?: SignableBody | undefined
}

/** Per-call values. Everything is optional; what is given overrides the signer's options. */
export interface SignOptions {
  /** `oauth_token` for this request (a user's access token, or the request token in §2.3). */
  token?: string | undefined
  /** The secret of {@link SignOptions.token}, half of the signing key (§3.4.2). */
  tokenSecret?: string | undefined
  /** `oauth_callback` (temporary-credential request, §2.1). */
  callback?: string | undefined
  /** `oauth_verifier` (token request, §2.3). */
  verifier?: string | undefined
  /** `oauth_nonce` for this request (§3.3), for tests; by default a fresh random one. */
  nonce?: string | undefined
  /** Seconds since the epoch, a whole number from 1 to 2^31 - 1 (RFC 5849 §3.3). */
  timestamp?: number | string | undefined
  /** More protocol parameters, each named `oauth_*` (e.g. `oauth_session_handle`). */
  extraParams?: Record<string, string> | undefined
  /**
   * Also return the signature base string signed (RFC 5849 §3.4.1) as {@link SignedRequest.baseString},
   * for logs and support tickets. It holds no secret, but it does hold `oauth_token` and, on the
   * token request, `oauth_verifier`. Default `false`.
   */
  returnBaseString?: boolean | undefined
  /**
   * The `oauth_body_hash` value of a body the signer cannot read (a stream), computed by the
   * caller (base64 of the body's digest, OAuth Request Body Hash §3.1). The request's `body`
   * must then be absent. It replaces the signer's own `bodyHash` for this request.
   */
  bodyHash?: string | undefined
}

/** The option names {@link createSigner} reads; any other key is refused. */
export const signerOptionNames: ReadonlySet<string> = new Set([
  'consumerKey', 'consumerSecret', 'signatureMethod', 'privateKey', 'token', 'tokenSecret', 'realm',
  'placement', 'bodyHash', 'now', 'nonce'
])

/**
 * The body {@link Signer.sign} returns for a request body of type `B`: text (a string, a
 * `URLSearchParams`) comes back as a string, bytes as the same bytes (or form text with
 * `placement: 'body'`), no body as none (or form text with `placement: 'body'`). So a string
 * body stays a `string`, which `fetch`'s `BodyInit` accepts under TypeScript's DOM lib too.
 */
export type SignedBody<B> = B extends Uint8Array ? B | string : B extends undefined ? string | undefined : string

/** The signed request, ready to send; `Body` is the type of {@link SignedRequest.body}. */
export interface SignedRequest<Body = string | Uint8Array | undefined> {
  /** The URL to call: the input's, with the protocol parameters when placement is `'query'`. */
  url: string
  /**
   * A copy of the input headers, with `authorization` for header placement and a content type
   * for created form bodies. Every value is a string (lists joined with `, `, `cookie` with `; `),
   * so the object passes as it is to `fetch`, undici's `request` and Node's `http.request`.
   */
  headers: Record<string, string>
  /** The body to send: unchanged, or a form string that carries the protocol parameters. */
  body: Body
  /** The protocol parameters sent, `oauth_signature` included. */
  oauthParams: Record<string, string>
  /**
   * The signature base string (RFC 5849 §3.4.1), only when asked with `returnBaseString: true`
   * (`''` for PLAINTEXT, which signs no base string).
   */
  baseString?: string
}

/** Signs requests with one set of client credentials. Create once, sign many times. */
export interface Signer {
  /** Signs one request (RFC 5849 §3.1). The result's `body` is typed after the request's (see {@link SignedBody}). */
  sign<B extends SignableBody | undefined = undefined> (request: SignableRequest & { body?: B }, options?: SignOptions): SignedRequest<SignedBody<B>>
  /** The signature method in use. */
  readonly signatureMethod: SignatureMethod
  /** The placement in use. */
  readonly placement: Placement
  /**
   * Seconds added to every timestamp, for every origin; set it to correct for a provider's clock
   * yourself. A client never changes it: it learns offsets per origin (`OAuth1Client.clockOffset`).
   */
  clockOffset: number
  /** The `oauth_timestamp` the next request gets: the signer's clock plus `clockOffset` (RFC 5849 §3.3). */
  timestamp (): number
}
