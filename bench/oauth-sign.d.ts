// Minimal types for oauth-sign 0.9 (the package ships none); only what the benchmark calls.
declare module 'oauth-sign' {
  type Params = Record<string, string | string[] | undefined>
  export function sign (signMethod: string, httpMethod: string, baseUri: string, params: Params,
    consumerSecret: string, tokenSecret?: string): string
  export function hmacsign (httpMethod: string, baseUri: string, params: Params,
    consumerSecret: string, tokenSecret?: string): string
  export function rfc3986 (value: string): string
}
