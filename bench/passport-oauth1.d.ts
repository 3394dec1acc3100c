// Minimal types for passport-oauth1 1.3 (the package ships none); only what bench/hostile.ts uses.
declare module 'passport-oauth1' {
  /** The OAuth 1.0a strategy; `_oauth` is its node-oauth client ("protected" in its docs). */
  export class Strategy {
    constructor (options: Record<string, string>, verify: (...args: unknown[]) => void)
    _oauth: Record<string, (...args: unknown[]) => void>
  }
}
