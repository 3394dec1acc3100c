// Types for the part of oauth-sign 0.9 the tests call (the package ships none). Kept apart from
// bench/oauth-sign.d.ts so the tests do not depend on the benchmark; the declarations merge.
declare module 'oauth-sign' {
  export function sign (signMethod: string, httpMethod: string, baseUri: string,
    params: Record<string, string | string[]>, consumerSecret: string, tokenSecret?: string): string
  /** The signature base string (RFC 5849 §3.4.1) of a method, base string URI and parameters. */
  export function generateBase (httpMethod: string, baseUri: string, params: Record<string, string | string[]>): string
  /** Percent-encoding of RFC 3986 (and RFC 5849 §3.6). */
  export function rfc3986 (value: string): string
}
